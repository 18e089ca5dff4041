// Parsers of the resource pass's /proc files, on texts copied from a 6.x kernel.
#include "loadprof/util/proc_resources.h"

#include <gtest/gtest.h>

namespace loadprof::procfs {
namespace {

TEST(ProcResources, StatFiguresSkipACommWithParenthesesAndSpaces) {
  auto s = parse_stat_figures(
      "4242 (a) b (c) S 1 4242 4242 0 -1 4194560 1200 0 3 0 250 75 0 0 20 0 21 0 100 123456789 2560 "
      "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->cpu_ticks, 325u);
  EXPECT_EQ(s->threads, 21u);
  EXPECT_EQ(s->rss_pages, 2560u);
  EXPECT_EQ(s->minor_faults, 1200u);  // minflt (field 10), not cminflt (11)
  EXPECT_EQ(s->major_faults, 3u);     // majflt (field 12), not cmajflt (13)
  EXPECT_FALSE(parse_stat_figures("4242 (a) S 1 2 3"));
  EXPECT_FALSE(parse_stat_figures("garbage"));
}

TEST(ProcResources, IoReadsStorageBytesNotRchar) {
  auto io = parse_io(
      "rchar: 9999\nwchar: 8888\nsyscr: 1\nsyscw: 2\nread_bytes: 4096\nwrite_bytes: 1048576\n"
      "cancelled_write_bytes: 0\n");
  ASSERT_TRUE(io);
  EXPECT_EQ(io->read_bytes, 4096u);
  EXPECT_EQ(io->write_bytes, 1048576u);
  EXPECT_FALSE(parse_io("rchar: 1\n"));
}

TEST(ProcResources, NetDevSumsEveryInterfaceLoopbackIncluded) {
  auto net = parse_net_dev(
      "Inter-|   Receive                                                |  Transmit\n"
      " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo "
      "colls carrier compressed\n"
      "    lo:  1000      10    0    0    0     0          0         0     1000      10    0    0    0     0"
      "       0          0\n"
      "  eth0: 52000     400    0    0    0     0          0         0     7000      60    0    0    0     0"
      "       0          0\n");
  ASSERT_TRUE(net);
  EXPECT_EQ(net->rx_bytes, 53000u);
  EXPECT_EQ(net->tx_bytes, 8000u);
  EXPECT_FALSE(parse_net_dev("Inter-|\n face |\n"));
}

TEST(ProcResources, CpuTotalLineBusyAndTotal) {
  auto t = parse_stat_cpu_total("cpu  100 5 50 800 20 3 2 10 0 0\ncpu0 50 2 25 400 10 1 1 5 0 0\n");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->busy_ticks, 170u);
  EXPECT_EQ(t->total_ticks, 990u);
  EXPECT_FALSE(parse_stat_cpu_total("cpu0 1 2 3\n"));
}

TEST(ProcResources, MeminfoTotalAndAvailable) {
  auto m = parse_meminfo("MemTotal:        4000000 kB\nMemFree:  100 kB\nMemAvailable:    3000000 kB\n");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->total_bytes, 4000000ull * 1024);
  EXPECT_EQ(m->available_bytes, 3000000ull * 1024);
  EXPECT_FALSE(parse_meminfo("MemTotal: 1 kB\n"));
}

}  // namespace
}  // namespace loadprof::procfs
