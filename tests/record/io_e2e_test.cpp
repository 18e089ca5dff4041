// The io probe end to end: `loadprof record --probes cpu,io` on
// tests/programs/io_calls (real BPF, real pipe, file, fsync and socket), read
// back through the capture reader and the report. Each call the program makes
// must come back under its syscall, its fd kind and its own function, with
// the count and bytes the program issued; a pipe read that waits ~45 ms for a
// byte must land in the log2 latency bucket of the time the program measured
// for it, and its recorded time must agree with the program's within ±25 %.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <bit>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "loadprof/capture/folded.h"
#include "loadprof/capture/io_names.h"
#include "loadprof/capture/reader.h"
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
  std::string dir;  // the capture and the program's file are written here
  std::string path;
};

Recorded record(const std::string& probes) {
  Recorded r;
  r.dir = loadprof::testing::temp_dir();
  r.path = r.dir + "/io.lpc";
  r.result = run({loadprof_binary(), "record", "--probes", probes, "--output", r.path, "--",
                  test_program("io_calls"), r.dir});
  auto cap = capture::read_capture(r.path);
  if (cap.ok()) r.capture = std::move(*cap);
  auto lines = loadprof::testing::ground_truth_lines(r.result.out, "io_calls");
  if (lines.size() == 1) r.truth = lines[0];
  return r;
}

bool stack_has(const capture::Capture& c, capture::StackId id, const std::string& function) {
  if (id == capture::kNoStack) return false;
  for (auto fid : c.stacks.at(id).frames) {
    if (c.frames.at(fid).function == function) return true;
  }
  return false;
}

// The records of one syscall on one fd kind called from `function`, summed.
struct Sum {
  uint64_t records = 0, count = 0, bytes = 0, errors = 0, total_ns = 0, max_ns = 0;
  capture::LatencyLog2 latency_log2{};
};

Sum sum_of(const capture::Capture& c, capture::IoSyscall syscall, capture::FdKind kind,
           const std::string& function) {
  Sum s;
  for (const auto& r : c.io_syscalls) {
    if (r.syscall != syscall || r.fd_kind != kind || !stack_has(c, r.stack, function)) continue;
    ++s.records;
    s.count += r.count;
    s.bytes += r.bytes;
    s.errors += r.errors;
    s.total_ns += r.total_ns;
    s.max_ns = std::max(s.max_ns, r.max_ns);
    for (size_t b = 0; b < capture::kIoLatencyBuckets; ++b) s.latency_log2[b] += r.latency_log2[b];
  }
  return s;
}

size_t bucket_of(uint64_t ns) { return ns == 0 ? 0 : static_cast<size_t>(std::bit_width(ns) - 1); }

uint64_t truth(const Recorded& r, const std::string& key) { return std::stoull(r.truth.at(key)); }

class IoE2E : public ::testing::Test {
 protected:
  void SetUp() override { LOADPROF_REQUIRE_BPF_PRIVILEGES(); }
};

TEST_F(IoE2E, EachCallUnderItsSyscallFdKindAndFunctionWithItsCountBytesAndTime) {
  Recorded r = record("cpu,io");
  ASSERT_EQ(r.result.exit_code, 0) << r.result.err;
  ASSERT_FALSE(r.truth.empty()) << r.result.out;
  ASSERT_FALSE(r.capture.io_syscalls.empty());

  // The slow pipe reads: one record each (>= 1 ms: sent on their own), in
  // the log2 bucket of the time the program measured.
  const Sum pipe = sum_of(r.capture, capture::IoSyscall::read, capture::FdKind::pipe, "slow_pipe_read");
  const double pipe_truth_ms = static_cast<double>(truth(r, "pipe_read_ns")) / 1e6;
  std::printf("pipe reads: %llu recorded (%llu records), %.1f ms recorded vs %.1f ms measured\n",
              static_cast<unsigned long long>(pipe.count), static_cast<unsigned long long>(pipe.records),
              static_cast<double>(pipe.total_ns) / 1e6, pipe_truth_ms);
  EXPECT_EQ(pipe.count, truth(r, "pipe_reads"));
  EXPECT_EQ(pipe.bytes, truth(r, "pipe_reads"));  // one byte each
  EXPECT_NEAR(static_cast<double>(pipe.total_ns) / 1e6, pipe_truth_ms, 0.25 * pipe_truth_ms);
  const size_t lo = bucket_of(truth(r, "pipe_read_min_ns")), hi = bucket_of(truth(r, "pipe_read_max_ns"));
  uint64_t in_range = 0;
  for (size_t b = lo; b <= hi; ++b) in_range += pipe.latency_log2[b];
  EXPECT_EQ(in_range, pipe.count) << "buckets " << lo << ".." << hi << " ([2^b, 2^(b+1)) ns)";
  EXPECT_EQ(lo, 25u) << "45 ms lies in [2^25, 2^26) ns = [33.6, 67.1) ms";

  // N writes of B bytes to a file, then an fsync after every batch.
  const Sum writes = sum_of(r.capture, capture::IoSyscall::write, capture::FdKind::file, "file_write");
  EXPECT_EQ(writes.count, truth(r, "writes"));
  EXPECT_EQ(writes.bytes, truth(r, "writes") * truth(r, "write_bytes"));
  EXPECT_EQ(writes.errors, 0u);
  const Sum fsyncs = sum_of(r.capture, capture::IoSyscall::fsync, capture::FdKind::file, "file_fsync");
  EXPECT_EQ(fsyncs.count, truth(r, "fsyncs"));
  const double fsync_truth_ms = static_cast<double>(truth(r, "fsync_ns")) / 1e6;
  std::printf("fsync: %llu calls, %.2f ms recorded vs %.2f ms measured\n",
              static_cast<unsigned long long>(fsyncs.count), static_cast<double>(fsyncs.total_ns) / 1e6,
              fsync_truth_ms);
  EXPECT_NEAR(static_cast<double>(fsyncs.total_ns) / 1e6, fsync_truth_ms, 0.25 * fsync_truth_ms);
  // The fsync's stack names the program's function and the phase above it.
  bool fsync_under_phase = false;
  for (const auto& rec : r.capture.io_syscalls) {
    if (rec.syscall == capture::IoSyscall::fsync && stack_has(r.capture, rec.stack, "file_fsync"))
      fsync_under_phase = fsync_under_phase || stack_has(r.capture, rec.stack, "file_phase");
  }
  EXPECT_TRUE(fsync_under_phase);

  // Socket round trips: the pinging side and the echo thread, fd kind socket.
  const uint64_t trips = truth(r, "round_trips"), message = truth(r, "message_bytes");
  const Sum ping_send = sum_of(r.capture, capture::IoSyscall::sendto, capture::FdKind::socket, "socket_ping");
  const Sum ping_recv =
      sum_of(r.capture, capture::IoSyscall::recvfrom, capture::FdKind::socket, "socket_ping");
  const Sum echo_send =
      sum_of(r.capture, capture::IoSyscall::sendto, capture::FdKind::socket, "socket_echo_once");
  EXPECT_EQ(ping_send.count, trips);
  EXPECT_EQ(ping_send.bytes, trips * message);
  EXPECT_EQ(ping_recv.count, trips);
  EXPECT_EQ(ping_recv.bytes, trips * message);
  EXPECT_EQ(echo_send.count, trips);
  // Nothing of the program's own calls under another fd kind.
  for (const auto& rec : r.capture.io_syscalls) {
    if (stack_has(r.capture, rec.stack, "socket_ping"))
      EXPECT_EQ(rec.fd_kind, capture::FdKind::socket) << capture::io_syscall_name(rec.syscall);
    if (stack_has(r.capture, rec.stack, "file_write"))
      EXPECT_EQ(rec.fd_kind, capture::FdKind::file) << capture::io_syscall_name(rec.syscall);
  }

  // Block requests: the fsyncs wrote to a disk, named from /sys.
  uint64_t disk_writes = 0;
  for (const auto& d : r.capture.io_devices) {
    if (d.op == capture::BlockOp::write) {
      disk_writes += d.count;
      EXPECT_TRUE(std::filesystem::exists("/sys/class/block/" + d.device)) << d.device;
    }
  }
  EXPECT_GT(disk_writes, 0u) << "fsync of " << truth(r, "writes") * truth(r, "write_bytes") << " bytes in "
                             << r.dir << " reached no disk";

  // Nothing lost on a quiet target.
  const auto& drops = r.capture.drops.at("io");
  EXPECT_EQ(drops.at("ringbuf_full"), 0u);
  EXPECT_EQ(drops.at("aggregate_map_full"), 0u);
  EXPECT_EQ(drops.at("inflight_map_full"), 0u);
  EXPECT_EQ(drops.at("request_map_full"), 0u);
}

TEST_F(IoE2E, ReportAndFlameGraphShowTheCallsByTimeAndBytes) {
  Recorded r = record("io");
  ASSERT_EQ(r.result.exit_code, 0) << r.result.err;
  ASSERT_FALSE(r.truth.empty()) << r.result.out;
  EXPECT_TRUE(r.capture.cpu_samples.empty());

  auto json_run = run({loadprof_binary(), "report", r.path, "--format", "json"});
  ASSERT_EQ(json_run.exit_code, 0) << json_run.err;
  auto j = nlohmann::json::parse(json_run.out);
  ASSERT_TRUE(j.contains("io"));
  EXPECT_EQ(j["io"]["latency_histograms"], "log2");
  bool pipe_row = false, fsync_row = false;
  for (const auto& s : j["io"]["syscalls"]) {
    if (s["name"] == "read" && s["fd_kind"] == "pipe") {
      pipe_row = true;
      EXPECT_GE(s["count"].get<uint64_t>(), truth(r, "pipe_reads"));
      // All reads wait ~45 ms: p50 and p99 between the measured min and max.
      const double min_ms = static_cast<double>(truth(r, "pipe_read_min_ns")) / 1e6;
      const double max_ms = static_cast<double>(truth(r, "pipe_read_max_ns")) / 1e6;
      EXPECT_GE(s["latency_ms"]["p50"].get<double>(), 0.75 * min_ms);
      EXPECT_LE(s["latency_ms"]["p99"].get<double>(), 1.25 * max_ms);
      EXPECT_NEAR(s["latency_ms"]["max"].get<double>(), max_ms, 0.25 * max_ms);
    }
    if (s["name"] == "fsync" && s["fd_kind"] == "file") {
      fsync_row = true;
      EXPECT_EQ(s["count"].get<uint64_t>(), truth(r, "fsyncs"));
    }
  }
  EXPECT_TRUE(pipe_row);
  EXPECT_TRUE(fsync_row);
  EXPECT_EQ(j["samples"]["io"].get<uint64_t>() >= truth(r, "writes"), true);

  // Folded by time: the pipe wait under its function, the syscall as the leaf.
  auto by_time = run({loadprof_binary(), "report", r.path, "--format", "folded", "--kind", "io"});
  ASSERT_EQ(by_time.exit_code, 0) << by_time.err;
  double pipe_ms = 0;
  std::istringstream lines(by_time.out);
  for (std::string line; std::getline(lines, line);) {
    if (line.find(";slow_pipe_read;[io:read:pipe] ") != std::string::npos)
      pipe_ms += std::stod(line.substr(line.rfind(' ') + 1)) / 1e6;
  }
  const double pipe_truth_ms = static_cast<double>(truth(r, "pipe_read_ns")) / 1e6;
  EXPECT_NEAR(pipe_ms, pipe_truth_ms, 0.25 * pipe_truth_ms) << by_time.out;
  // By bytes: the file writes' bytes under file_write.
  auto by_bytes =
      run({loadprof_binary(), "report", r.path, "--format", "folded", "--kind", "io", "--weight", "bytes"});
  ASSERT_EQ(by_bytes.exit_code, 0) << by_bytes.err;
  uint64_t write_bytes = 0;
  std::istringstream blines(by_bytes.out);
  for (std::string line; std::getline(blines, line);) {
    if (line.find(";file_write;[io:write:file] ") != std::string::npos)
      write_bytes += std::stoull(line.substr(line.rfind(' ') + 1));
  }
  EXPECT_EQ(write_bytes, truth(r, "writes") * truth(r, "write_bytes"));
  // --weight bytes belongs to io only.
  auto bad =
      run({loadprof_binary(), "report", r.path, "--format", "folded", "--kind", "cpu", "--weight", "bytes"});
  EXPECT_EQ(bad.exit_code, 2);

  // --output-dir writes io.folded and io.svg with the rest.
  const std::string dir = r.dir + "/out";
  auto all = run({loadprof_binary(), "report", r.path, "--output-dir", dir});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  EXPECT_TRUE(std::filesystem::exists(dir + "/io.folded"));
  EXPECT_TRUE(std::filesystem::exists(dir + "/io.svg"));
  EXPECT_GT(std::filesystem::file_size(dir + "/io.svg"), 1000u);
}

// tests/programs/nofp_io: built without frame pointers, its reads and fsyncs
// go through glibc (none either). With no --unwind flag (auto: DWARF) each
// call is sent with its registers and stack copy, unwound in the recorder and
// merged by the unwound stack: every call lands under the function that made
// it (two callers of the same read on the same file kept apart), up to main,
// with the program's counts and bytes and, for the slow pipe reads and the
// fsyncs, its time within ±25 %. With --unwind fp the callers are lost (the
// contrast: < 5 % of the time under them).
TEST_F(IoE2E, WithoutFramePointersDwarfStacksNameEachCallsCaller) {
  for (const std::string unwind : {"auto", "fp"}) {
    SCOPED_TRACE(unwind);
    Recorded r;
    r.dir = loadprof::testing::temp_dir();
    r.path = r.dir + "/nofp_io.lpc";
    r.result = run({loadprof_binary(), "record", "--probes", "io", "--unwind", unwind, "--output", r.path,
                    "--", test_program("nofp_io"), r.dir});
    ASSERT_EQ(r.result.exit_code, 0) << r.result.err;
    auto cap = capture::read_capture(r.path);
    ASSERT_TRUE(cap.ok());
    r.capture = std::move(*cap);
    auto lines = loadprof::testing::ground_truth_lines(r.result.out, "nofp_io");
    ASSERT_EQ(lines.size(), 1u) << r.result.out;
    r.truth = lines[0];

    struct Case {
      const char* function;
      capture::IoSyscall syscall;
      capture::FdKind kind;
      const char* calls_key;
      const char* bytes_key;  // nullptr: no bytes to check
      const char* ns_key;     // nullptr: calls too short to compare with the wall clock
    };
    const Case cases[] = {
        {"read_header", capture::IoSyscall::read, capture::FdKind::file, "header_reads", "header_bytes",
         nullptr},
        {"read_body", capture::IoSyscall::read, capture::FdKind::file, "body_reads", "body_bytes", nullptr},
        {"wait_pipe", capture::IoSyscall::read, capture::FdKind::pipe, "pipe_reads", "pipe_reads",
         "pipe_read_ns"},
        {"sync_file", capture::IoSyscall::fsync, capture::FdKind::file, "fsyncs", nullptr, "fsync_ns"},
    };
    // Everything of (syscall, fd kind) the program's functions made, whatever its stack.
    auto all_of = [&](capture::IoSyscall syscall, capture::FdKind kind) {
      Sum s;
      for (const auto& rec : r.capture.io_syscalls) {
        if (rec.syscall != syscall || rec.fd_kind != kind) continue;
        s.count += rec.count;
        s.total_ns += rec.total_ns;
      }
      return s;
    };
    double header_body_ns = 0;
    for (const Case& c : cases) {
      SCOPED_TRACE(c.function);
      const Sum mine = sum_of(r.capture, c.syscall, c.kind, c.function);
      const Sum to_main = sum_of(r.capture, c.syscall, c.kind, "main");
      const Sum all = all_of(c.syscall, c.kind);
      const double share = all.total_ns ? 100.0 * static_cast<double>(mine.total_ns) / all.total_ns : 0;
      std::printf(
          "nofp_io (%s) %-11s %5llu of %5llu calls under it (truth %s), %8.3f ms = %5.1f %% of the "
          "%s time; under main %5.1f %%\n",
          unwind.c_str(), c.function, static_cast<unsigned long long>(mine.count),
          static_cast<unsigned long long>(all.count), r.truth.at(c.calls_key).c_str(),
          static_cast<double>(mine.total_ns) / 1e6, share, capture::io_syscall_name(c.syscall),
          all.total_ns ? 100.0 * static_cast<double>(to_main.total_ns) / all.total_ns : 0.0);
      if (unwind == "fp") {
        EXPECT_LT(share, 5.0);
        continue;
      }
      EXPECT_EQ(mine.count, truth(r, c.calls_key));
      if (c.bytes_key) EXPECT_EQ(mine.bytes, truth(r, c.bytes_key));
      if (c.ns_key) {
        const double truth_ms = static_cast<double>(truth(r, c.ns_key)) / 1e6;
        EXPECT_NEAR(static_cast<double>(mine.total_ns) / 1e6, truth_ms, 0.25 * truth_ms);
        EXPECT_GE(share, 95.0);
        EXPECT_GE(to_main.total_ns * 100, mine.total_ns * 95);
      } else {
        header_body_ns += static_cast<double>(mine.total_ns);
        EXPECT_GE(to_main.count * 100, mine.count * 95);
      }
    }
    if (unwind != "fp") {
      // The file reads (two callers, one syscall and fd kind): >= 95 % of their time under the two.
      const Sum file_reads = all_of(capture::IoSyscall::read, capture::FdKind::file);
      EXPECT_GE(header_body_ns, 0.95 * static_cast<double>(file_reads.total_ns));
      const auto& drops = r.capture.drops.at("io");
      EXPECT_EQ(drops.at("dwarf_ringbuf_full"), 0u);
      EXPECT_EQ(drops.at("dwarf_stack_not_copied"), 0u);
      EXPECT_EQ(drops.at("ringbuf_full"), 0u);
    }
  }
}

}  // namespace
