// The io probe's sockets end to end: `loadprof record --probes cpu,io` on
// tests/programs/peer_calls (an N+1 "service": OPS operations of K round
// trips each to a TCP backend it forks) and on io_calls (an AF_UNIX
// socketpair ping-pong between two threads). Each side must come back as a
// peer of the right role with the exact round trips and bytes the program
// made, the client's wait within ±25 % of the time it measured, and the
// report's `peers` key must say the same.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "loadprof/analyze/peers.h"
#include "loadprof/capture/reader.h"
#include "report/schema_check.h"
#include "support/privilege.h"
#include "support/run.h"

using namespace loadprof;
using loadprof::testing::loadprof_binary;
using loadprof::testing::run;
using loadprof::testing::test_program;

namespace {

struct Recorded {
  loadprof::testing::RunResult result;
  capture::Capture capture;
  std::map<std::string, std::string> truth;
  std::string dir, path;
};

Recorded record(const std::string& program, const std::vector<std::string>& args) {
  Recorded r;
  r.dir = loadprof::testing::temp_dir();
  r.path = r.dir + "/peers.lpc";
  std::vector<std::string> cmd{loadprof_binary(), "record", "--probes", "cpu,io", "--output", r.path, "--",
                               test_program(program)};
  cmd.insert(cmd.end(), args.begin(), args.end());
  r.result = run(cmd);
  auto cap = capture::read_capture(r.path);
  if (cap.ok()) r.capture = std::move(*cap);
  auto lines = loadprof::testing::ground_truth_lines(r.result.out, program);
  if (lines.size() == 1) r.truth = lines[0];
  return r;
}

uint64_t truth(const Recorded& r, const std::string& key) { return std::stoull(r.truth.at(key)); }

const analyze::Peer* find(const analyze::PeersSummary& s, const std::string& role, const std::string& address) {
  for (const auto& p : s.peers)
    if (p.role == role && p.address == address) return &p;
  return nullptr;
}

class PeersE2E : public ::testing::Test {
 protected:
  void SetUp() override { LOADPROF_REQUIRE_BPF_PRIVILEGES(); }
};

TEST_F(PeersE2E, NPlusOneBackendIsAClientPeerWithItsRoundTripsBytesAndWait) {
  Recorded r = record("peer_calls", {"40", "10", "500"});
  ASSERT_EQ(r.result.exit_code, 0) << r.result.err;
  ASSERT_FALSE(r.truth.empty()) << r.result.out;
  const auto peers = analyze::summarize_peers(r.capture);
  const std::string backend = "127.0.0.1:" + r.truth.at("port");
  const uint64_t trips = truth(r, "round_trips");

  const analyze::Peer* client = find(peers, "client", backend);
  ASSERT_NE(client, nullptr) << "no client peer " << backend;
  EXPECT_EQ(client->protocol, "tcp");
  EXPECT_EQ(client->sockets, 1u);
  EXPECT_EQ(client->round_trips, trips);
  EXPECT_EQ(client->bytes_sent, trips * truth(r, "request_bytes"));
  EXPECT_EQ(client->bytes_received, trips * truth(r, "reply_bytes"));
  const double measured_ms = static_cast<double>(truth(r, "client_wait_ns")) / 1e6;
  std::printf("backend %s: %llu round trips, waited %.1f ms (program measured %.1f ms)\n", backend.c_str(),
              static_cast<unsigned long long>(client->round_trips), client->wait_ms, measured_ms);
  EXPECT_NEAR(client->wait_ms, measured_ms, 0.25 * measured_ms);
  // It is the peer the target waited on most.
  ASSERT_FALSE(peers.peers.empty());
  EXPECT_EQ(peers.peers.front().address, backend);

  // The backend (a child, followed) served the same exchanges on that port.
  const analyze::Peer* server = find(peers, "server", "127.0.0.1");
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(std::to_string(server->local_port), r.truth.at("port"));
  EXPECT_EQ(server->round_trips, trips);
  EXPECT_EQ(server->bytes_received, trips * truth(r, "request_bytes"));

  // The report says the same, valid against the schema.
  auto rep = run({loadprof_binary(), "report", r.path, "--format", "json"});
  ASSERT_EQ(rep.exit_code, 0) << rep.err;
  auto j = nlohmann::json::parse(rep.out);
  ASSERT_TRUE(j.contains("peers"));
  EXPECT_EQ(j["peers"][0]["address"], backend);
  EXPECT_EQ(j["peers"][0]["round_trips"].get<uint64_t>(), trips);
  LOADPROF_EXPECT_VALID_JSON(loadprof::testing::validate_json_text(r.dir, "report.json", rep.out));
  auto md = run({loadprof_binary(), "report", r.path});
  EXPECT_NE(md.out.find("## Peers"), std::string::npos);
  EXPECT_NE(md.out.find(backend), std::string::npos);
}

TEST_F(PeersE2E, UnixSocketPairPingPongIsOneClientAndOneServer) {
  Recorded r = record("io_calls", {loadprof::testing::temp_dir()});
  ASSERT_EQ(r.result.exit_code, 0) << r.result.err;
  ASSERT_FALSE(r.truth.empty()) << r.result.out;
  const uint64_t trips = truth(r, "round_trips"), bytes = trips * truth(r, "message_bytes");
  const auto peers = analyze::summarize_peers(r.capture);
  uint64_t client_trips = 0, server_trips = 0, client_sent = 0;
  for (const auto& p : peers.peers) {
    if (p.protocol != "unix") continue;
    (p.role == "client" ? client_trips : server_trips) += p.round_trips;
    if (p.role == "client") client_sent += p.bytes_sent;
  }
  EXPECT_EQ(client_trips, trips);
  EXPECT_EQ(server_trips, trips);
  EXPECT_EQ(client_sent, bytes);
}

}  // namespace
