// Round trips per request of each step: served exchanges joined to the load
// driver's requests by connection (the server socket's remote port is the
// driver's local port) and time, on a capture built here.
#include "loadprof/analyze/peers.h"

#include <gtest/gtest.h>

using namespace loadprof;

namespace {

capture::RequestRecord request(uint64_t start_ns, uint64_t end_ns, uint16_t port, uint16_t step) {
  capture::RequestRecord q;
  q.intended_start_ns = q.actual_start_ns = start_ns;
  q.end_ns = end_ns;
  q.local_port = port;
  q.step = step;
  q.status = 200;
  return q;
}

capture::ServedExchange served(uint64_t start_ns, uint64_t end_ns, uint64_t round_trips) {
  capture::NestedRoundTrips db{2, {10, 0, 0, 5}, 5432, round_trips, round_trips * 1'000'000};
  return {start_ns, end_ns, 7, {db}};
}

}  // namespace

TEST(PeersByStep, ExchangesJoinTheirRequestsAndSumPerStep) {
  constexpr uint64_t kMs = 1'000'000, t0 = 1'000'000'000'000;
  capture::Capture c;
  c.load = capture::LoadRun{};
  c.load->summary_json =
      R"({"scenario": {"steps": [{"name": "list", "path": "/orders"}, {"name": "one", "path": "/order"}]}})";
  // Connection 41000: four "list" requests one after another; 41001: two "one" requests.
  for (int i = 0; i < 4; ++i)
    c.requests.push_back(request(t0 + i * 10 * kMs, t0 + i * 10 * kMs + 8 * kMs, 41000, 0));
  for (int i = 0; i < 2; ++i)
    c.requests.push_back(request(t0 + i * 10 * kMs, t0 + i * 10 * kMs + 8 * kMs, 41001, 1));
  capture::SocketRecord db;
  db.family = 2;
  db.protocol = capture::SocketProtocol::tcp;
  db.role = capture::SocketRole::client;
  db.remote_addr = {10, 0, 0, 5};
  db.remote_port = 5432;
  db.round_trips = 4 * 8 + 1 + 3;
  db.wait_ns = db.round_trips * kMs;
  capture::SocketRecord list = db, one = db;
  list.role = one.role = capture::SocketRole::server;
  list.local_port = one.local_port = 8080;
  list.remote_port = 41000;
  one.remote_port = 41001;
  for (int i = 0; i < 4; ++i)
    list.served.push_back(served(t0 + i * 10 * kMs + kMs, t0 + i * 10 * kMs + 7 * kMs, 8));
  one.served.push_back(served(t0 + kMs, t0 + 7 * kMs, 1));
  // After the last request of its connection ended (beyond the 1 ms clock slack): a request the log does not
  // hold (lost, or another client on a reused port), so its round trips are not counted.
  one.served.push_back(served(t0 + 30 * kMs, t0 + 31 * kMs, 3));
  c.sockets = {db, list, one};

  const analyze::PeersSummary s = analyze::summarize_peers(c);
  EXPECT_EQ(s.served_exchanges, 6u);
  EXPECT_EQ(s.served_joined, 5u);
  const analyze::Peer* peer = nullptr;
  for (const auto& p : s.peers)
    if (p.role == "client") peer = &p;
  ASSERT_NE(peer, nullptr);
  EXPECT_EQ(peer->address, "10.0.0.5:5432");
  ASSERT_EQ(peer->by_step.size(), 2u);
  EXPECT_EQ(peer->by_step[0].path, "/orders");
  EXPECT_EQ(peer->by_step[0].requests, 4u);
  EXPECT_EQ(peer->by_step[0].round_trips, 32u);
  EXPECT_DOUBLE_EQ(peer->by_step[0].round_trips_per_request, 8.0);
  EXPECT_DOUBLE_EQ(peer->by_step[0].wait_ms, 32.0);
  EXPECT_EQ(peer->by_step[1].step, "one");
  EXPECT_DOUBLE_EQ(peer->by_step[1].round_trips_per_request, 0.5);
  // The whole mix, as before: 36 round trips over 6 requests.
  ASSERT_TRUE(peer->round_trips_per_request.has_value());
  EXPECT_DOUBLE_EQ(*peer->round_trips_per_request, 6.0);
}
