// /proc parsing: maps lines (paths with spaces, anonymous, malformed) and stat's ppid.
#include <gtest/gtest.h>
#include <unistd.h>

#include "loadprof/util/procfs.h"

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
