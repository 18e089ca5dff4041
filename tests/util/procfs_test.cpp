// /proc parsing: maps lines (paths with spaces, anonymous, malformed) and stat's ppid.
#include "loadprof/util/procfs.h"

#include <gtest/gtest.h>
#include <unistd.h>

using namespace loadprof;

TEST(Procfs, MapsLines) {
  auto maps = procfs::parse_maps(
      "55d0c7a00000-55d0c7a02000 r-xp 00002000 fd:01 1234      /usr/bin/foo\n"
      "7f0000000000-7f0000001000 rw-p 00000000 00:00 0 \n"
      "garbage line\n"
      "7f0000002000-7f0000001000 r-xp 00000000 00:00 0 /backwards\n"
      "7f1000000000-7f1000004000 r-xp 00010000 fd:01 99   /opt/my app/lib (deleted)\n");
  ASSERT_EQ(maps.size(), 3u);
  EXPECT_EQ(maps[0].start, 0x55d0c7a00000u);
  EXPECT_EQ(maps[0].end, 0x55d0c7a02000u);
  EXPECT_EQ(maps[0].pgoff, 0x2000u);
  EXPECT_TRUE(maps[0].executable);
  EXPECT_EQ(maps[0].path, "/usr/bin/foo");
  EXPECT_FALSE(maps[1].executable);
  EXPECT_EQ(maps[1].path, "");
  EXPECT_EQ(maps[2].path, "/opt/my app/lib (deleted)");
}

TEST(Procfs, StatPpidWithHostileComm) {
  EXPECT_EQ(procfs::parse_stat_ppid("12 (a b) S 7 12 12 0"), 7);
  EXPECT_EQ(procfs::parse_stat_ppid("12 (x) (y) ) R 4242 1"), 4242);
  EXPECT_EQ(procfs::parse_stat_ppid("12 (x"), -1);
  EXPECT_EQ(procfs::parse_stat_ppid("12 (x) S"), -1);
  EXPECT_EQ(procfs::parse_stat_ppid("12 (x) S abc"), -1);
}

TEST(Procfs, ReadsOwnProcessAndNamesAGoneOne) {
  auto stat = procfs::read(getpid(), "stat");
  ASSERT_TRUE(stat.ok());
  EXPECT_EQ(procfs::parse_stat_ppid(*stat), getppid());
  auto gone = procfs::read(4194000, "maps");
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().kind, ErrorKind::target_gone);
}

TEST(Procfs, StatusTgidOfAThread) {
  EXPECT_EQ(procfs::parse_status_tgid(
                "Name:\thot\nUmask:\t0022\nState:\tR (running)\nTgid:\t1234\nNgid:\t0\nPid:\t1235\n"),
            1234);
  EXPECT_EQ(procfs::parse_status_tgid("Tgid:\t7\nPid:\t7\n"), 7);
  EXPECT_EQ(procfs::parse_status_tgid("Name:\tx\nPid:\t5\n"), -1);
  EXPECT_EQ(procfs::parse_status_tgid("Name:\tx\nTgid:\tabc\n"), -1);
  auto own = procfs::read(getpid(), "status");
  ASSERT_TRUE(own.ok());
  EXPECT_EQ(procfs::parse_status_tgid(*own), getpid());
}

TEST(Procfs, CpuListsWithRangesAndHoles) {
  EXPECT_EQ(procfs::parse_cpu_list("0-3,5,7-8\n"), (std::vector<int>{0, 1, 2, 3, 5, 7, 8}));
  EXPECT_EQ(procfs::parse_cpu_list("0\n"), (std::vector<int>{0}));
  EXPECT_EQ(procfs::parse_cpu_list("2,4-5"), (std::vector<int>{2, 4, 5}));
  EXPECT_EQ(procfs::parse_cpu_list("5,1-2,2"), (std::vector<int>{1, 2, 5}));
  for (const char* bad : {"", "\n", "a", "3-1", "1-", "-1", "1,,2", "0-70000", "1 2"})
    EXPECT_TRUE(procfs::parse_cpu_list(bad).empty()) << "'" << bad << "'";
  auto online = procfs::online_cpus();
  ASSERT_FALSE(online.empty());
  EXPECT_EQ(static_cast<long>(online.size()), sysconf(_SC_NPROCESSORS_ONLN));
}

TEST(Procfs, StealPerCpuFromProcStat) {
  auto steal = procfs::parse_stat_steal(
      "cpu  100 0 50 1000 2 0 1 30 0 0\n"
      "cpu0 50 0 25 500 1 0 1 12 0 0\n"
      "cpu3 50 0 25 500 1 0 0 18 0 0\n"
      "cpu1 1 2 3\n"
      "intr 12345 0 0\n"
      "cpuX 1 1 1 1 1 1 1 1\n");
  ASSERT_EQ(steal.size(), 2u);
  EXPECT_EQ(steal[0].cpu, 0);
  EXPECT_EQ(steal[0].steal_ticks, 12u);
  EXPECT_EQ(steal[1].cpu, 3);
  EXPECT_EQ(steal[1].steal_ticks, 18u);
  auto real = procfs::read_path("/proc/stat");
  ASSERT_TRUE(real.ok());
  EXPECT_EQ(static_cast<long>(procfs::parse_stat_steal(*real).size()), sysconf(_SC_NPROCESSORS_ONLN));
}
