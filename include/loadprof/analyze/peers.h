// The io probe's sockets merged per peer (SPEC's "peers" key): whom the
// target talked to, as a client (it sent, then waited: a database, a cache,
// another service) or as a server (it received, then answered: its own
// clients). A client's peer is its address and port; a server's clients are
// merged per address and the local port they reached (their ports vary).
// With a load run in the capture, round trips per request: ten queries to
// one database per page is an N+1 pattern, and shows as 10.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "loadprof/capture/model.h"

namespace loadprof::analyze {

// A client peer's round trips during the requests of one scenario step (or
// of the one URL), from the server's served exchanges joined to the load
// driver's requests on the same connection.
struct StepRoundTrips {
  std::string step;       // the scenario step's name; the URL's path without a scenario
  std::string path;       // the step's path without its query ("/orders"); may be empty
  uint64_t requests = 0;  // of that step in the request log (warm-up included)
  uint64_t round_trips = 0;
  double round_trips_per_request = 0;
  double wait_ms = 0;  // the client's wait on this peer within those requests
};

struct Peer {
  std::string address;      // "127.0.0.1:5432" (client); "127.0.0.1" (server: many client ports); "unix"
  std::string protocol;     // "tcp", "udp", "unix", "other"
  std::string role;         // "client", "server"
  uint16_t local_port = 0;  // server: the port served on; 0 for a client
  uint64_t sockets = 0;
  uint64_t round_trips = 0;
  double wait_ms = 0;  // client: waiting for the peer's answers; server: answering
  uint64_t bytes_sent = 0;
  uint64_t bytes_received = 0;
  // Round trips per request of the load run (requests of the whole log, warm-up
  // included, as the sockets' figures span the whole capture).
  std::optional<double> round_trips_per_request;
  // Per step, when the server's exchanges could be joined to requests
  // (thread-per-connection servers); by round trips per request, descending.
  std::vector<StepRoundTrips> by_step;
};

struct PeersSummary {
  std::vector<Peer> peers;  // by wait_ms, descending
  uint64_t sockets = 0;
  uint64_t requests = 0;  // of the load run; 0 without one
  // Exchanges the target served that made client round trips, and how many of
  // them were joined to a request of the load run (the rest: other clients,
  // or requests the log lost).
  uint64_t served_exchanges = 0;
  uint64_t served_joined = 0;
};

PeersSummary summarize_peers(const capture::Capture& capture);

// "10.0.0.5:5432", "[::1]:6379"; without the port when it is 0.
std::string socket_address(const capture::SocketRecord& socket, bool with_port);

}  // namespace loadprof::analyze
