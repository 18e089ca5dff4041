// Unit tests of the collector's pure parts: /proc parsing, the stack
// truncation check, perf ring wrap-around, sideband record parsing, build-ids,
// DWARF-mode sample records.
#include <gtest/gtest.h>
#include <linux/perf_event.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <memory>
#include <numeric>
#include <thread>

#include "collect/dwarf_sample.h"
#include "collect/perf_ring.h"
#include "collect/proc.h"
#include "collect/sideband.h"
#include "collect/stack_check.h"
#include "readelf.h"

namespace loadprof::collect {
namespace {

TEST(CollectProcMaps, KeepsExecutableMappingsOnly) {
  const char* text =
      "55d0a0000000-55d0a0001000 r--p 00000000 08:01 1234   /usr/bin/prog\n"
      "55d0a0001000-55d0a0005000 r-xp 00001000 08:01 1234   /usr/bin/prog\n"
      "7f1200000000-7f1200021000 rw-p 00000000 00:00 0 \n"
      "7f1200100000-7f1200200000 r-xp 00028000 08:01 99 /usr/lib/x86_64-linux-gnu/lib with space.so\n"
      "7ffd1c5f0000-7ffd1c5f2000 r-xp 00000000 00:00 0                          [vdso]\n"
      "7f1300000000-7f1300001000 rwxp 00000000 00:00 0 \n";
  auto maps = parse_proc_maps(text, 42);
  ASSERT_EQ(maps.size(), 4u);
  EXPECT_EQ(maps[0].start, 0x55d0a0001000u);
  EXPECT_EQ(maps[0].end, 0x55d0a0005000u);
  EXPECT_EQ(maps[0].pgoff, 0x1000u);
  EXPECT_EQ(maps[0].path, "/usr/bin/prog");
  EXPECT_EQ(maps[0].pid, 42u);
  EXPECT_TRUE(maps[0].executable);
  EXPECT_EQ(maps[1].path, "/usr/lib/x86_64-linux-gnu/lib with space.so");
  EXPECT_EQ(maps[1].pgoff, 0x28000u);
  EXPECT_EQ(maps[2].path, "[vdso]");
  EXPECT_EQ(maps[3].path, "");  // anonymous executable memory (JIT)
}

TEST(CollectProcStat, PpidAfterCommWithParentheses) {
  EXPECT_EQ(parse_stat_ppid("123 (bash) S 77 123 123 0 -1"), 77);
  EXPECT_EQ(parse_stat_ppid("123 (a) b) c) R 9 1 1"), 9);
  EXPECT_EQ(parse_stat_ppid("garbage"), -1);
}

TEST(CollectProcLive, SelfAliveAndDescendantsFound) {
  EXPECT_TRUE(process_alive(getpid()));
  EXPECT_FALSE(process_alive(0));
  EXPECT_EQ(thread_group_of(getpid()), getpid());
  EXPECT_EQ(thread_group_of(0x3ffffff), -1);
  {
    std::atomic<pid_t> tid{0};
    std::atomic<bool> done{false};
    std::thread t([&] {
      tid = gettid();
      while (!done) usleep(1000);
    });
    while (!tid) usleep(1000);
    EXPECT_NE(tid.load(), getpid());
    EXPECT_EQ(thread_group_of(tid), getpid());
    done = true;
    t.join();
  }
  auto threads = thread_names(getpid());
  ASSERT_GE(threads.size(), 1u);
  EXPECT_EQ(threads[0].first, static_cast<uint32_t>(getpid()));
  EXPECT_EQ(threads[0].second, "collect_unit_te");  // comm: 15 characters
  pid_t child = fork();
  if (child == 0) {
    if (fork() == 0) pause();  // grandchild
    pause();
    _exit(0);
  }
  ASSERT_GT(child, 0);
  std::vector<pid_t> d;
  for (int i = 0; i < 100 && d.size() < 2; ++i) {
    usleep(10 * 1000);
    d = find_descendants(getpid());
  }
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0], child);
  pid_t grandchild = d[1];
  EXPECT_TRUE(process_alive(grandchild));
  kill(grandchild, SIGKILL);
  kill(child, SIGKILL);
  int status = 0;
  waitpid(child, &status, 0);
  EXPECT_FALSE(process_alive(child));  // reaped
}

capture::Mapping mapping(uint64_t start, uint64_t end, const std::string& path) {
  capture::Mapping m;
  m.start = start;
  m.end = end;
  m.path = path;
  m.executable = true;
  return m;
}

TEST(CollectStackCheck, TruncatesAtFirstAddressOutsideExecutableMappings) {
  ExecMappings maps;
  EXPECT_TRUE(maps.add(mapping(0x1000, 0x2000, "/bin/a")));
  EXPECT_TRUE(maps.add(mapping(0x7000, 0x9000, "/lib/b.so")));
  EXPECT_FALSE(maps.add(mapping(0x1000, 0x2000, "/bin/a")));  // known already
  std::array<uint64_t, 5> good{0x1100, 0x1200, 0x7100, 0x8fff, 0x1fff};
  EXPECT_EQ(valid_user_frames(good, maps), 5u);
  // A walk through an FP-less frame: a stack address, then ASCII bytes.
  std::array<uint64_t, 5> garbage{0x1100, 0x7200, 0x7ffd12345678, 0x4141414141414141, 0x1100};
  EXPECT_EQ(valid_user_frames(garbage, maps), 2u);
  std::array<uint64_t, 2> edges{0x2000, 0x0fff};  // end is exclusive
  EXPECT_EQ(valid_user_frames(edges, maps), 0u);
  EXPECT_FALSE(maps.contains(0));
}

TEST(CollectStackCheck, NewMappingReplacesWhatItOverlaps) {
  ExecMappings maps;
  maps.add(mapping(0x1000, 0x3000, "/old"));
  maps.add(mapping(0x2000, 0x4000, "/new"));
  EXPECT_FALSE(maps.contains(0x1500));
  EXPECT_TRUE(maps.contains(0x3500));
  ASSERT_EQ(maps.all().size(), 1u);
  EXPECT_EQ(maps.all().begin()->second.path, "/new");
  maps.clear();  // exec
  EXPECT_FALSE(maps.contains(0x3500));
}

TEST(CollectPerfRing, CopyWrapsAroundTheEnd) {
  std::array<uint8_t, 16> ring;
  std::iota(ring.begin(), ring.end(), 0);
  std::array<uint8_t, 6> out{};
  copy_from_ring(ring.data(), ring.size(), 16 * 3 + 13, out.size(), out.data());  // positions 13..18
  EXPECT_EQ(out, (std::array<uint8_t, 6>{13, 14, 15, 0, 1, 2}));
  copy_from_ring(ring.data(), ring.size(), 2, 3, out.data());
  EXPECT_EQ(out[0], 2);
  EXPECT_EQ(out[2], 4);
}

// Builds a record as the kernel lays it out, with the sample_id trailer.
std::vector<uint8_t> record(uint32_t type, uint16_t misc, const std::vector<uint8_t>& body, uint32_t pid,
                            uint32_t tid, uint64_t time_ns) {
  size_t body_bytes = (body.size() + 7) / 8 * 8;
  std::vector<uint8_t> r(sizeof(perf_event_header) + body_bytes + 16, 0);
  perf_event_header h{type, misc, static_cast<uint16_t>(r.size())};
  std::memcpy(r.data(), &h, sizeof h);
  if (!body.empty()) std::memcpy(r.data() + sizeof h, body.data(), body.size());
  uint8_t* id = r.data() + sizeof h + body_bytes;
  std::memcpy(id, &pid, 4);
  std::memcpy(id + 4, &tid, 4);
  std::memcpy(id + 8, &time_ns, 8);
  return r;
}

template <class T>
void append(std::vector<uint8_t>& v, T x) {
  v.insert(v.end(), (const uint8_t*)&x, (const uint8_t*)&x + sizeof x);
}

TEST(CollectSideband, ParsesMmap2WithBuildId) {
  std::vector<uint8_t> body;
  append<uint32_t>(body, 100);
  append<uint32_t>(body, 101);
  append<uint64_t>(body, 0x7f0000001000);  // addr
  append<uint64_t>(body, 0x3000);          // len
  append<uint64_t>(body, 0x1000);          // pgoff
  append<uint8_t>(body, 20);               // build_id_size
  append<uint8_t>(body, 0);
  append<uint16_t>(body, 0);
  for (int i = 0; i < 20; ++i) append<uint8_t>(body, static_cast<uint8_t>(0xa0 + i));
  append<uint32_t>(body, 5);  // PROT_READ | PROT_EXEC
  append<uint32_t>(body, 2);
  const char path[] = "/usr/lib/libx.so";
  body.insert(body.end(), path, path + sizeof path);
  auto r = record(PERF_RECORD_MMAP2, PERF_RECORD_MISC_USER | (1 << 14), body, 100, 101, 123456789);
  SidebandRecord out;
  ASSERT_TRUE(parse_sideband_record(r, 1, out));
  EXPECT_EQ(out.kind, SidebandRecord::Kind::mmap);
  EXPECT_EQ(out.time_ns, 123456789u);
  EXPECT_EQ(out.cpu, 1u);
  EXPECT_EQ(out.mapping.pid, 100u);
  EXPECT_EQ(out.mapping.start, 0x7f0000001000u);
  EXPECT_EQ(out.mapping.end, 0x7f0000004000u);
  EXPECT_EQ(out.mapping.pgoff, 0x1000u);
  EXPECT_EQ(out.mapping.path, "/usr/lib/libx.so");
  EXPECT_EQ(out.mapping.build_id, "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3");
  EXPECT_TRUE(out.mapping.executable);
}

TEST(CollectSideband, ParsesCommForkExitLost) {
  std::vector<uint8_t> comm;
  append<uint32_t>(comm, 7);
  append<uint32_t>(comm, 8);
  const char name[] = "worker";
  comm.insert(comm.end(), name, name + sizeof name);
  SidebandRecord out;
  ASSERT_TRUE(
      parse_sideband_record(record(PERF_RECORD_COMM, PERF_RECORD_MISC_COMM_EXEC, comm, 7, 8, 5), 0, out));
  EXPECT_EQ(out.kind, SidebandRecord::Kind::comm);
  EXPECT_EQ(out.comm, "worker");
  EXPECT_TRUE(out.exec);

  std::vector<uint8_t> fork;
  for (uint32_t v : {20u, 10u, 21u, 11u}) append<uint32_t>(fork, v);  // pid ppid tid ptid
  append<uint64_t>(fork, 999);
  ASSERT_TRUE(parse_sideband_record(record(PERF_RECORD_FORK, 0, fork, 20, 21, 999), 0, out));
  EXPECT_EQ(out.kind, SidebandRecord::Kind::fork);
  EXPECT_EQ(out.pid, 20u);
  EXPECT_EQ(out.ppid, 10u);
  EXPECT_EQ(out.tid, 21u);
  EXPECT_EQ(out.time_ns, 999u);
  ASSERT_TRUE(parse_sideband_record(record(PERF_RECORD_EXIT, 0, fork, 20, 21, 999), 0, out));
  EXPECT_EQ(out.kind, SidebandRecord::Kind::exit);

  std::vector<uint8_t> lost;
  append<uint64_t>(lost, 1);
  append<uint64_t>(lost, 17);
  ASSERT_TRUE(parse_sideband_record(record(PERF_RECORD_LOST, 0, lost, 0, 0, 1), 0, out));
  EXPECT_EQ(out.kind, SidebandRecord::Kind::lost);
  EXPECT_EQ(out.lost, 17u);
}

// The pid peeked before parsing (records of other processes are skipped unparsed).
TEST(CollectSideband, PidIsReadWithoutParsing) {
  std::vector<uint8_t> comm;
  append<uint32_t>(comm, 7);
  append<uint32_t>(comm, 8);
  const char name[] = "worker";
  comm.insert(comm.end(), name, name + sizeof name);
  EXPECT_EQ(sideband_record_pid(record(PERF_RECORD_COMM, 0, comm, 7, 8, 5)), 7u);
  std::vector<uint8_t> fork;
  for (uint32_t v : {20u, 10u, 21u, 11u}) append<uint32_t>(fork, v);
  append<uint64_t>(fork, 999);
  EXPECT_EQ(sideband_record_pid(record(PERF_RECORD_FORK, 0, fork, 20, 21, 999)), 20u);
  EXPECT_EQ(sideband_record_pid(record(PERF_RECORD_EXIT, 0, fork, 20, 21, 999)), 20u);
  std::vector<uint8_t> lost;
  append<uint64_t>(lost, 1);
  append<uint64_t>(lost, 17);
  EXPECT_EQ(sideband_record_pid(record(PERF_RECORD_LOST, 0, lost, 0, 0, 1)), 0u) << "about no process: kept";
  EXPECT_EQ(sideband_record_pid(std::vector<uint8_t>(4, 0)), 0u) << "too short";
}

// THROTTLE / UNTHROTTLE of a cpu-clock event routed into the sideband ring:
// u64 time, u64 id, u64 stream_id, then the sample_id trailer.
TEST(CollectSideband, ParsesThrottleAndUnthrottle) {
  std::vector<uint8_t> body;
  append<uint64_t>(body, 5'000'000'123);  // time
  append<uint64_t>(body, 42);             // id
  append<uint64_t>(body, 42);             // stream_id
  SidebandRecord out;
  ASSERT_TRUE(parse_sideband_record(record(PERF_RECORD_THROTTLE, 0, body, 9, 9, 5'000'000'200), 3, out));
  EXPECT_EQ(out.kind, SidebandRecord::Kind::throttle);
  EXPECT_EQ(out.time_ns, 5'000'000'123u);
  EXPECT_EQ(out.cpu, 3u);
  ASSERT_TRUE(parse_sideband_record(record(PERF_RECORD_UNTHROTTLE, 0, body, 9, 9, 5'000'000'200), 3, out));
  EXPECT_EQ(out.kind, SidebandRecord::Kind::unthrottle);
  std::vector<uint8_t> short_body(16, 0);
  EXPECT_FALSE(parse_sideband_record(record(PERF_RECORD_THROTTLE, 0, short_body, 9, 9, 1), 3, out));
}

TEST(CollectSideband, RejectsMalformedRecords) {
  SidebandRecord out;
  std::vector<uint8_t> tiny(8, 0);
  EXPECT_FALSE(parse_sideband_record(tiny, 0, out));
  std::vector<uint8_t> body(4, 0);  // MMAP2 far too short
  EXPECT_FALSE(parse_sideband_record(record(PERF_RECORD_MMAP2, 0, body, 1, 1, 1), 0, out));
  auto r = record(PERF_RECORD_FORK, 0, std::vector<uint8_t>(24, 0), 1, 1, 1);
  r[6] = 0xff;  // header.size disagrees with the buffer
  EXPECT_FALSE(parse_sideband_record(r, 0, out));
}

TEST(CollectBuildId, MatchesReadelf) {
  std::string lib = std::string(LOADPROF_TEST_PROGRAMS_DIR) + "/libloadprof_burn.so";
  std::string expected = readelf_build_id(lib);
  ASSERT_EQ(expected.size(), 40u) << "readelf found no build-id in " << lib;
  EXPECT_EQ(read_build_id(lib), expected);
  BuildIdCache cache;
  EXPECT_EQ(cache.get(lib), expected);
  EXPECT_EQ(cache.get(lib), expected);
  EXPECT_EQ(read_build_id("/nonexistent"), "");
  EXPECT_EQ(read_build_id("/etc/hostname"), "");
  EXPECT_EQ(cache.get("[vdso]"), "");
}

TEST(CollectBuildId, SnapshotOfSelfHasBuildIds) {
  BuildIdCache cache;
  auto maps = snapshot_mappings(getpid(), 1, cache);
  ASSERT_TRUE(maps.ok());
  size_t with_id = 0, files = 0;
  for (const auto& m : *maps) {
    EXPECT_TRUE(m.executable);
    EXPECT_EQ(m.time_ns, 1u);
    if (!m.path.empty() && m.path[0] == '/') {
      ++files;
      if (m.build_id.size() == 40) ++with_id;
    }
  }
  EXPECT_GE(files, 2u);  // the test binary and libc at least
  EXPECT_EQ(with_id, files);
}

TEST(CollectBuildId, SnapshotOfAbsentPidIsTargetGone) {
  BuildIdCache cache;
  auto maps = snapshot_mappings(0x3ffffff, 1, cache);
  ASSERT_FALSE(maps.ok());
  EXPECT_EQ(maps.error().kind, ErrorKind::target_gone);
}

// A DWARF-mode sample as the kernel writes it: pid/tid, time, the kernel
// callchain with its context marker, ABI + 17 registers in perf's bit order,
// the stack copy (size, bytes, dyn_size).
std::vector<uint8_t> dwarf_record(uint64_t stack_size, uint64_t dyn_size, bool with_regs) {
  std::vector<uint8_t> out(sizeof(perf_event_header));
  auto put = [&](uint64_t v, size_t n = 8) {
    const size_t at = out.size();
    out.resize(at + n);
    std::memcpy(out.data() + at, &v, n);
  };
  put(4242, 4);  // pid
  put(4243, 4);  // tid
  put(123456789);
  put(3);  // callchain: marker + 2 kernel addresses
  put(static_cast<uint64_t>(PERF_CONTEXT_KERNEL));
  put(0xffffffff81000010ull);
  put(0xffffffff81000020ull);
  put(with_regs ? PERF_SAMPLE_REGS_ABI_64 : PERF_SAMPLE_REGS_ABI_NONE);
  if (with_regs)
    for (uint64_t r = 0; r < kDwarfRegs; ++r) put(1000 + r);  // AX=1000, BX=1001, ..., R15=1016
  put(stack_size);
  if (stack_size > 0) {
    for (uint64_t i = 0; i < stack_size; ++i) out.push_back(static_cast<uint8_t>(i));
    put(dyn_size);
  }
  perf_event_header h{};
  h.type = PERF_RECORD_SAMPLE;
  h.size = static_cast<uint16_t>(out.size());
  std::memcpy(out.data(), &h, sizeof h);
  return out;
}

TEST(CollectDwarfSample, RegistersInDwarfOrderAndOnlyTheCopiedStack) {
  auto rec = dwarf_record(64, 40, true);
  DwarfSample s;
  ASSERT_TRUE(parse_dwarf_sample(rec, s));
  EXPECT_EQ(s.pid, 4242u);
  EXPECT_EQ(s.tid, 4243u);
  EXPECT_EQ(s.time_ns, 123456789u);
  EXPECT_EQ(s.kernel_ips, (std::vector<uint64_t>{0xffffffff81000010ull, 0xffffffff81000020ull}));
  ASSERT_TRUE(s.regs_ok);
  // DWARF: rax rdx rcx rbx rsi rdi rbp rsp r8..r15 rip; perf: AX BX CX DX SI DI BP SP IP R8..R15.
  EXPECT_EQ(s.regs[0], 1000u);     // rax = AX
  EXPECT_EQ(s.regs[1], 1003u);     // rdx = DX
  EXPECT_EQ(s.regs[3], 1001u);     // rbx = BX
  EXPECT_EQ(s.regs[7], 1007u);     // rsp = SP
  EXPECT_EQ(s.regs[8], 1009u);     // r8
  EXPECT_EQ(s.regs[15], 1016u);    // r15
  EXPECT_EQ(s.regs[16], 1008u);    // rip = IP
  ASSERT_EQ(s.stack.size(), 40u);  // dyn_size, not the requested size
  EXPECT_EQ(s.stack[39], 39);
}

TEST(CollectDwarfSample, KernelThreadsAndMalformedRecords) {
  auto no_regs = dwarf_record(0, 0, false);
  DwarfSample s;
  ASSERT_TRUE(parse_dwarf_sample(no_regs, s));
  EXPECT_FALSE(s.regs_ok);
  EXPECT_TRUE(s.stack.empty());
  auto rec = dwarf_record(64, 64, true);
  for (size_t cut = 0; cut < rec.size(); cut += 7) {
    auto shorter = rec;
    shorter.resize(cut);
    if (cut >= sizeof(perf_event_header)) {
      perf_event_header h{};
      std::memcpy(&h, shorter.data(), sizeof h);
      h.size = static_cast<uint16_t>(cut);
      std::memcpy(shorter.data(), &h, sizeof h);
    }
    EXPECT_FALSE(parse_dwarf_sample(shorter, s)) << cut;
  }
}

}  // namespace
}  // namespace loadprof::collect
