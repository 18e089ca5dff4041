// Sockets merged per peer; round trips per request of the load run, overall
// and per scenario step (served exchanges joined to the driver's requests).
#include "loadprof/analyze/peers.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <tuple>
#include <unordered_map>

namespace loadprof::analyze {
namespace {

const char* protocol_name(capture::SocketProtocol p) {
  switch (p) {
    case capture::SocketProtocol::tcp:
      return "tcp";
    case capture::SocketProtocol::udp:
      return "udp";
    case capture::SocketProtocol::unix_socket:
      return "unix";
    case capture::SocketProtocol::other:
      break;
  }
  return "other";
}

// The scenario's steps (name, path without its query) from the load run's
// summary; one unnamed step for a URL run.
std::vector<std::pair<std::string, std::string>> step_labels(const capture::Capture& c) {
  std::vector<std::pair<std::string, std::string>> out;
  if (!c.load) return out;
  const auto summary = nlohmann::json::parse(c.load->summary_json, nullptr, false);
  if (summary.is_discarded() || !summary.is_object()) return out;
  auto strip = [](std::string path) {
    if (size_t q = path.find('?'); q != std::string::npos) path.resize(q);
    return path;
  };
  if (summary.contains("scenario") && summary["scenario"].is_object() &&
      summary["scenario"].contains("steps") && summary["scenario"]["steps"].is_array()) {
    for (const auto& s : summary["scenario"]["steps"]) {
      std::string name = s.contains("name") && s["name"].is_string() ? s["name"].get<std::string>() : "";
      std::string path =
          s.contains("path") && s["path"].is_string() ? strip(s["path"].get<std::string>()) : "";
      out.emplace_back(name.empty() ? path : name, path);
    }
  } else if (summary.contains("load") && summary["load"].is_object() && summary["load"].contains("url") &&
             summary["load"]["url"].is_string()) {
    std::string url = summary["load"]["url"].get<std::string>();
    size_t scheme = url.find("://");
    size_t slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
    std::string path = slash == std::string::npos ? "/" : strip(url.substr(slash));
    out.emplace_back(path, path);
  }
  return out;
}

std::string nested_address(const capture::NestedRoundTrips& n) {
  capture::SocketRecord s;
  s.family = n.family;
  s.remote_addr = n.remote_addr;
  s.remote_port = n.remote_port;
  return socket_address(s, true);
}

// Joins each served exchange to the driver's request on the same connection
// (the server socket's remote port is the driver's local port; the exchange
// lies within the request, give or take a clock tick) and sums the client
// round trips made meanwhile per (peer address, step).
void attribute_to_steps(const capture::Capture& c, PeersSummary& out,
                        std::map<std::string, Peer*>& by_address) {
  std::unordered_map<uint16_t, std::vector<const capture::RequestRecord*>> by_port;
  for (const auto& q : c.requests) by_port[q.local_port].push_back(&q);
  for (auto& [port, v] : by_port)
    std::sort(v.begin(), v.end(), [](auto* a, auto* b) { return a->actual_start_ns < b->actual_start_ns; });
  constexpr uint64_t kSlackNs = 1'000'000;
  struct Sum {
    uint64_t round_trips = 0;
    uint64_t wait_ns = 0;
  };
  std::map<std::pair<std::string, uint16_t>, Sum> sums;
  for (const auto& s : c.sockets) {
    if (s.role != capture::SocketRole::server) continue;
    auto port = by_port.find(s.remote_port);
    for (const auto& e : s.served) {
      ++out.served_exchanges;
      if (port == by_port.end()) continue;
      const auto& reqs = port->second;
      auto it = std::upper_bound(reqs.begin(), reqs.end(), e.start_ns + kSlackNs,
                                 [](uint64_t t, auto* q) { return t < q->actual_start_ns; });
      if (it == reqs.begin()) continue;
      const capture::RequestRecord* q = *std::prev(it);
      if (q->end_ns != 0 && q->end_ns + kSlackNs < e.end_ns) continue;  // an exchange of no logged request
      ++out.served_joined;
      for (const auto& n : e.peers) {
        Sum& sum = sums[{nested_address(n), q->step}];
        sum.round_trips += n.round_trips;
        sum.wait_ns += n.wait_ns;
      }
    }
  }
  if (sums.empty()) return;
  std::map<uint16_t, uint64_t> step_requests;
  for (const auto& q : c.requests) ++step_requests[q.step];
  const auto labels = step_labels(c);
  for (const auto& [key, sum] : sums) {
    auto peer = by_address.find(key.first);
    if (peer == by_address.end()) continue;
    StepRoundTrips st;
    const uint16_t step = key.second;
    if (step < labels.size()) {
      st.step = labels[step].first;
      st.path = labels[step].second;
    } else {
      st.step = "step " + std::to_string(step);
    }
    st.requests = step_requests[step];
    st.round_trips = sum.round_trips;
    st.wait_ms = static_cast<double>(sum.wait_ns) / 1e6;
    if (st.requests > 0)
      st.round_trips_per_request = static_cast<double>(st.round_trips) / static_cast<double>(st.requests);
    peer->second->by_step.push_back(std::move(st));
  }
  for (auto& [address, p] : by_address)
    std::stable_sort(p->by_step.begin(), p->by_step.end(), [](const auto& a, const auto& b) {
      return a.round_trips_per_request > b.round_trips_per_request;
    });
}

}  // namespace

std::string socket_address(const capture::SocketRecord& s, bool with_port) {
  char ip[INET6_ADDRSTRLEN] = "?";
  if (s.family == AF_INET) {
    inet_ntop(AF_INET, s.remote_addr.data(), ip, sizeof ip);
  } else if (s.family == AF_INET6) {
    inet_ntop(AF_INET6, s.remote_addr.data(), ip, sizeof ip);
  } else if (s.family == AF_UNIX) {
    return "unix";
  } else {
    return "family " + std::to_string(s.family);
  }
  std::string host = s.family == AF_INET6 && with_port ? "[" + std::string(ip) + "]" : std::string(ip);
  if (!with_port) return host;
  return host + ":" + std::to_string(s.remote_port);
}

PeersSummary summarize_peers(const capture::Capture& c) {
  PeersSummary out;
  // (role, protocol, address, local port) -> peer
  std::map<std::tuple<int, int, std::string, uint16_t>, Peer> merged;
  for (const auto& s : c.sockets) {
    ++out.sockets;
    const bool server = s.role == capture::SocketRole::server;
    const std::string address = socket_address(s, !server);
    const uint16_t local_port = server ? s.local_port : 0;
    Peer& p = merged[{static_cast<int>(s.role), static_cast<int>(s.protocol), address, local_port}];
    p.address = address;
    p.protocol = protocol_name(s.protocol);
    p.role = server ? "server" : "client";
    p.local_port = local_port;
    ++p.sockets;
    p.round_trips += s.round_trips;
    p.wait_ms += static_cast<double>(s.wait_ns) / 1e6;
    p.bytes_sent += s.bytes_sent;
    p.bytes_received += s.bytes_received;
  }
  out.requests = c.requests.size();
  std::map<std::string, Peer*> clients;  // address -> client peer
  for (auto& [key, p] : merged) {
    if (out.requests > 0)
      p.round_trips_per_request = static_cast<double>(p.round_trips) / static_cast<double>(out.requests);
    if (p.role == "client") clients[p.address] = &p;
  }
  if (out.requests > 0) attribute_to_steps(c, out, clients);
  for (auto& [key, p] : merged) out.peers.push_back(std::move(p));
  std::stable_sort(out.peers.begin(), out.peers.end(),
                   [](const Peer& a, const Peer& b) { return a.wait_ms > b.wait_ms; });
  return out;
}

}  // namespace loadprof::analyze
