// A small HTTP/1.1 server of ours for the load driver's integration tests and
// benchmark: one epoll thread, a fixed service time per request, an optional
// capacity (K requests served at once, the rest queue), and optional periodic
// stalls (the server answers nothing for STALL ms every EVERY ms). Because the
// delays are computed, not slept, the ground truth is known exactly.
//
//   loadprof_test_server [--port N] [--service-ms X] [--capacity K]
//                        [--stall-every-ms E --stall-ms S] [--body-bytes B]
//                        [--backlog N] [--accept-every-ms A]
// Prints "PORT <n>" on stdout once listening. Paths: /status/NNN answers that
// status, /chunked answers chunked, /close answers with Connection: close.
// For scenarios: POST /login (body with "user":"NAME") issues a fresh token,
// in the JSON body ({"data":{"token":"..."}}) and in an X-Token header;
// /account... answers 200 only with "Authorization: Bearer <a token it issued>",
// else 401; /record... remembers its request target in arrival order (with
// " body=<hex>" when the request has a body), and GET /log answers them, one
// per line (/log itself is not recorded). /big/N answers an N-byte body of
// "xyxy..." ending in "<<END>>" (a marker past any kept prefix).
// Request bodies: GET /bodies answers "count N", "bytes B", "distinct D",
// "content_type T" (of the last) and "first <body>", one per line, over every
// request that carried a body. --backlog sets listen()'s backlog and
// --accept-every-ms accepts only every A ms (all that wait): with --backlog 0,
// a SYN that finds the queue full is dropped and the client's connect waits
// for its SYN retransmission (about 1 s): a slow connect on loopback, while a
// connection that got in waits at most A ms for its answer.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <queue>
#include <string>
#include <unordered_set>
#include <vector>

namespace {

int64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1'000'000'000LL + ts.tv_nsec;
}

struct Options {
  int port = 0;
  double service_ms = 0;
  int capacity = 0;
  double stall_every_ms = 0, stall_ms = 0;
  size_t body_bytes = 13;
  int backlog = 4096;
  double accept_every_ms = 0;
};

struct Client {
  int fd = -1;
  std::string in;
  std::string out;
  bool busy = false;  // a response is scheduled
  bool close_after = false;
  uint64_t gen = 0;
};

struct Due {
  int64_t at;
  int fd;
  uint64_t gen;
  bool operator>(const Due& o) const { return at > o.at; }
};

Options opt;
int64_t start_ns;
std::vector<Client> clients;  // by fd
std::priority_queue<Due, std::vector<Due>, std::greater<Due>> due;
std::vector<int64_t> slots;  // capacity: when each service slot frees up
std::string body;
std::unordered_set<std::string> tokens;  // issued by /login
std::vector<std::string> recorded;       // /record... targets, in arrival order
uint64_t token_seq = 0;
uint64_t bodies = 0, body_bytes_in = 0;  // requests that carried a body
std::unordered_set<std::string> distinct_bodies;
std::string first_body, last_content_type;
int ep, tfd, ls, accept_tfd = -1;
int64_t armed = 0;

int64_t finish_time(int64_t arrival) {
  int64_t service = static_cast<int64_t>(opt.service_ms * 1e6);
  int64_t start = arrival;
  size_t slot = 0;
  if (!slots.empty()) {
    slot = static_cast<size_t>(std::min_element(slots.begin(), slots.end()) - slots.begin());
    start = std::max(arrival, slots[slot]);
  }
  int64_t done = start + service;
  if (opt.stall_every_ms > 0 && opt.stall_ms > 0) {
    auto every = static_cast<int64_t>(opt.stall_every_ms * 1e6);
    auto stall = static_cast<int64_t>(opt.stall_ms * 1e6);
    int64_t rel = done - start_ns;
    int64_t in_period = rel % every;
    if (in_period >= every - stall) done += every - in_period;  // held until the stall ends
  }
  if (!slots.empty()) slots[slot] = done;
  return done;
}

void arm() {
  if (due.empty()) return;
  int64_t at = due.top().at;
  if (armed == at) return;
  armed = at;
  itimerspec its{};
  its.it_value.tv_sec = at / 1'000'000'000;
  its.it_value.tv_nsec = at % 1'000'000'000;
  timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, nullptr);
}

void close_client(int fd) {
  clients[fd].fd = -1;
  clients[fd].in.clear();
  clients[fd].out.clear();
  clients[fd].busy = false;
  clients[fd].gen++;
  close(fd);
}

void flush_out(int fd) {
  Client& c = clients[fd];
  while (!c.out.empty()) {
    ssize_t n = send(fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
    if (n > 0) {
      c.out.erase(0, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EAGAIN) return;
    close_client(fd);
    return;
  }
  if (c.close_after && !c.busy) {
    shutdown(fd, SHUT_WR);
    close_client(fd);
  }
}

void try_parse(int fd);

void respond(int fd) {
  Client& c = clients[fd];
  size_t end = c.in.find("\r\n\r\n");
  std::string head = c.in.substr(0, end);
  size_t cl = 0;
  if (auto p = head.find("\r\nContent-Length:"); p != std::string::npos)
    cl = std::strtoul(head.c_str() + p + 17, nullptr, 10);
  size_t sp1 = head.find(' '), sp2 = head.find(' ', sp1 + 1);
  std::string method = head.substr(0, sp1);
  std::string path = head.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string req_body = c.in.substr(end + 4, cl);
  c.in.erase(0, end + 4 + cl);
  if (!req_body.empty()) {
    if (bodies++ == 0) first_body = req_body;
    body_bytes_in += req_body.size();
    if (distinct_bodies.size() < 1000) distinct_bodies.insert(req_body);
    last_content_type.clear();
    if (auto t = head.find("\r\nContent-Type: "); t != std::string::npos) {
      size_t from = t + 16, to = head.find("\r\n", from);
      last_content_type = head.substr(from, to == std::string::npos ? std::string::npos : to - from);
    }
  }
  int status = 200;
  if (path.rfind("/status/", 0) == 0) status = std::atoi(path.c_str() + 8);
  std::string extra_headers;
  const std::string* reply = &body;
  std::string custom;
  if (path.rfind("/login", 0) == 0 && method == "POST") {
    std::string user = "anonymous";
    if (auto u = req_body.find("\"user\":\""); u != std::string::npos) {
      size_t from = u + 8, to = req_body.find('"', from);
      user = req_body.substr(from, to - from);
    }
    std::string tok = "tok" + std::to_string(++token_seq) + "x" + user;
    tokens.insert(tok);
    custom = "{\"user\":\"" + user + "\",\"data\":{\"token\":\"" + tok + "\",\"expires\":3600}}";
    extra_headers = "Content-Type: application/json\r\nX-Token: " + tok + "\r\n";
    reply = &custom;
  } else if (path.rfind("/account", 0) == 0) {
    std::string tok;
    if (auto a = head.find("\r\nAuthorization: Bearer "); a != std::string::npos) {
      size_t from = a + 24, to = head.find("\r\n", from);
      tok = head.substr(from, to == std::string::npos ? std::string::npos : to - from);
    }
    bool ok = tokens.count(tok) > 0;
    status = ok ? 200 : 401;
    custom = ok ? "{\"ok\":true,\"order\":\"ord-" + std::to_string(token_seq) + "\"}" : "{\"ok\":false}";
    reply = &custom;
  } else if (path.rfind("/record", 0) == 0) {
    std::string entry = path;
    if (!req_body.empty()) {
      entry += " body=";
      char hex[3];
      for (unsigned char ch : req_body) {
        std::snprintf(hex, sizeof hex, "%02x", ch);
        entry += hex;
      }
    }
    recorded.push_back(entry);
  } else if (path.rfind("/big/", 0) == 0) {
    size_t n = std::strtoul(path.c_str() + 5, nullptr, 10);
    const std::string end = "<<END>>";
    for (size_t i = 0; i + end.size() < n; ++i) custom += (i & 1) ? 'y' : 'x';
    custom += end.substr(0, n);
    reply = &custom;
  } else if (path == "/log") {
    for (const auto& r : recorded) custom += r + "\n";
    reply = &custom;
  } else if (path == "/bodies") {
    custom = "count " + std::to_string(bodies) + "\nbytes " + std::to_string(body_bytes_in) + "\ndistinct " +
             std::to_string(distinct_bodies.size()) + "\ncontent_type " + last_content_type + "\nfirst " +
             first_body + "\n";
    reply = &custom;
  }
  bool close_conn = head.find("\r\nConnection: close") != std::string::npos || path == "/close";
  std::string r = "HTTP/1.1 " + std::to_string(status) + " X\r\nServer: loadprof-test\r\n";
  if (close_conn) r += "Connection: close\r\n";
  r += extra_headers;
  bool no_body = method == "HEAD";
  if (path == "/chunked" || path.find("chunked=1") != std::string::npos) {
    r += "Transfer-Encoding: chunked\r\n\r\n";
    if (!no_body) {
      char sz[32];
      std::snprintf(sz, sizeof sz, "%zx\r\n", reply->size());
      r += sz + *reply + "\r\n0\r\n\r\n";
    }
  } else {
    r += "Content-Length: " + std::to_string(reply->size()) + "\r\n\r\n";
    if (!no_body) r += *reply;
  }
  c.out += r;
  c.busy = false;
  c.close_after = close_conn;
  flush_out(fd);
  if (clients[fd].fd >= 0) try_parse(fd);
}

void try_parse(int fd) {
  Client& c = clients[fd];
  if (c.busy || c.close_after) return;
  size_t end = c.in.find("\r\n\r\n");
  if (end == std::string::npos) return;
  size_t cl = 0;
  if (auto p = c.in.find("\r\nContent-Length:"); p != std::string::npos && p < end)
    cl = std::strtoul(c.in.c_str() + p + 17, nullptr, 10);
  if (c.in.size() < end + 4 + cl) return;
  int64_t now = now_ns();
  int64_t done = finish_time(now);
  c.busy = true;
  if (done <= now) {
    respond(fd);
    return;
  }
  due.push({done, fd, c.gen});
  arm();
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    double v = std::atof(argv[i + 1]);
    if (a == "--port")
      opt.port = static_cast<int>(v);
    else if (a == "--service-ms")
      opt.service_ms = v;
    else if (a == "--capacity")
      opt.capacity = static_cast<int>(v);
    else if (a == "--stall-every-ms")
      opt.stall_every_ms = v;
    else if (a == "--stall-ms")
      opt.stall_ms = v;
    else if (a == "--body-bytes")
      opt.body_bytes = static_cast<size_t>(v);
    else if (a == "--backlog")
      opt.backlog = static_cast<int>(v);
    else if (a == "--accept-every-ms")
      opt.accept_every_ms = v;
    else {
      std::fprintf(stderr, "unknown option %s\n", a.c_str());
      return 2;
    }
  }
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
  body.assign(opt.body_bytes, 'x');
  if (opt.capacity > 0) slots.assign(static_cast<size_t>(opt.capacity), 0);
  ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int one = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(opt.port));
  if (bind(ls, reinterpret_cast<sockaddr*>(&addr), sizeof addr) || listen(ls, opt.backlog)) {
    std::perror("bind/listen");
    return 1;
  }
  socklen_t len = sizeof addr;
  getsockname(ls, reinterpret_cast<sockaddr*>(&addr), &len);
  start_ns = now_ns();
  std::printf("PORT %d\n", ntohs(addr.sin_port));
  std::fflush(stdout);
  ep = epoll_create1(0);
  tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
  epoll_event ev{};
  ev.events = EPOLLIN;
  if (opt.accept_every_ms > 0) {
    // Paced accepts: a periodic timer; each tick accepts what waits.
    accept_tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
    auto every = static_cast<int64_t>(opt.accept_every_ms * 1e6);
    itimerspec its{};
    its.it_value.tv_sec = its.it_interval.tv_sec = every / 1'000'000'000;
    its.it_value.tv_nsec = its.it_interval.tv_nsec = every % 1'000'000'000;
    timerfd_settime(accept_tfd, 0, &its, nullptr);
    ev.data.fd = accept_tfd;
    epoll_ctl(ep, EPOLL_CTL_ADD, accept_tfd, &ev);
  } else {
    ev.data.fd = ls;
    epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
  }
  ev.data.fd = tfd;
  epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev);
  epoll_event events[256];
  char buf[65536];
  while (true) {
    int n = epoll_wait(ep, events, 256, -1);
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (fd == ls || fd == accept_tfd) {
        if (fd == accept_tfd) {
          uint64_t ticks;
          (void)!read(accept_tfd, &ticks, sizeof ticks);
        }
        while (true) {
          int c = accept4(ls, nullptr, nullptr, SOCK_NONBLOCK);
          if (c < 0) break;
          setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          if (static_cast<size_t>(c) >= clients.size()) clients.resize(static_cast<size_t>(c) + 1);
          clients[c].fd = c;
          clients[c].close_after = false;
          epoll_event cev{};
          cev.events = EPOLLIN | EPOLLOUT | EPOLLET;
          cev.data.fd = c;
          epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
        }
      } else if (fd == tfd) {
        uint64_t ticks;
        (void)!read(tfd, &ticks, sizeof ticks);
        armed = 0;
        int64_t now = now_ns();
        while (!due.empty() && due.top().at <= now) {
          Due d = due.top();
          due.pop();
          if (clients[d.fd].fd >= 0 && clients[d.fd].gen == d.gen) respond(d.fd);
        }
        arm();
      } else {
        if (clients[fd].fd < 0) continue;
        if (events[i].events & EPOLLOUT) flush_out(fd);
        if (clients[fd].fd < 0) continue;
        bool closed = false;
        while (true) {
          ssize_t r = read(fd, buf, sizeof buf);
          if (r > 0) {
            clients[fd].in.append(buf, static_cast<size_t>(r));
            continue;
          }
          if (r == 0 || (r < 0 && errno != EAGAIN)) closed = true;
          break;
        }
        if (closed) {
          close_client(fd);
          continue;
        }
        try_parse(fd);
      }
    }
  }
}
