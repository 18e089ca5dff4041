// Generic-netlink taskstats queries: the family id once, then one
// TASKSTATS_CMD_GET per thread group and pass.
#include "taskstats.h"

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/taskstats.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace loadprof::record {
namespace {

constexpr size_t kBufferBytes = 4096;

// Appends one attribute to a request under construction.
void put_attr(std::string& msg, uint16_t type, const void* data, size_t len) {
  nlattr a{};
  a.nla_type = type;
  a.nla_len = static_cast<uint16_t>(NLA_HDRLEN + len);
  msg.append(reinterpret_cast<const char*>(&a), sizeof a);
  msg.append(static_cast<const char*>(data), len);
  msg.append(NLA_ALIGN(a.nla_len) - a.nla_len, '\0');
}

bool send_request(int fd, uint16_t type, uint8_t cmd, uint32_t seq, uint16_t attr, const void* data,
                  size_t len) {
  std::string msg(NLMSG_HDRLEN + GENL_HDRLEN, '\0');
  put_attr(msg, attr, data, len);
  auto* h = reinterpret_cast<nlmsghdr*>(msg.data());
  h->nlmsg_len = static_cast<uint32_t>(msg.size());
  h->nlmsg_type = type;
  h->nlmsg_flags = NLM_F_REQUEST;
  h->nlmsg_seq = seq;
  auto* g = reinterpret_cast<genlmsghdr*>(msg.data() + NLMSG_HDRLEN);
  g->cmd = cmd;
  g->version = 1;
  sockaddr_nl to{};
  to.nl_family = AF_NETLINK;
  while (true) {
    ssize_t n = ::sendto(fd, msg.data(), msg.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
    if (n >= 0) return static_cast<size_t>(n) == msg.size();
    if (errno != EINTR) return false;
  }
}

// Receives the reply to `seq`: its attributes' bytes, nullopt on an error reply.
std::optional<std::string> receive_reply(int fd, uint32_t seq) {
  char buf[kBufferBytes];
  for (int tries = 0; tries < 4; ++tries) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < static_cast<ssize_t>(NLMSG_HDRLEN)) return std::nullopt;
    auto* h = reinterpret_cast<nlmsghdr*>(buf);
    if (h->nlmsg_len > static_cast<uint32_t>(n) || h->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN)
      return std::nullopt;
    if (h->nlmsg_seq != seq) continue;  // a stale reply of an earlier, abandoned request
    if (h->nlmsg_type == NLMSG_ERROR) return std::nullopt;
    return std::string(buf + NLMSG_HDRLEN + GENL_HDRLEN, h->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN);
  }
  return std::nullopt;
}

// Calls f(type, payload) for each attribute in `attrs`.
template <class F>
void for_each_attr(std::string_view attrs, F&& f) {
  while (attrs.size() >= NLA_HDRLEN) {
    nlattr a;
    std::memcpy(&a, attrs.data(), sizeof a);
    if (a.nla_len < NLA_HDRLEN || a.nla_len > attrs.size()) return;
    f(a.nla_type & NLA_TYPE_MASK, attrs.substr(NLA_HDRLEN, a.nla_len - NLA_HDRLEN));
    attrs.remove_prefix(std::min<size_t>(NLA_ALIGN(a.nla_len), attrs.size()));
  }
}

}  // namespace

Result<TaskstatsClient> TaskstatsClient::open() {
  UniqueFd fd(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC));
  if (!fd.valid()) return errno_error(ErrorKind::io, "taskstats: netlink socket", errno);
  sockaddr_nl self{};
  self.nl_family = AF_NETLINK;
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&self), sizeof self) != 0)
    return errno_error(ErrorKind::io, "taskstats: bind", errno);
  timeval timeout{0, 100'000};  // a reply comes at once; never hang the recorder
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  const char* name = TASKSTATS_GENL_NAME;
  if (!send_request(fd.get(), GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1, CTRL_ATTR_FAMILY_NAME, name,
                    std::strlen(name) + 1))
    return errno_error(ErrorKind::io, "taskstats: family request", errno);
  auto reply = receive_reply(fd.get(), 1);
  if (!reply) return make_error(ErrorKind::io, "taskstats: no TASKSTATS family (CONFIG_TASKSTATS)");
  uint16_t family = 0;
  for_each_attr(*reply, [&](uint16_t type, std::string_view v) {
    if (type == CTRL_ATTR_FAMILY_ID && v.size() >= 2) std::memcpy(&family, v.data(), 2);
  });
  if (family == 0) return make_error(ErrorKind::io, "taskstats: no family id in the reply");
  TaskstatsClient client(std::move(fd), family);
  client.seq_ = 1;
  // The query itself needs CAP_NET_ADMIN: try one now, on ourselves.
  if (!client.thread_group(::getpid()))
    return make_error(ErrorKind::permission, "taskstats: query refused (needs CAP_NET_ADMIN)");
  return client;
}

std::optional<ContextSwitches> TaskstatsClient::thread_group(pid_t tgid) {
  const uint32_t seq = ++seq_;
  const uint32_t id = static_cast<uint32_t>(tgid);
  if (!send_request(fd_.get(), family_, TASKSTATS_CMD_GET, seq, TASKSTATS_CMD_ATTR_TGID, &id, sizeof id))
    return std::nullopt;
  auto reply = receive_reply(fd_.get(), seq);
  if (!reply) return std::nullopt;
  std::optional<ContextSwitches> out;
  for_each_attr(*reply, [&](uint16_t type, std::string_view aggr) {
    if (type != TASKSTATS_TYPE_AGGR_TGID) return;
    for_each_attr(aggr, [&](uint16_t inner, std::string_view v) {
      // Older kernels send a shorter struct: nvcsw/nivcsw must lie inside it.
      if (inner != TASKSTATS_TYPE_STATS || v.size() < offsetof(taskstats, nivcsw) + sizeof(uint64_t)) return;
      taskstats ts{};
      std::memcpy(&ts, v.data(), std::min(v.size(), sizeof ts));
      out = ContextSwitches{ts.nvcsw, ts.nivcsw};
    });
  });
  return out;
}

}  // namespace loadprof::record
