// Sockets merged per peer; round trips per request of the load run.
#include "loadprof/analyze/peers.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <map>
#include <tuple>

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
  for (auto& [key, p] : merged) {
    if (out.requests > 0)
      p.round_trips_per_request = static_cast<double>(p.round_trips) / static_cast<double>(out.requests);
    out.peers.push_back(std::move(p));
  }
  std::stable_sort(out.peers.begin(), out.peers.end(),
                   [](const Peer& a, const Peer& b) { return a.wait_ms > b.wait_ms; });
  return out;
}

}  // namespace loadprof::analyze
