// `loadprof load` as a user runs it: exit codes of SPEC.md, the JSON keys,
// SLO verdicts and Ctrl-C. Runs the real binary against our test server.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "report/schema_check.h"
#include "server_process.h"

using loadprof::test::run_command;
using loadprof::test::ServerProcess;

namespace {
const std::string kBin = std::string(LOADPROF_BINARY_DIR) + "/src/cli/loadprof";

std::vector<std::string> load_args(std::vector<std::string> rest) {
  std::vector<std::string> a{kBin, "load"};
  a.insert(a.end(), rest.begin(), rest.end());
  return a;
}

nlohmann::json read_json(const std::string& path) {
  std::ifstream f(path);
  return nlohmann::json::parse(f, nullptr, false);
}

int unused_port() {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  close(s);  // nobody listens there now: connections are refused
  return ntohs(a.sin_port);
}

// GET path from the test server (one request, Connection: close): the body.
std::string http_get(int port, const std::string& path) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  if (connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(s);
    return "";
  }
  std::string req = "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  (void)!write(s, req.data(), req.size());
  std::string resp;
  char buf[4096];
  ssize_t n;
  while ((n = read(s, buf, sizeof buf)) > 0) resp.append(buf, static_cast<size_t>(n));
  close(s);
  size_t body = resp.find("\r\n\r\n");
  return body == std::string::npos ? "" : resp.substr(body + 4);
}

// "key value" lines (the test server's /bodies) as a map.
std::map<std::string, std::string> key_values(const std::string& text) {
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    size_t sp = line.find(' ');
    out[line.substr(0, sp)] = sp == std::string::npos ? "" : line.substr(sp + 1);
  }
  return out;
}

std::string read_text(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}
}  // namespace

TEST(LoadCli, BadUsageIsExitTwoNamingTheField) {
  struct Case {
    std::vector<std::string> args;
    const char* must_mention;
  } cases[] = {
      {{"http://127.0.0.1:9/", "--rat", "5"}, "rat"},
      {{"http://127.0.0.1:9/", "--dur", "1s"}, "dur"},  // no abbreviations
      {{"127.0.0.1:9/"}, "URL"},
      {{"http://127.0.0.1:99999/"}, "URL"},
      {{"https://127.0.0.1/"}, "not available yet"},
      {{"http://127.0.0.1:9/", "--stages", "10s:abc"}, "--stages"},
      {{"http://127.0.0.1:9/", "--slo", "p98<5ms"}, "--slo"},
      {{"http://127.0.0.1:9/", "--rate", "0"}, "--rate"},
      {{"http://127.0.0.1:9/", "--rate", "10", "--closed"}, "--closed"},
      {{"http://127.0.0.1:9/", "--duration", "soon"}, "--duration"},
      {{"http://127.0.0.1:9/", "--arrival", "bursty", "--rate", "5"}, "--arrival"},
      {{"http://127.0.0.1:9/", "-H", "NoColon"}, "-H"},
      {{"http://127.0.0.1:9/", "--body", "@/nonexistent/file"}, "--body"},
      {{"http://127.0.0.1:9/", "--scenario", "x.json"}, "--scenario"},
      {{"--scenario", "/nonexistent/x.json", "--rate", "5"}, "--scenario"},
      {{"http://127.0.0.1:9/", "--step-duration", "1s"}, "--step-duration"},
      {{"http://127.0.0.1:9/", "--find-capacity", "--closed"}, "--find-capacity"},
      {{"http://127.0.0.1:9/", "--find-capacity", "--step-duration", "10ms"}, "--step-duration"},
      {{}, "URL"},
  };
  for (const auto& k : cases) {
    auto r = run_command(load_args(k.args));
    EXPECT_EQ(r.exit_code, 2) << k.must_mention << ": " << r.err;
    EXPECT_NE(r.err.find(k.must_mention), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;  // one line
  }
}

TEST(LoadCli, UnreachableTargetIsExitFour) {
  auto refused = run_command(load_args(
      {"http://127.0.0.1:" + std::to_string(unused_port()) + "/", "--rate", "10", "--duration", "1s"}));
  EXPECT_EQ(refused.exit_code, 4) << refused.err;
  EXPECT_NE(refused.err.find("refused"), std::string::npos) << refused.err;
  auto unresolvable = run_command(load_args({"http://no-such-host.invalid/", "--duration", "1s"}));
  EXPECT_EQ(unresolvable.exit_code, 4) << unresolvable.err;
}

TEST(LoadCli, JsonHasTheSpecKeysAndSloDecidesTheExitCode) {
  ServerProcess server({"--service-ms", "10"});
  ASSERT_GT(server.port(), 0);
  std::string json = "/tmp/loadprof_cli_load_" + std::to_string(getpid()) + ".json";
  auto ok = run_command(load_args({server.url(), "--stages", "1s:100,1s:200", "--slo", "p99<2000ms,errors<1%",
                                   "--json", json, "--threads", "1"}));
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ok.out.find("total"), std::string::npos);
  auto j = read_json(json);
  ASSERT_FALSE(j.is_discarded());
  for (const char* k : {"loadprof_version", "interrupted", "duration_s", "requests", "errors",
                        "error_rate_pct", "errors_by_class", "throughput_rps", "latency_ms",
                        "service_time_ms", "schedule_lag_ms", "late_starts", "stages", "timeseries", "slo"})
    EXPECT_TRUE(j.contains(k)) << k;
  for (const char* k : {"connect", "timeout", "reset", "read", "4xx", "5xx"})
    EXPECT_TRUE(j["errors_by_class"].contains(k)) << k;
  for (const char* k : {"p50", "p90", "p95", "p99", "p999", "max"})
    EXPECT_TRUE(j["latency_ms"].contains(k)) << k;
  EXPECT_EQ(j["interrupted"], false);
  EXPECT_NEAR(j["requests"].get<double>(), 300.0, 6.0);
  EXPECT_NEAR(j["throughput_rps"].get<double>(), 150.0, 7.5);
  ASSERT_EQ(j["stages"].size(), 2u);
  EXPECT_NEAR(j["stages"][1]["throughput_rps"].get<double>(), 200.0, 10.0);
  EXPECT_EQ(j["stages"][0]["slo_ok"], true);
  ASSERT_EQ(j["slo"].size(), 2u);
  EXPECT_EQ(j["slo"][0]["term"], "p99<2000ms");
  EXPECT_EQ(j["slo"][0]["ok"], true);
  EXPECT_GE(j["latency_ms"]["p50"].get<double>(), 10.0);
  EXPECT_GE(j["timeseries"].size(), 2u);
  EXPECT_TRUE(j["timeseries"][0].contains("requested_rps"));

  auto broken = run_command(
      load_args({server.url(), "--rate", "100", "--duration", "1s", "--slo", "p50<1ms", "--json", json}));
  EXPECT_EQ(broken.exit_code, 1) << broken.err;
  EXPECT_NE(broken.out.find("BROKEN"), std::string::npos) << broken.out;
  auto jb = read_json(json);
  EXPECT_EQ(jb["slo"][0]["ok"], false);
  EXPECT_GE(jb["slo"][0]["value"].get<double>(), 10.0);
  std::remove(json.c_str());
}

TEST(LoadCli, CtrlCKeepsResultsMarksInterruptedAndExitsZero) {
  ServerProcess server({"--service-ms", "1"});
  ASSERT_GT(server.port(), 0);
  std::string json = "/tmp/loadprof_cli_int_" + std::to_string(getpid()) + ".json";
  auto r = run_command(
      load_args({server.url(), "--rate", "200", "--duration", "30s", "--slo", "p50<0.001ms", "--json", json}),
      1500);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("INTERRUPTED"), std::string::npos) << r.out;
  auto j = read_json(json);
  ASSERT_FALSE(j.is_discarded());
  EXPECT_EQ(j["interrupted"], true);
  EXPECT_GT(j["requests"].get<int>(), 100);
  EXPECT_LT(j["duration_s"].get<double>(), 5.0);
  std::remove(json.c_str());
}

TEST(LoadCli, ClosedModelPostWithHeadersAndBody) {
  ServerProcess server({});
  ASSERT_GT(server.port(), 0);
  std::string body = "/tmp/loadprof_cli_body_" + std::to_string(getpid()) + ".json";
  { std::ofstream(body) << "{\"order\": 1}"; }
  auto r = run_command(
      load_args({server.url("/api"), "--closed", "--connections", "4", "--threads", "2", "--duration", "1s",
                 "--method", "POST", "-H", "Content-Type: application/json", "--body", "@" + body}));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("closed model, 2 thread(s), 4 connection(s)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("connect 0 timeout 0 reset 0 read 0 4xx 0 5xx 0"), std::string::npos) << r.out;
  std::remove(body.c_str());
  // The server received the body and the header with every request.
  auto seen = key_values(http_get(server.port(), "/bodies"));
  uint64_t count = std::stoull(seen["count"]);
  EXPECT_GT(count, 100u);
  EXPECT_EQ(std::stoull(seen["bytes"]), count * std::string("{\"order\": 1}").size());
  EXPECT_EQ(seen["distinct"], "1");
  EXPECT_EQ(seen["first"], "{\"order\": 1}");
  EXPECT_EQ(seen["content_type"], "application/json");
}

TEST(LoadCli, TimeoutsBreakALatencySloTheyUsedToHide) {
  // The issue's reproduction: a server that stalls 500 ms every second, a 20 ms
  // timeout, p99<25ms. About half the requests time out; their latency is at
  // least the timeout and unknown beyond it: the SLO cannot be met (exit 1).
  ServerProcess server({"--service-ms", "1", "--stall-every-ms", "1000", "--stall-ms", "500"});
  ASSERT_GT(server.port(), 0);
  std::string json = "/tmp/loadprof_cli_stall_" + std::to_string(getpid()) + ".json";
  auto r = run_command(load_args({server.url(), "--rate", "200", "--duration", "3s", "--timeout", "20ms",
                                  "--slo", "p99<25ms", "--json", json}));
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("BROKEN"), std::string::npos) << r.out;
  auto j = read_json(json);
  ASSERT_FALSE(j.is_discarded());
  EXPECT_GT(j["errors_by_class"]["timeout"].get<double>(), 0.2 * j["requests"].get<double>());
  EXPECT_GE(j["latency_ms"]["p99"].get<double>(), 20.0);
  EXPECT_EQ(j["slo"][0]["ok"], false);
  EXPECT_GE(j["slo"][0]["value"].get<double>(), 20.0);
  std::remove(json.c_str());
}

TEST(LoadCli, RealJsonOutputValidatesAgainstTheSchema) {
  // What `load --json` really writes, in its shapes: open model with failures,
  // closed model, a capacity search. Validated by a real validator against
  // docs/report.schema.json.
  auto dir = loadprof::testing::test_dir();
  std::string json = (dir / "out.json").string();
  {
    ServerProcess server({"--service-ms", "1", "--stall-every-ms", "1000", "--stall-ms", "300"});
    ASSERT_GT(server.port(), 0);
    auto r = run_command(load_args({server.url(), "--stages", "1s:100,1s:50->150", "--timeout", "20ms",
                                    "--slo", "p99<25ms,errors<50%", "--json", json}));
    ASSERT_LE(r.exit_code, 1) << r.err;
    auto text = read_text(json);
    auto j = nlohmann::json::parse(text);
    EXPECT_GT(j["errors_by_class"]["timeout"].get<int>(), 0);  // failures, censoring: all in the document
    EXPECT_TRUE(j["load"].contains("connect_time_ms"));
    LOADPROF_EXPECT_VALID_JSON(loadprof::testing::validate_json_text(dir, "open.json", text));
    // A misspelled shared key is caught: the check can fail.
    j["latency"] = j["latency_ms"];
    auto bad = loadprof::testing::validate_json_text(dir, "bad.json", j.dump());
    EXPECT_EQ(bad.exit_code, 1) << bad.output;
    EXPECT_NE(bad.output.find("'latency' was unexpected"), std::string::npos) << bad.output;
  }
  {
    ServerProcess server({"--service-ms", "2"});
    ASSERT_GT(server.port(), 0);
    auto r = run_command(load_args({server.url(), "--closed", "--connections", "4", "--duration", "1s",
                                    "--no-keepalive", "--json", json}));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto text = read_text(json);
    EXPECT_EQ(nlohmann::json::parse(text)["load"]["model"], "closed");
    LOADPROF_EXPECT_VALID_JSON(loadprof::testing::validate_json_text(dir, "closed.json", text));
  }
  {
    ServerProcess server({"--service-ms", "5", "--capacity", "1"});
    ASSERT_GT(server.port(), 0);
    auto r = run_command(load_args({server.url(), "--find-capacity", "--rate", "100", "--step-duration",
                                    "500ms", "--duration", "6s", "--slo", "p99<50ms", "--json", json}));
    ASSERT_LE(r.exit_code, 1) << r.err;
    auto text = read_text(json);
    EXPECT_TRUE(nlohmann::json::parse(text).contains("capacity"));
    LOADPROF_EXPECT_VALID_JSON(loadprof::testing::validate_json_text(dir, "capacity.json", text));
  }
}

TEST(LoadCli, ConnectionsPastTheFileLimitAreWarnedAndCounted) {
  // 100 connections under a limit of 40 descriptors: the run says so, and the
  // connections that could not get a socket are counted (local connect errors).
  ServerProcess server({"--service-ms", "1"});
  ASSERT_GT(server.port(), 0);
  std::string json = "/tmp/loadprof_cli_nofile_" + std::to_string(getpid()) + ".json";
  std::vector<std::string> args{"/usr/bin/prlimit",
                                "--nofile=40:40",
                                kBin,
                                "load",
                                server.url(),
                                "--closed",
                                "--connections",
                                "100",
                                "--threads",
                                "1",
                                "--duration",
                                "1s",
                                "--json",
                                json};
  auto r = run_command(args);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE((r.out + r.err).find("open-file limit is 40"), std::string::npos) << r.out << r.err;
  auto j = read_json(json);
  ASSERT_FALSE(j.is_discarded());
  EXPECT_GT(j["load"]["local_errors"].get<int>(), 0);
  EXPECT_GE(j["errors_by_class"]["connect"].get<int>(), j["load"]["local_errors"].get<int>());
  ASSERT_EQ(j["load"]["warnings"].size(), 1u);
  std::remove(json.c_str());
}

TEST(LoadCli, AJsonFileThatCannotBeWrittenIsAnError) {
  // /dev/full accepts the open and fails the write: a small JSON fails only
  // when the stream is flushed at close. That must not pass for success.
  ServerProcess server({"--service-ms", "1"});
  ASSERT_GT(server.port(), 0);
  auto r = run_command(load_args({server.url(), "--closed", "--connections", "1", "--duration", "300ms",
                                  "--threads", "1", "--json", "/dev/full"}));
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("--json"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("No space left"), std::string::npos) << r.err;
}

// Figures in the text output carry their units: SLO values, rates, no
// exponent notation; a bare latency threshold is echoed as read (ms).
TEST(LoadCli, TextOutputGivesEveryFigureItsUnit) {
  ServerProcess server({"--service-ms", "1"});
  ASSERT_GT(server.port(), 0);
  auto r = run_command(load_args({server.url(), "--rate", "100", "--duration", "1s", "--threads", "1",
                                  "--slo", "p99<50,errors<1%,rps>10"}));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  // The interpretation of "p99<50", said once, and the term shown with its unit.
  const std::string echo = "p99<50 read as p99<50ms";
  ASSERT_NE(r.err.find(echo), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find(echo, r.err.find(echo) + 1), std::string::npos) << r.err;
  std::map<std::string, std::string> unit_of;  // term -> the unit its measured value was printed with
  std::istringstream in(r.out);
  std::string line;
  while (std::getline(in, line)) {
    EXPECT_EQ(line.find("e+"), std::string::npos) << "exponent notation: " << line;
    std::istringstream words(line);
    std::string term, measured, value, unit;
    if (words >> term >> measured >> value >> unit && measured == "measured") {
      char* end = nullptr;
      std::strtod(value.c_str(), &end);
      EXPECT_EQ(*end, '\0') << line;  // a plain number, then its unit as its own word
      unit_of[term] = unit;
    }
  }
  EXPECT_EQ(unit_of["p99<50ms"], "ms") << r.out;
  EXPECT_EQ(unit_of["errors<1%"], "%") << r.out;
  EXPECT_EQ(unit_of["rps>10"], "req/s") << r.out;
}

// A status-code breakdown and the bytes received per second, against a server
// whose every response has a known size.
TEST(LoadCli, StatusCodesAndBytesPerSecondAreCounted) {
  ServerProcess server({"--service-ms", "1", "--body-bytes", "1000"});
  ASSERT_GT(server.port(), 0);
  auto dir = loadprof::testing::test_dir();
  std::string json = (dir / "codes.json").string();
  auto r = run_command(load_args(
      {server.url("/status/404"), "--rate", "100", "--duration", "1s", "--threads", "1", "--json", json}));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto j = read_json(json);
  const auto requests = j["requests"].get<uint64_t>();
  ASSERT_GT(requests, 80u);
  EXPECT_EQ(j["load"]["status_codes"].size(), 1u) << j["load"]["status_codes"];
  EXPECT_EQ(j["load"]["status_codes"]["404"].get<uint64_t>(), requests);
  const std::string head = "HTTP/1.1 404 X\r\nServer: loadprof-test\r\nContent-Length: 1000\r\n\r\n";
  EXPECT_EQ(j["load"]["received_bytes"].get<uint64_t>(), requests * (head.size() + 1000));
  const double per_s = j["load"]["received_bytes_per_s"].get<double>();
  EXPECT_NEAR(per_s, static_cast<double>(requests * (head.size() + 1000)) / j["duration_s"].get<double>(),
              per_s * 0.01);
  EXPECT_NE(r.out.find("status codes: 404 " + std::to_string(requests) + "\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" KiB/s\n"), std::string::npos) << r.out;
  LOADPROF_EXPECT_VALID_JSON(loadprof::testing::validate_json_text(dir, "codes.json", read_text(json)));
}

// A target killed mid-run: the run still ends 0 (errors are data), but says
// from when the target stopped answering, and how.
TEST(LoadCli, ATargetThatDiesMidRunIsNamedWithTheTimeItStopped) {
  ServerProcess server({"--service-ms", "1"});
  ASSERT_GT(server.port(), 0);
  auto dir = loadprof::testing::test_dir();
  std::string json = (dir / "died.json").string();
  std::thread killer([&] {
    usleep(1'500'000);
    server.kill_now();
  });
  auto r = run_command(
      load_args({server.url(), "--rate", "100", "--duration", "3s", "--threads", "1", "--json", json}));
  killer.join();
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto j = read_json(json);
  EXPECT_GT(j["errors_by_class"]["connect"].get<int>(), 100);
  const double first = j["load"]["errors_seen_s"]["connect"]["first_s"].get<double>();
  EXPECT_GT(first, 1.2);  // the process start, run_command's fork, are in the 1.5 s
  EXPECT_LT(first, 1.8);
  ASSERT_TRUE(j["load"]["stopped_answering"].is_string()) << j["load"];
  const std::string said = j["load"]["stopped_answering"];
  char expected[64];
  std::snprintf(expected, sizeof expected, "connection refused from %.1f s on", first);
  EXPECT_NE(said.find(expected), std::string::npos) << said;
  EXPECT_NE(r.out.find("warning: the target stopped answering: connection refused from "), std::string::npos)
      << r.out;
  LOADPROF_EXPECT_VALID_JSON(loadprof::testing::validate_json_text(dir, "died.json", read_text(json)));
}

// A target that answers to the end draws no such warning.
TEST(LoadCli, AHealthyTargetIsNotSaidToHaveStopped) {
  ServerProcess server({"--service-ms", "1"});
  ASSERT_GT(server.port(), 0);
  auto r = run_command(load_args({server.url(), "--rate", "100", "--duration", "1s", "--threads", "1"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find("stopped answering"), std::string::npos) << r.out;
}
