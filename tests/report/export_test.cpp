// The stack exports on a hand-built capture with known shares: hot 60 %,
// inl_helper (inlined into warm) 30 %, main 5 %, a kernel frame 5 %, on two
// threads. pprof: our own decoder checks the Profile message field by field,
// and go tool pprof -top (the real reader) gives the same flat shares.
// speedscope: valid against speedscope's published schema, stacks root first,
// the same shares. Both also through the loadprof binary on a .lpc file.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "loadprof/capture/folded.h"
#include "loadprof/capture/writer.h"
#include "loadprof/report/pprof.h"
#include "loadprof/report/speedscope.h"
#include "report/go_pprof.h"
#include "report/proto_decode.h"
#include "report/schema_check.h"

namespace loadprof::report {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using testing::decode_message;
using testing::decode_packed;
using testing::fields_of;
using testing::ProtoField;
using testing::varint_of;

constexpr uint64_t kStartNs = 1'000'000'000, kRealtimeNs = 1'700'000'000'000'000'000ull;

capture::Capture known_capture() {
  capture::Capture c;
  c.metadata.frequency_hz = 1000;  // period 1 ms
  c.metadata.probes = {"cpu"};
  c.metadata.start_monotonic_ns = kStartNs;
  c.metadata.start_realtime_ns = kRealtimeNs;
  c.metadata.command_line = "loadprof record -- app";
  c.clock_sync = {{kStartNs, kRealtimeNs}, {kStartNs + 2'000'000'000, kRealtimeNs + 2'000'000'500}};
  capture::Process app;
  app.pid = 100;
  app.command = "app";
  app.start_ns = kStartNs;
  app.launched = app.root = true;
  c.processes = {app};
  c.threads = {{100, 100, "app", kStartNs, {}}, {100, 101, "worker", kStartNs, {}}};
  // Before the exec the launched process was loadprof; libc comes first in the table.
  c.mappings = {{100, kStartNs - 5, 0x600000, 0x700000, 0, "/usr/bin/loadprof", "feed", true},
                {100, kStartNs, 0x7f0000000000, 0x7f0000100000, 0x1000, "/usr/lib/libc.so.6", "c0ffee", true},
                {100, kStartNs, 0x400000, 0x500000, 0, "/usr/bin/app", "abcd1234", true}};
  c.frames = {
      {0x401000, "main", "app", 0x1000, "app.c", 10, false, false},              // 0
      {0x402000, "a", "app", 0x2000, "app.c", 20, false, false},                 // 1
      {0x403000, "hot", "app", 0x3000, "app.c", 30, false, false},               // 2
      {0x404010, "inl_helper", "app", 0x4010, "app.h", 5, true, false},          // 3, inlined into warm
      {0x404010, "warm", "app", 0x4010, "app.c", 44, false, false},              // 4
      {0xffffffff81000000, "do_syscall_64", "[kernel]", 0, "", 0, false, true},  // 5
      {0x403020, "hot", "app", 0x3020, "app.c", 31, false, false},               // 6: hot, another address
  };
  c.stacks = {{{2, 1, 0}, false}, {{3, 4, 1, 0}, false}, {{0}, false}, {{5, 6, 1, 0}, false}};
  uint64_t t = kStartNs;
  auto add = [&](uint32_t tid, capture::StackId stack, int n) {
    for (int i = 0; i < n; ++i) c.cpu_samples.push_back({t += 1'000'000, 100, tid, 0, stack});
  };
  add(100, 0, 300);  // main thread: hot, then main alone, then hot again (3 runs)
  add(101, 1, 300);  // worker: inl_helper
  add(100, 2, 50);
  add(100, 0, 300);
  add(101, 3, 50);  // worker: the kernel under hot
  c.end = capture::EndInfo{kStartNs + 2'000'000'000, false, {}, "duration"};
  return c;
}

// The decoded Profile, with names resolved through its string table.
struct Decoded {
  std::vector<ProtoField> fields;
  std::vector<std::string> strings;
  std::map<uint64_t, std::vector<ProtoField>> locations, functions, mappings;

  std::string str(uint64_t i) const { return i < strings.size() ? strings[i] : "<bad string index>"; }
  // Function names of a location's lines, innermost first.
  std::vector<std::string> line_names(uint64_t location_id) const {
    std::vector<std::string> names;
    for (const auto& l : fields_of(locations.at(location_id), 4)) {
      auto line = decode_message(l.bytes);
      names.push_back(str(varint_of(functions.at(varint_of(*line, 1)), 2)));
    }
    return names;
  }
};

Decoded decode_profile(const std::string& proto) {
  Decoded d;
  auto fields = decode_message(proto);
  EXPECT_TRUE(fields) << "the profile does not decode";
  if (!fields) return d;
  d.fields = *fields;
  for (const auto& s : fields_of(d.fields, 6)) d.strings.push_back(s.bytes);
  for (auto [number, table] : {std::pair{4u, &d.locations}, {5u, &d.functions}, {3u, &d.mappings}}) {
    for (const auto& f : fields_of(d.fields, number)) {
      auto m = decode_message(f.bytes);
      EXPECT_TRUE(m);
      const uint64_t id = varint_of(*m, 1);
      EXPECT_NE(id, 0u);
      EXPECT_FALSE(table->count(id)) << "duplicate id " << id << " in field " << number;
      (*table)[id] = *m;
    }
  }
  return d;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class Export : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::test_dir(); }
  fs::path dir_;
};

TEST_F(Export, PprofProfileMessageFieldByField) {
  auto proto = encode_pprof_profile(known_capture(), "cpu");
  ASSERT_TRUE(proto.ok()) << proto.error().message;
  const Decoded d = decode_profile(*proto);
  ASSERT_FALSE(d.strings.empty());
  EXPECT_EQ(d.strings[0], "");

  // sample_type: samples/count, cpu/nanoseconds; period 1 ms of cpu nanoseconds.
  auto types = fields_of(d.fields, 1);
  ASSERT_EQ(types.size(), 2u);
  auto t0 = decode_message(types[0].bytes), t1 = decode_message(types[1].bytes);
  EXPECT_EQ(d.str(varint_of(*t0, 1)) + "/" + d.str(varint_of(*t0, 2)), "samples/count");
  EXPECT_EQ(d.str(varint_of(*t1, 1)) + "/" + d.str(varint_of(*t1, 2)), "cpu/nanoseconds");
  EXPECT_EQ(varint_of(d.fields, 12), 1'000'000u);
  auto period_type = decode_message(fields_of(d.fields, 11).at(0).bytes);
  EXPECT_EQ(d.str(varint_of(*period_type, 1)), "cpu");
  EXPECT_EQ(d.str(varint_of(d.fields, 14)), "cpu");  // default_sample_type
  // time_nanos: the start through the clock pair; duration: start to end.
  EXPECT_EQ(varint_of(d.fields, 9), kRealtimeNs);
  EXPECT_EQ(varint_of(d.fields, 10), 2'000'000'000u);

  // Samples: one per (pid, tid, stack), values [count, count x period], labels.
  std::map<std::string, uint64_t> flat;  // leaf function -> samples
  uint64_t total = 0;
  auto samples = fields_of(d.fields, 2);
  ASSERT_EQ(samples.size(), 4u);
  bool saw_inline = false;
  for (const auto& s : samples) {
    auto m = decode_message(s.bytes);
    ASSERT_TRUE(m);
    auto values = decode_packed(fields_of(*m, 2).at(0).bytes);
    ASSERT_TRUE(values);
    ASSERT_EQ(values->size(), 2u);
    EXPECT_EQ((*values)[1], (*values)[0] * 1'000'000u);
    total += (*values)[0];
    std::map<std::string, std::string> labels;
    for (const auto& l : fields_of(*m, 3)) {
      auto lm = decode_message(l.bytes);
      labels[d.str(varint_of(*lm, 1))] = d.str(varint_of(*lm, 2));
    }
    EXPECT_EQ(labels["pid"], "100");
    EXPECT_EQ(labels["thread_name"], labels["tid"] == "100" ? "app" : "worker");
    auto ids = decode_packed(fields_of(*m, 1).at(0).bytes);
    ASSERT_TRUE(ids);
    ASSERT_FALSE(ids->empty());
    std::vector<std::string> stack;  // leaf first, inline lines innermost first
    for (uint64_t id : *ids)
      for (const auto& n : d.line_names(id)) stack.push_back(n);
    flat[stack.front()] += (*values)[0];
    EXPECT_EQ(stack.back(), "main");
    if (stack.front() == "inl_helper") {
      saw_inline = true;
      EXPECT_EQ(labels["tid"], "101");
      EXPECT_EQ(stack, (std::vector<std::string>{"inl_helper", "warm", "a", "main"}));
      // inl_helper and warm: two lines of one location at warm's address, in the app mapping.
      EXPECT_EQ(d.line_names((*ids)[0]), (std::vector<std::string>{"inl_helper", "warm"}));
      const auto& loc = d.locations.at((*ids)[0]);
      EXPECT_EQ(varint_of(loc, 3), 0x404010u);
      const auto& map = d.mappings.at(varint_of(loc, 2));
      EXPECT_EQ(varint_of(map, 2), 0x400000u);
      EXPECT_EQ(varint_of(map, 3), 0x500000u);
      EXPECT_EQ(d.str(varint_of(map, 5)), "/usr/bin/app");
      EXPECT_EQ(d.str(varint_of(map, 6)), "abcd1234");
      EXPECT_EQ(varint_of(map, 7), 1u);   // has_functions
      EXPECT_EQ(varint_of(map, 10), 1u);  // has_inline_frames
    }
    if (stack.front() == "do_syscall_64_[k]") {
      EXPECT_EQ(varint_of(d.locations.at((*ids)[0]), 2), 0u);  // kernel: no user mapping
      EXPECT_EQ(stack, (std::vector<std::string>{"do_syscall_64_[k]", "hot", "a", "main"}));
    }
  }
  EXPECT_TRUE(saw_inline);
  // The main binary (what the process exec'd, not a library) is mapping 1: pprof's "File:".
  ASSERT_TRUE(d.mappings.count(1));
  EXPECT_EQ(d.str(varint_of(d.mappings.at(1), 5)), "/usr/bin/app");
  EXPECT_EQ(total, 1000u);
  EXPECT_EQ(flat["hot"], 600u);
  EXPECT_EQ(flat["inl_helper"], 300u);
  EXPECT_EQ(flat["main"], 50u);
  EXPECT_EQ(flat["do_syscall_64_[k]"], 50u);
  // Functions carry their file.
  bool hot_file = false;
  for (const auto& [id, f] : d.functions)
    if (d.str(varint_of(f, 2)) == "hot") hot_file = d.str(varint_of(f, 4)) == "app.c";
  EXPECT_TRUE(hot_file);
}

TEST_F(Export, PprofIsGzippedAndGoToolPprofReadsTheShares) {
  std::ostringstream gz;
  ASSERT_TRUE(write_pprof(gz, known_capture(), "cpu").ok());
  const std::string bytes = gz.str();
  ASSERT_GE(bytes.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(bytes[0]), 0x1f);  // gzip magic
  EXPECT_EQ(static_cast<unsigned char>(bytes[1]), 0x8b);
  auto plain = testing::gunzip(bytes);
  ASSERT_TRUE(plain);
  EXPECT_EQ(*plain, encode_pprof_profile(known_capture(), "cpu").value());

  const fs::path path = dir_ / "cpu.pb.gz";
  std::ofstream(path, std::ios::binary) << bytes;
  auto top = testing::go_pprof_top(path.string());
  LOADPROF_REQUIRE_GO_PPROF(top);
  EXPECT_NEAR(top.flat_pct["hot"], 60.0, 0.01) << top.output;
  EXPECT_NEAR(top.flat_pct["inl_helper"], 30.0, 0.01) << top.output;
  EXPECT_NEAR(top.flat_pct["main"], 5.0, 0.01) << top.output;
  EXPECT_NEAR(top.flat_pct["do_syscall_64_[k]"], 5.0, 0.01) << top.output;
  EXPECT_NE(top.output.find("Type: cpu"), std::string::npos) << top.output;
  EXPECT_NE(top.output.find("File: app\nBuild ID: abcd1234"), std::string::npos) << top.output;
  EXPECT_NE(top.output.find("Duration: 2s, Total samples = 1000ms"), std::string::npos) << top.output;
  // The count sample type, and the worker thread's label: only its samples
  // keep their flat share (of the whole total), hot's 600 are filtered out.
  auto worker = testing::go_pprof_top(path.string(), "-sample_index=samples -tagfocus=thread_name=worker");
  LOADPROF_REQUIRE_GO_PPROF(worker);
  EXPECT_NE(worker.output.find("Type: samples"), std::string::npos) << worker.output;
  EXPECT_NEAR(worker.flat_pct["inl_helper"], 30.0, 0.01) << worker.output;
  EXPECT_NEAR(worker.flat_pct["do_syscall_64_[k]"], 5.0, 0.01) << worker.output;
  EXPECT_NEAR(worker.flat_pct["hot"], 0.0, 0.01) << worker.output;
  EXPECT_NE(worker.output.find("Showing nodes accounting for 350, 35.00% of 1000 total"), std::string::npos)
      << worker.output;
}

TEST_F(Export, PprofKinds) {
  capture::Capture c = known_capture();
  c.offcpu = {{kStartNs, kStartNs + 3000, 100, 101, 0, capture::kNoStack, capture::OffCpuReason::lock, 2},
              {kStartNs, kStartNs + 1000, 100, 100, 2, capture::kNoStack, capture::OffCpuReason::sleep, 1}};
  auto proto = encode_pprof_profile(c, "offcpu");
  ASSERT_TRUE(proto.ok()) << proto.error().message;
  const Decoded d = decode_profile(*proto);
  auto types = fields_of(d.fields, 1);
  ASSERT_EQ(types.size(), 2u);
  auto t1 = decode_message(types[1].bytes);
  EXPECT_EQ(d.str(varint_of(*t1, 1)) + "/" + d.str(varint_of(*t1, 2)), "offcpu/nanoseconds");
  uint64_t count = 0, ns = 0;
  for (const auto& s : fields_of(d.fields, 2)) {
    auto values = decode_packed(fields_of(*decode_message(s.bytes), 2).at(0).bytes);
    count += (*values)[0];
    ns += (*values)[1];
  }
  EXPECT_EQ(count, 3u);
  EXPECT_EQ(ns, 4000u);

  // io: each record's calls and the time inside them.
  capture::IoSyscallRecord merged;
  merged.pid = 100;
  merged.tid = 101;
  merged.syscall = capture::IoSyscall::write;
  merged.fd_kind = capture::FdKind::file;
  merged.stack = 0;
  merged.count = 40;
  merged.total_ns = 200'000;
  capture::IoSyscallRecord slow = merged;
  slow.count = 1;
  slow.total_ns = 5'000'000;
  c.io_syscalls = {merged, slow};
  const Decoded io = decode_profile(encode_pprof_profile(c, "io").value());
  auto io_types = fields_of(io.fields, 1);
  ASSERT_EQ(io_types.size(), 2u);
  auto io0 = decode_message(io_types[0].bytes);
  auto io1 = decode_message(io_types[1].bytes);
  EXPECT_EQ(io.str(varint_of(*io0, 1)) + "/" + io.str(varint_of(*io0, 2)), "calls/count");
  EXPECT_EQ(io.str(varint_of(*io1, 1)) + "/" + io.str(varint_of(*io1, 2)), "io/nanoseconds");
  uint64_t calls = 0, io_ns = 0;
  for (const auto& s : fields_of(io.fields, 2)) {
    auto values = decode_packed(fields_of(*decode_message(s.bytes), 2).at(0).bytes);
    calls += (*values)[0];
    io_ns += (*values)[1];
  }
  EXPECT_EQ(calls, 41u);
  EXPECT_EQ(io_ns, 5'200'000u);

  // No frequency: samples only, no period.
  c.metadata.frequency_hz = 0;
  const Decoded counts = decode_profile(encode_pprof_profile(c, "cpu").value());
  EXPECT_EQ(fields_of(counts.fields, 1).size(), 1u);
  EXPECT_EQ(varint_of(counts.fields, 12), 0u);

  EXPECT_EQ(encode_pprof_profile(c, "bogus").error().kind, ErrorKind::usage);
}

// The folded lines of a kind, without their root (the process) frame: how
// pprof and speedscope, which have no process frame, must read the same stacks.
std::map<std::string, uint64_t> folded_without_root(const capture::Capture& c, const std::string& kind) {
  std::map<std::string, uint64_t> out;
  for (const auto& l : capture::folded_stacks(c, kind).value()) {
    const size_t first = l.stack.find(';');
    out[first == std::string::npos ? "" : l.stack.substr(first + 1)] += l.count;
  }
  return out;
}

std::string joined(const std::vector<std::string>& frames) {
  std::string s;
  for (const auto& f : frames) s += (s.empty() ? "" : ";") + f;
  return s;
}

// wall and wakers: the off-CPU reason as a leaf frame, the waker's stack above
// "--wakes--" (an inline frame of it a frame of its own, not a line of the
// location above it); go tool pprof reads every stack and weight of the
// folded output of the same kind, and speedscope's samples are those stacks
// root first with those weights.
capture::Capture waits_capture() {
  capture::Capture c = known_capture();  // 1,000 cpu samples of 1 ms
  c.metadata.probes = {"cpu", "offcpu"};
  c.offcpu = {
      // worker: 500 ms blocked in hot (stack 0) on a lock, woken from inl_helper inlined into warm (stack 1)
      {kStartNs, kStartNs + 500'000'000, 100, 101, 0, 1, capture::OffCpuReason::lock, 2},
      // main: 300 + 200 ms asleep without a stack, no waker stack
      {kStartNs, kStartNs + 300'000'000, 100, 100, capture::kNoStack, capture::kNoStack,
       capture::OffCpuReason::sleep, 1},
      {kStartNs + 400'000'000, kStartNs + 600'000'000, 100, 100, capture::kNoStack, capture::kNoStack,
       capture::OffCpuReason::sleep, 1},
      {kStartNs + 700'000'000, kStartNs + 700'000'000, 100, 100, 2, capture::kNoStack,
       capture::OffCpuReason::runqueue, 1},  // empty: counted, weighs nothing
  };
  return c;
}

TEST_F(Export, WallAndWakersThroughGoToolPprof) {
  const capture::Capture c = waits_capture();
  struct Case {
    std::string kind, count_type, weight_type;
    int64_t count, weight_ns;
  };
  for (const Case& k : {Case{"wall", "events/count", "wall/nanoseconds", 1000 + 2 + 2 + 1, 2'000'000'000},
                        Case{"wakers", "wakeups/count", "blocked/nanoseconds", 2, 500'000'000}}) {
    SCOPED_TRACE(k.kind);
    std::ostringstream gz;
    ASSERT_TRUE(write_pprof(gz, c, k.kind).ok());
    const fs::path path = dir_ / (k.kind + ".pb.gz");
    std::ofstream(path, std::ios::binary) << gz.str();
    auto raw = testing::go_pprof_raw(path.string());
    LOADPROF_REQUIRE_GO_PPROF(raw);
    EXPECT_EQ(raw.sample_types, (std::vector<std::string>{k.count_type, k.weight_type})) << raw.output;
    EXPECT_EQ(raw.total(0), k.count) << raw.output;
    EXPECT_EQ(raw.total(1), k.weight_ns) << raw.output;
    // Every stack of the folded output with its weight: pprof's are leaf first.
    std::map<std::string, uint64_t> from_pprof;
    for (const auto& s : raw.samples) {
      std::vector<std::string> root_first(s.functions.rbegin(), s.functions.rend());
      if (s.values[1] != 0) from_pprof[joined(root_first)] += s.values[1];
    }
    EXPECT_EQ(from_pprof, folded_without_root(c, k.kind)) << raw.output;

    std::ostringstream ss;
    ASSERT_TRUE(write_speedscope(ss, c, k.kind).ok());
    LOADPROF_EXPECT_VALID_JSON(testing::validate_json_text_against(
        dir_, k.kind + ".speedscope.json", ss.str(), testing::speedscope_schema_path()));
    const json doc = json::parse(ss.str());
    std::map<std::string, uint64_t> from_speedscope;
    for (const auto& p : doc["profiles"]) {
      EXPECT_EQ(p["unit"], "nanoseconds");
      for (size_t i = 0; i < p["samples"].size(); ++i) {
        std::vector<std::string> names;
        for (const auto& f : p["samples"][i])
          names.push_back(doc["shared"]["frames"][f.get<size_t>()]["name"]);
        const uint64_t w = p["weights"][i].get<uint64_t>();
        if (w != 0) from_speedscope[joined(names)] += w;
      }
    }
    EXPECT_EQ(from_speedscope, folded_without_root(c, k.kind)) << ss.str();
  }
  // The waker's inline frame read root first is not a line of "--wakes--"'s location: each synthetic
  // frame is a location of its own, without a mapping.
  const Decoded wakers = decode_profile(encode_pprof_profile(c, "wakers").value());
  int synthetic = 0;
  for (const auto& [id, location] : wakers.locations) {
    const auto names = wakers.line_names(id);
    if (std::find(names.begin(), names.end(), "--wakes--") == names.end() &&
        std::find(names.begin(), names.end(), "[offcpu:lock]") == names.end())
      continue;
    ++synthetic;
    EXPECT_EQ(names.size(), 1u) << names.front() << " with " << names.back();
    EXPECT_EQ(varint_of(location, 2), 0u);  // no mapping
  }
  EXPECT_EQ(synthetic, 2);
  // The layout itself, spelled out: the waker's stack root first, then the separator, the reason, the waiter.
  EXPECT_EQ(folded_without_root(c, "wakers"),
            (std::map<std::string, uint64_t>{
                {"main;a;hot;[offcpu:lock];--wakes--;inl_helper;warm;a;main", 500'000'000}}));
  auto top = testing::go_pprof_top((dir_ / "wall.pb.gz").string());
  LOADPROF_REQUIRE_GO_PPROF(top);
  EXPECT_NEAR(top.flat_pct["hot"], 30.0, 0.01) << top.output;  // 600 of 2,000 ms
  EXPECT_NEAR(top.flat_pct["[offcpu:lock]"], 25.0, 0.01) << top.output;
  EXPECT_NEAR(top.flat_pct["[offcpu:sleep]"], 25.0, 0.01) << top.output;
  EXPECT_NE(top.output.find("Type: wall"), std::string::npos) << top.output;
}

// alloc and alloc-live: pprof's heap sample types (alloc_objects/count,
// alloc_space/bytes; inuse_*), the folded output's estimates (Poisson weights
// for a preload capture), and go tool pprof reading the bytes per function;
// speedscope's unit is bytes.
TEST_F(Export, AllocKindsAsPprofHeapProfiles) {
  capture::Capture c = known_capture();
  c.cpu_samples.clear();
  auto add = [&](uint64_t t, uint64_t address, uint64_t size, bool is_free, capture::StackId stack) {
    c.allocs.push_back({kStartNs + t, 100, 100, address, size,
                        is_free ? capture::AllocFn::free : capture::AllocFn::malloc, is_free, true,
                        is_free ? capture::kNoStack : stack});
  };
  add(1, 0x1000, 3000, false, 0);  // hot: 3,000 B, freed
  add(2, 0x2000, 1000, false, 2);  // main: 1,000 B, live at the end
  add(3, 0x1000, 3000, true, 0);
  const Decoded d = decode_profile(encode_pprof_profile(c, "alloc").value());
  auto types = fields_of(d.fields, 1);
  ASSERT_EQ(types.size(), 2u);
  auto t0 = decode_message(types[0].bytes), t1 = decode_message(types[1].bytes);
  EXPECT_EQ(d.str(varint_of(*t0, 1)) + "/" + d.str(varint_of(*t0, 2)), "alloc_objects/count");
  EXPECT_EQ(d.str(varint_of(*t1, 1)) + "/" + d.str(varint_of(*t1, 2)), "alloc_space/bytes");
  auto totals = [](const Decoded& p) {
    std::pair<uint64_t, uint64_t> sum{0, 0};
    for (const auto& s : fields_of(p.fields, 2)) {
      auto values = decode_packed(fields_of(*decode_message(s.bytes), 2).at(0).bytes);
      sum.first += (*values)[0];
      sum.second += (*values)[1];
    }
    return sum;
  };
  EXPECT_EQ(totals(d), (std::pair<uint64_t, uint64_t>{2, 4000}));
  const Decoded live = decode_profile(encode_pprof_profile(c, "alloc-live").value());
  EXPECT_EQ(totals(live), (std::pair<uint64_t, uint64_t>{1, 1000}));
  // Sampled by the preload path at 4 KiB: 3,000 B stands for 3000 / (1 - e^-(3000/4096)) = 5,777 B, 1,000 B
  // for 4,616.
  c.alloc_info = capture::AllocInfo{};
  c.alloc_info->method = "preload";
  c.alloc_info->sample_period_bytes = 4096;
  EXPECT_EQ(totals(decode_profile(encode_pprof_profile(c, "alloc").value())).second, 5777u + 4616u);

  std::ostringstream gz;
  c.alloc_info.reset();
  ASSERT_TRUE(write_pprof(gz, c, "alloc").ok());
  const fs::path path = dir_ / "alloc.pb.gz";
  std::ofstream(path, std::ios::binary) << gz.str();
  auto top = testing::go_pprof_top(path.string());
  LOADPROF_REQUIRE_GO_PPROF(top);
  EXPECT_NE(top.output.find("Type: alloc_space"), std::string::npos) << top.output;
  EXPECT_NEAR(top.flat_pct["hot"], 75.0, 0.01) << top.output;
  EXPECT_NEAR(top.flat_pct["main"], 25.0, 0.01) << top.output;

  std::ostringstream ss;
  ASSERT_TRUE(write_speedscope(ss, c, "alloc-live").ok());
  const json doc = json::parse(ss.str());
  ASSERT_EQ(doc["profiles"].size(), 1u);
  EXPECT_EQ(doc["profiles"][0]["unit"], "bytes");
  EXPECT_EQ(doc["profiles"][0]["endValue"], 1000);
}

// Self share per leaf frame name in a speedscope document, over all profiles.
std::map<std::string, double> speedscope_self_pct(const json& doc) {
  std::map<std::string, double> self;
  double total = 0;
  for (const auto& p : doc["profiles"]) {
    for (size_t i = 0; i < p["samples"].size(); ++i) {
      const double w = p["weights"][i].get<double>();
      total += w;
      const auto& stack = p["samples"][i];
      if (!stack.empty()) self[doc["shared"]["frames"][stack.back().get<size_t>()]["name"]] += w;
    }
  }
  for (auto& [name, w] : self) w = 100.0 * w / total;
  return self;
}

TEST_F(Export, SpeedscopeValidatesAndKeepsSharesAndOrder) {
  std::ostringstream out;
  ASSERT_TRUE(write_speedscope(out, known_capture(), "cpu").ok());
  LOADPROF_EXPECT_VALID_JSON(testing::validate_json_text_against(dir_, "cpu.speedscope.json", out.str(),
                                                                 testing::speedscope_schema_path()));
  const json doc = json::parse(out.str());
  ASSERT_EQ(doc["profiles"].size(), 2u);
  const json& main_thread = doc["profiles"][0];  // heaviest first: 650 ms against 350 ms
  EXPECT_EQ(main_thread["name"], "app (pid 100, tid 100)");
  EXPECT_EQ(main_thread["unit"], "nanoseconds");
  EXPECT_EQ(main_thread["endValue"].get<uint64_t>(), 650'000'000u);
  // Time order kept, equal neighbours merged: hot x300, main x50, hot x300.
  EXPECT_EQ(main_thread["weights"], json({300'000'000, 50'000'000, 300'000'000}));
  const auto& frames = doc["shared"]["frames"];
  std::vector<std::string> first;  // root first
  for (const auto& i : main_thread["samples"][0]) first.push_back(frames[i.get<size_t>()]["name"]);
  EXPECT_EQ(first, (std::vector<std::string>{"main", "a", "hot"}));
  EXPECT_EQ(frames[main_thread["samples"][0][2].get<size_t>()]["file"], "app.c");
  EXPECT_FALSE(
      frames[main_thread["samples"][0][2].get<size_t>()].contains("line"));  // a function, not a line
  EXPECT_EQ(doc["profiles"][1]["name"], "worker (pid 100, tid 101)");
  auto self = speedscope_self_pct(doc);
  EXPECT_NEAR(self["hot"], 60.0, 1e-9);
  EXPECT_NEAR(self["inl_helper"], 30.0, 1e-9);
  EXPECT_NEAR(self["do_syscall_64_[k]"], 5.0, 1e-9);
  // Each frame once in the shared table.
  std::set<std::string> names;
  for (const auto& f : frames) EXPECT_TRUE(names.insert(f["name"].get<std::string>()).second) << f.dump();
}

// Samples the unwinder got no stack for, or a stack of one unresolved frame
// without a module, still count: in pprof as samples without locations, in
// speedscope as empty stacks; and both readers accept them.
TEST_F(Export, SamplesWithoutStackCountInTotals) {
  capture::Capture c = known_capture();
  for (int i = 0; i < 100; ++i)
    c.cpu_samples.push_back({kStartNs + 5'000'000'000ull + i, 100, 102, 0, capture::kNoStack});
  c.frames.push_back({0x1234, "", "", 0, "", 0, false, false});  // [unknown]
  c.stacks.push_back({{static_cast<capture::FrameId>(c.frames.size() - 1)}, true});
  for (int i = 0; i < 100; ++i)
    c.cpu_samples.push_back(
        {kStartNs + 6'000'000'000ull + i, 100, 102, 0, static_cast<capture::StackId>(c.stacks.size() - 1)});
  std::ostringstream gz;
  ASSERT_TRUE(write_pprof(gz, c, "cpu").ok());
  const fs::path path = dir_ / "cpu.pb.gz";
  std::ofstream(path, std::ios::binary) << gz.str();
  auto top = testing::go_pprof_top(path.string());
  LOADPROF_REQUIRE_GO_PPROF(top);
  EXPECT_NEAR(top.flat_pct["hot"], 50.0, 0.01) << top.output;  // 600 of 1200
  EXPECT_NEAR(top.flat_pct["[unknown]"], 100.0 / 12, 0.01) << top.output;
  EXPECT_NE(top.output.find("of 1200ms total"), std::string::npos) << top.output;

  std::ostringstream ss;
  ASSERT_TRUE(write_speedscope(ss, c, "cpu").ok());
  LOADPROF_EXPECT_VALID_JSON(testing::validate_json_text_against(dir_, "cpu.speedscope.json", ss.str(),
                                                                 testing::speedscope_schema_path()));
  auto self = speedscope_self_pct(json::parse(ss.str()));
  EXPECT_NEAR(self["hot"], 50.0, 1e-9);
}

// Through the binary: the capture written by the real CaptureWriter, then
// `loadprof report --format pprof|speedscope`.
TEST_F(Export, ThroughTheLoadprofBinary) {
  const capture::Capture c = known_capture();
  const fs::path cap = dir_ / "cap.lpc";
  {
    auto created = capture::CaptureWriter::create(cap.string(), c.metadata);
    ASSERT_TRUE(created.ok()) << created.error().message;
    auto& w = **created;
    for (const auto& s : c.clock_sync) w.add_clock_sync(s);
    for (const auto& p : c.processes) w.add_process(p);
    for (const auto& t : c.threads) w.add_thread(t);
    for (const auto& m : c.mappings) w.add_mapping(m);
    for (const auto& f : c.frames) w.add_frame(f);
    for (const auto& s : c.stacks) w.add_stack(s);
    for (const auto& s : c.cpu_samples) w.add_cpu_sample(s);
    ASSERT_TRUE(w.finish(*c.end).ok());
  }
  const std::string bin = std::string(LOADPROF_BINARY_DIR) + "/src/cli/loadprof report " + cap.string();
  auto pprof =
      testing::run_command(bin + " --format pprof --kind cpu > " + (dir_ / "cpu.pb.gz").string(), false);
  ASSERT_EQ(pprof.exit_code, 0) << pprof.output;
  auto plain = testing::gunzip(read_file(dir_ / "cpu.pb.gz"));
  ASSERT_TRUE(plain);
  EXPECT_EQ(*plain, encode_pprof_profile(c, "cpu").value());  // the file holds what the library encodes

  auto ss = testing::run_command(bin + " --format speedscope", false);
  ASSERT_EQ(ss.exit_code, 0);
  std::ostringstream expected;
  ASSERT_TRUE(write_speedscope(expected, c, "cpu").ok());
  EXPECT_EQ(ss.output, expected.str());

  auto dir = testing::run_command(bin + " --format pprof --output-dir " + (dir_ / "out").string());
  EXPECT_EQ(dir.exit_code, 0) << dir.output;
  EXPECT_TRUE(fs::exists(dir_ / "out" / "cpu.pb.gz"));
  auto wall = testing::run_command(bin + " --format speedscope --kind offcpu");
  EXPECT_EQ(wall.exit_code, 2);
  EXPECT_NE(wall.output.find("holds no offcpu data"), std::string::npos) << wall.output;
  auto bad = testing::run_command(bin + " --format protobuf");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.output.find("pprof, speedscope"), std::string::npos) << bad.output;
}

}  // namespace
}  // namespace loadprof::report
