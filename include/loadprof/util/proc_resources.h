// Parsers of the /proc files the recorder's once-a-second resource pass
// reads: /proc/PID/stat (CPU time, threads, RSS), /proc/PID/io,
// /proc/PID/net/dev, /proc/stat's total line and /proc/meminfo. Parsing is
// split from reading so tests need no live process.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace loadprof::procfs {

// Fields of /proc/PID/stat (the comm may contain ") "): utime + stime of all
// threads, live and exited, in USER_HZ ticks; num_threads; rss in pages;
// minor and major page faults of all threads, live and exited (children's
// not counted).
struct StatFigures {
  uint64_t cpu_ticks = 0;
  uint32_t threads = 0;
  uint64_t rss_pages = 0;
  uint64_t minor_faults = 0;
  uint64_t major_faults = 0;
};
std::optional<StatFigures> parse_stat_figures(std::string_view stat_text);

// read_bytes / write_bytes of /proc/PID/io (storage I/O the process caused).
struct IoFigures {
  uint64_t read_bytes = 0;
  uint64_t write_bytes = 0;
};
std::optional<IoFigures> parse_io(std::string_view io_text);

// Received / transmitted bytes of every interface of /proc/PID/net/dev (the
// network namespace's, loopback included), summed.
struct NetFigures {
  uint64_t rx_bytes = 0;
  uint64_t tx_bytes = 0;
};
std::optional<NetFigures> parse_net_dev(std::string_view net_dev_text);

// The "cpu " line of /proc/stat, in USER_HZ ticks: busy = user + nice +
// system + irq + softirq + steal (guest time is inside user); total = busy +
// idle + iowait.
struct CpuTimes {
  uint64_t busy_ticks = 0;
  uint64_t total_ticks = 0;
};
std::optional<CpuTimes> parse_stat_cpu_total(std::string_view proc_stat_text);

// MemTotal and MemAvailable of /proc/meminfo, in bytes.
struct MemFigures {
  uint64_t total_bytes = 0;
  uint64_t available_bytes = 0;
};
std::optional<MemFigures> parse_meminfo(std::string_view meminfo_text);

}  // namespace loadprof::procfs
