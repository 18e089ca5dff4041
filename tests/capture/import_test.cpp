// The perf-script and folded importers on hand-written texts, one per
// variation of perf script's output (default, -F +pid with [cpu], no time or
// period, one ip on the header line, several events, kernel and inline
// frames, srcline lines), and on bad input (the error names the line). The
// imported capture goes through the writer and the reader, and its folded
// export is what the assertions read.
#include "loadprof/capture/import.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <map>
#include <string>

#include "loadprof/capture/folded.h"
#include "loadprof/capture/reader.h"
#include "loadprof/capture/writer.h"

namespace loadprof::capture {
namespace {

// Writes and reads back the capture, then folds it: line -> count.
std::map<std::string, uint64_t> folded_after_round_trip(const Capture& c, Capture* read_back = nullptr) {
  std::string path = ::testing::TempDir() + "import_test_" + std::to_string(::getpid()) + ".lpc";
  EXPECT_TRUE(write_whole_capture(path, c).ok());
  auto read = read_capture(path);
  ::unlink(path.c_str());
  EXPECT_TRUE(read.ok()) << (read.ok() ? "" : read.error().message);
  if (!read.ok()) return {};
  EXPECT_EQ(read->metadata, c.metadata);
  EXPECT_EQ(read->cpu_samples, c.cpu_samples);
  auto lines = folded_stacks(*read, "cpu");
  EXPECT_TRUE(lines.ok());
  std::map<std::string, uint64_t> out;
  for (const auto& l : *lines) out[l.stack] += l.count;
  if (read_back) *read_back = std::move(*read);
  return out;
}

// A literal with its NUL bytes.
template <size_t N>
std::string bytes(const char (&text)[N]) {
  return std::string(text, N - 1);
}

constexpr const char* kDefault =
    "# ========\n"
    "# captured on    : Sun Nov 29 11:00:00 2026\n"
    "# ========\n"
    "#\n"
    "Web Content 4242 11272.394203:    1001001 cpu-clock:ppp: \n"
    "\t            11e4 hot+0x24 (/usr/bin/app)\n"
    "\t            1271 b+0x31 (/usr/bin/app)\n"
    "\t           2724a __libc_start_call_main+0x7a (/usr/lib/x86_64-linux-gnu/libc.so.6)\n"
    "\n"
    "Web Content 4242 11272.395204:    1001001 cpu-clock:ppp: \n"
    "\tffffffff8a2b1234 __schedule+0x3a4 ([kernel.kallsyms])\n"
    "\tffffffff8a2b2000 schedule+0x10 ([kernel.kallsyms])\n"
    "\t            9a10 [unknown] (/usr/lib/libfoo.so.1)\n"
    "\t    7f0011223344 [unknown] ([unknown])\n"
    "\t            1271 b+0x31 (/usr/bin/app)\n"
    "\n"
    "Web Content 4243 11272.396205:    1001001 cpu-clock:ppp: \n"
    "\t            11e4 inner_inlined (/usr/bin/app) (inlined)\n"
    "\t            11e4 outer+0x4 (/usr/bin/app)\n"
    "  app.c:42\n"
    "\t            11f0 helper+0x4 (/usr/bin/app)\n"
    "  :0\n"
    "  memfd:sealed-91173221a7ea (deleted)[c584f]\n"
    "\t            12f8 std::vector<int, std::allocator<int> >::push_back(int const&)+0x18 (/usr/bin/app)\n"
    "\n";

TEST(PerfScriptImport, DefaultOutputWithCommSpacesKernelUnknownAndInlineFrames) {
  auto r = import_perf_script(kDefault);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->samples, 3u);
  EXPECT_EQ(r->event, "cpu-clock:ppp");
  EXPECT_TRUE(r->skipped_events.empty());
  ASSERT_EQ(r->warnings.size(), 1u);  // tid only: each thread its own process
  const Capture& c = r->capture;
  EXPECT_EQ(c.metadata.frequency_hz, 999u);  // 1e9 / 1001001
  EXPECT_EQ(c.metadata.start_monotonic_ns, 11272394203000ull);
  ASSERT_TRUE(c.end.has_value());
  EXPECT_EQ(c.end->end_ns, 11272396205000ull + 1001001);
  EXPECT_NE(c.metadata.source.find("perf's own clock"), std::string::npos) << c.metadata.source;
  ASSERT_EQ(c.cpu_samples.size(), 3u);
  EXPECT_EQ(c.cpu_samples[0].time_ns, 11272394203000ull);
  EXPECT_EQ(c.cpu_samples[0].tid, 4242u);
  EXPECT_EQ(c.cpu_samples[2].pid, 4243u);
  ASSERT_EQ(c.processes.size(), 2u);
  EXPECT_EQ(c.processes[0].command, "Web Content");
  EXPECT_EQ(c.threads[1].name, "Web Content");

  // Frames: kernel flag and module, unresolved frames keep their module and offset.
  const Stack& kernel = c.stacks[c.cpu_samples[1].stack];
  ASSERT_EQ(kernel.frames.size(), 5u);
  const Frame& sched = c.frames[kernel.frames[0]];
  EXPECT_EQ(sched.function, "__schedule");
  EXPECT_TRUE(sched.kernel);
  EXPECT_EQ(sched.module, "[kernel]");
  EXPECT_EQ(sched.address, 0xffffffff8a2b1234ull);
  const Frame& lib = c.frames[kernel.frames[2]];
  EXPECT_EQ(lib.function, "");
  EXPECT_EQ(lib.module, "libfoo.so.1");
  EXPECT_EQ(frame_display_name(lib), "libfoo.so.1+0x9a10");
  EXPECT_FALSE(lib.kernel);
  const Frame& unknown = c.frames[kernel.frames[3]];
  EXPECT_EQ(frame_display_name(unknown), "[unknown]");

  const Stack& inl = c.stacks[c.cpu_samples[2].stack];
  ASSERT_EQ(inl.frames.size(), 4u);
  EXPECT_TRUE(c.frames[inl.frames[0]].inlined);
  EXPECT_EQ(c.frames[inl.frames[0]].function, "inner_inlined");
  EXPECT_EQ(c.frames[inl.frames[1]].function, "outer");
  EXPECT_EQ(c.frames[inl.frames[1]].file, "app.c");  // the srcline under it
  EXPECT_EQ(c.frames[inl.frames[1]].line, 42u);
  EXPECT_EQ(c.frames[inl.frames[2]].function, "helper");
  EXPECT_EQ(c.frames[inl.frames[2]].file, "");  // perf's "  :0": no line known
  EXPECT_EQ(c.frames[inl.frames[3]].function,
            "std::vector<int, std::allocator<int> >::push_back(int const&)");

  auto folded = folded_after_round_trip(c);
  EXPECT_EQ(folded["Web Content;__libc_start_call_main;b;hot"], 1u);
  EXPECT_EQ(folded["Web Content;b;[unknown];libfoo.so.1+0x9a10;schedule_[k];__schedule_[k]"], 1u);
  EXPECT_EQ(folded.size(), 3u);
}

TEST(PerfScriptImport, PidTidCpuFieldsAndTheCommandNamedByTheMainThread) {
  const char* text =
      "my app 100/101 [003] 5.000100:   1000000 cpu-clock: \n"
      "\t  401000 work+0x10 (/opt/app)\n"
      "\n"
      "worker 2 100/100 [000] 5.001100:   1000000 cpu-clock: \n"
      "\t  401000 work+0x10 (/opt/app)\n"
      "\n"
      "other 200/200 [001] 5.001000:   1000000 cpu-clock: \n"
      "\t  402000 idle+0x1 (/opt/other)\n"
      "\n";
  auto r = import_perf_script(text);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->warnings.empty());
  const Capture& c = r->capture;
  EXPECT_EQ(c.metadata.frequency_hz, 1000u);
  EXPECT_EQ(c.metadata.cpu_count, 4u);
  ASSERT_EQ(c.processes.size(), 2u);
  EXPECT_EQ(c.processes[0].pid, 100u);
  EXPECT_EQ(c.processes[0].command, "worker 2");  // tid == pid names the process
  ASSERT_EQ(c.threads.size(), 3u);
  EXPECT_EQ(c.threads[0].tid, 101u);
  EXPECT_EQ(c.threads[0].name, "my app");
  // Sorted by time although perf printed them per CPU.
  ASSERT_EQ(c.cpu_samples.size(), 3u);
  EXPECT_EQ(c.cpu_samples[1].pid, 200u);
  EXPECT_EQ(c.cpu_samples[1].cpu, 1u);
  EXPECT_EQ(c.cpu_samples[2].cpu, 0u);
  auto folded = folded_after_round_trip(c);
  EXPECT_EQ(folded["worker 2;work"], 2u);
  EXPECT_EQ(folded["other;idle"], 1u);
}

TEST(PerfScriptImport, WithoutTimeOrPeriodAndWithTheIpOnTheHeaderLine) {
  // -F comm,tid,event,ip,sym: no time, no period, no dso.
  auto no_time = import_perf_script(
      "hot 27122 cpu-clock:ppp: \n\t            11e4 hot\n\t            1271 b\n\nhot 27122 cpu-clock:ppp: \n"
      "\t            1227 warm\n\n");
  ASSERT_TRUE(no_time.ok()) << no_time.error().message;
  EXPECT_EQ(no_time->samples, 2u);
  EXPECT_EQ(no_time->capture.metadata.frequency_hz, 0u);
  EXPECT_NE(no_time->capture.metadata.source.find("no times"), std::string::npos);
  auto folded = folded_after_round_trip(no_time->capture);
  EXPECT_EQ(folded["hot;b;hot"], 1u);
  EXPECT_EQ(folded["hot;warm"], 1u);

  // -F pid,tid,time,ip,sym,dso,symoff -G: one ip per line, no comm, no event, no blank lines.
  auto one_line = import_perf_script(
      "27122/27122 11272.394203:      55d3796261e4 hot+0x24 (/work/hot)\n"
      "27122/27122 11272.395194:      55d3796261e7 hot+0x27 (/work/hot)\n"
      "27122/27122 11272.397395:      55d379626227 warm+0x27 (/work/hot)\n");
  ASSERT_TRUE(one_line.ok()) << one_line.error().message;
  EXPECT_EQ(one_line->samples, 3u);
  auto f2 = folded_after_round_trip(one_line->capture);
  EXPECT_EQ(f2["27122;hot"], 2u);  // no comm: the pid is the root
  EXPECT_EQ(f2["27122;warm"], 1u);

  // Without -g and with the default fields: the ip on the header line, no blank lines.
  auto no_g = import_perf_script(
      "            perf 300 [000]   10.000001:     250000 cycles:u:      7f00001000 memcpy+0x10 "
      "(/lib/libc.so.6)\n"
      "            perf 300 [000]   10.000002:     250000 cycles:u:      7f00002000 strlen "
      "(/lib/libc.so.6)\n");
  ASSERT_TRUE(no_g.ok()) << no_g.error().message;
  EXPECT_EQ(no_g->event, "cycles:u");
  EXPECT_EQ(no_g->capture.metadata.frequency_hz, 0u);  // cycles: the period is not time
  auto f3 = folded_after_round_trip(no_g->capture);
  EXPECT_EQ(f3["perf;memcpy"], 1u);
  EXPECT_EQ(f3["perf;strlen"], 1u);
}

TEST(PerfScriptImport, SeveralEventsKeepCyclesAndCountTheOthers) {
  const char* text =
      "app 10/10 1.000000:          1 page-faults: \n"
      "\t  1000 touch+0x1 (/app)\n"
      "\n"
      "app 10/10 1.000100:          1 sched:sched_switch: prev_comm=app prev_pid=10 prev_prio=120 "
      "prev_state=S ==> next_comm=swapper/0 next_pid=0 next_prio=120\n"
      "\tffffffff81000000 __schedule+0x1 ([kernel.kallsyms])\n"
      "\n"
      "app 10/10 1.000200:     400000 cycles: \n"
      "\t  2000 spin+0x1 (/app)\n"
      "\n"
      "app 10/10 1.000300:     400000 cycles: \n"
      "\t  2000 spin+0x1 (/app)\n"
      "\n"
      "app 10/10 1.000400:          1 page-faults: \n"
      "\t  1000 touch+0x1 (/app)\n"
      "\n";
  auto r = import_perf_script(text);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->event, "cycles");
  EXPECT_EQ(r->samples, 2u);
  std::map<std::string, uint64_t> want{{"page-faults", 2}, {"sched:sched_switch", 1}};
  EXPECT_EQ(r->skipped_events, want);
  EXPECT_EQ(r->capture.metadata.start_monotonic_ns, 1'000'200'000u);
  auto folded = folded_after_round_trip(r->capture);
  EXPECT_EQ(folded.size(), 1u);
  EXPECT_EQ(folded["app;spin"], 2u);

  // Without cpu-clock or cycles, the first event is kept.
  auto first = import_perf_script(
      "app 10/10 1.0: 1 page-faults: \n\t1000 touch (/app)\n\napp 10/10 1.1: 1 minor-faults: \n\t1000 t "
      "(/app)\n");
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->event, "page-faults");
  EXPECT_EQ(first->skipped_events.at("minor-faults"), 1u);
}

TEST(PerfScriptImport, BadInputNamesTheLine) {
  struct Case {
    std::string text, expected;
  } cases[] = {
      {"", "no samples"},
      {"# only a comment\n\n", "no samples"},
      {"\t  11e4 hot (/x)\n", "line 1: a callchain line outside a sample"},
      {"app 1/1 1.0: 1 cpu-clock: \n\t  11e4 hot (/x)\n\tnot-an-address here\n",
       "line 3: expected a callchain line"},
      {"app 1/1 1.0: 1 cpu-clock: \n\t11e4 hot\n\nthis is not perf script output\n",
       "line 4: expected a sample header"},
      {"app 1/1 [x] 1.0: 1 cpu-clock: \n", "line 1: expected a sample header"},
      {bytes("PERFILE2\0\0\0"), "perf.data file"},
      {bytes("app 1/1 1.0: 1 cpu-clock: \n\t11e4 h\0t\n"), "line 2: binary data"},
  };
  for (const auto& k : cases) {
    auto r = import_perf_script(k.text);
    ASSERT_FALSE(r.ok()) << k.text;
    EXPECT_EQ(r.error().kind, ErrorKind::corrupt_input);
    EXPECT_NE(r.error().message.find(k.expected), std::string::npos) << r.error().message;
    EXPECT_EQ(r.error().message.find('\n'), std::string::npos) << r.error().message;
  }
}

TEST(FoldedImport, CountsBecomeSamplesAndTheExportRoundTrips) {
  const char* text =
      "hot;main;a;b;hot 30\n"
      "hot;main;a;warm 10\n"
      "hot;main;schedule_[k] 2\n"
      "\n"
      "nginx;ngx_process;inlined_fn_[i] 3\n"
      "solo 4\n"
      "hot;main;a;warm 5\n";
  auto r = import_folded(text);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->samples, 54u);
  const Capture& c = r->capture;
  ASSERT_EQ(c.processes.size(), 3u);
  EXPECT_EQ(c.processes[0].command, "hot");
  EXPECT_NE(c.metadata.source.find("folded"), std::string::npos);
  auto folded = folded_after_round_trip(c);
  std::map<std::string, uint64_t> want{{"hot;main;a;b;hot", 30},
                                       {"hot;main;a;warm", 15},
                                       {"hot;main;schedule_[k]", 2},
                                       {"nginx;ngx_process;inlined_fn", 3},  // inlined is a flag, not a name
                                       {"solo", 4}};
  EXPECT_EQ(folded, want);
  bool kernel = false, inlined = false;
  for (const auto& f : c.frames) {
    kernel |= f.kernel && f.function == "schedule";
    inlined |= f.inlined && f.function == "inlined_fn";
  }
  EXPECT_TRUE(kernel);
  EXPECT_TRUE(inlined);
}

TEST(FoldedImport, BadInputNamesTheLine) {
  struct Case {
    std::string text, expected;
  } cases[] = {
      {"", "no stack counts"},
      {"a;b 0\n", "no stack counts"},
      {"a;b 1\nno_count_here\n", "folded line 2: expected 'STACK COUNT'"},
      {"a;b 1\na;b 1.5\n", "folded line 2: the count '1.5' is not a whole number"},
      {"a;b 1\na;b -3\n", "folded line 2"},
      {"a;b 15000000\na;c 15000000\n", "folded line 2: the counts add up to more than 20000000"},
  };
  for (const auto& k : cases) {
    auto r = import_folded(k.text);
    ASSERT_FALSE(r.ok()) << k.text;
    EXPECT_EQ(r.error().kind, ErrorKind::corrupt_input);
    EXPECT_NE(r.error().message.find(k.expected), std::string::npos) << r.error().message;
  }
}

}  // namespace
}  // namespace loadprof::capture
