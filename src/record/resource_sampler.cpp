// The per-second resource pass. Costs ~100 us per target process (measured
// with 20 threads, docs/benchmarks/record.md): six small /proc reads, one
// stat(2) of the namespace link, one netlink round trip.
#include "resource_sampler.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "loadprof/util/clock.h"
#include "loadprof/util/log.h"
#include "loadprof/util/proc_resources.h"
#include "loadprof/util/procfs.h"

namespace loadprof::record {
namespace {

constexpr uint64_t kSecondNs = 1'000'000'000;

uint64_t delta(uint64_t now, uint64_t before) { return now >= before ? now - before : 0; }

// Entries of /proc/PID/fd; nullopt when it cannot be listed.
std::optional<uint32_t> count_fds(uint32_t pid) {
  const std::string dir = "/proc/" + std::to_string(pid) + "/fd";
  DIR* d = opendir(dir.c_str());
  if (!d) return std::nullopt;
  uint32_t n = 0;
  while (dirent* e = readdir(d)) n += e->d_name[0] != '.';
  closedir(d);
  return n;
}

}  // namespace

ResourceSampler::ResourceSampler() {
  long hz = sysconf(_SC_CLK_TCK);
  if (hz > 0) ticks_per_s_ = static_cast<uint64_t>(hz);
  long page = sysconf(_SC_PAGESIZE);
  if (page > 0) page_bytes_ = static_cast<uint64_t>(page);
  auto client = TaskstatsClient::open();
  if (client.ok()) {
    taskstats_.emplace(std::move(*client));
  } else {
    log::info("resources: context switches not recorded (" + client.error().message + ")");
  }
}

std::vector<capture::ResourceSample> ResourceSampler::sample(const std::vector<uint32_t>& pids,
                                                             uint64_t now_ns) {
  const uint64_t start_ns = monotonic_ns();
  std::vector<capture::ResourceSample> rows;
  rows.reserve(pids.size() + 1);
  rows.push_back(sample_machine(now_ns));
  std::unordered_map<uint64_t, bool> netns_seen;
  std::unordered_map<uint32_t, Previous> kept;
  for (uint32_t pid : pids) {
    if (auto row = sample_process(pid, now_ns, netns_seen)) rows.push_back(*row);
    if (auto it = previous_.find(pid); it != previous_.end()) kept.insert(*it);
  }
  previous_ = std::move(kept);  // forget processes that are gone
  ++passes_;
  pass_ns_ += monotonic_ns() - start_ns;
  return rows;
}

capture::ResourceSample ResourceSampler::sample_machine(uint64_t now_ns) {
  capture::ResourceSample row;
  row.time_ns = now_ns;
  row.pid = capture::kMachinePid;
  if (auto mem = procfs::read_path("/proc/meminfo"); mem.ok()) {
    if (auto m = procfs::parse_meminfo(*mem)) {
      row.rss_bytes = m->total_bytes - std::min(m->total_bytes, m->available_bytes);
      row.available_bytes = m->available_bytes;
    }
  }
  auto stat = procfs::read_path("/proc/stat");
  auto cpu = stat.ok() ? procfs::parse_stat_cpu_total(*stat) : std::nullopt;
  if (cpu) {
    if (machine_previous_) {
      row.interval_ns = now_ns - machine_previous_->time_ns;
      row.cpu_ns = delta(cpu->busy_ticks, machine_previous_->cpu_ticks) * kSecondNs / ticks_per_s_;
    }
    machine_previous_ = Previous{now_ns, cpu->busy_ticks, 0, 0, 0, 0, false};
  }
  return row;
}

std::optional<capture::ResourceSample> ResourceSampler::sample_process(
    uint32_t pid, uint64_t now_ns, std::unordered_map<uint64_t, bool>& netns_seen) {
  const pid_t p = static_cast<pid_t>(pid);
  auto stat_text = procfs::read(p, "stat");
  if (!stat_text.ok()) return std::nullopt;  // gone: its exit is the collector's to report
  auto stat = procfs::parse_stat_figures(*stat_text);
  if (!stat) {
    ++unreadable_;
    return std::nullopt;
  }
  capture::ResourceSample row;
  row.time_ns = now_ns;
  row.pid = pid;
  row.rss_bytes = stat->rss_pages * page_bytes_;
  row.threads = stat->threads;
  Previous now{now_ns, stat->cpu_ticks, 0, 0, 0, 0, false, stat->minor_faults, stat->major_faults};

  auto io_text = procfs::read(p, "io");
  auto io = io_text.ok() ? procfs::parse_io(*io_text) : std::nullopt;
  if (io) {
    now.read_bytes = io->read_bytes;
    now.write_bytes = io->write_bytes;
  } else {
    ++unreadable_;
  }
  if (auto fds = count_fds(pid)) {
    row.fds = *fds;
  } else {
    ++unreadable_;
  }
  std::optional<ContextSwitches> cs;
  if (taskstats_) cs = taskstats_->thread_group(p);
  auto it = previous_.find(pid);
  if (cs) {
    now.voluntary = cs->voluntary;
    now.involuntary = cs->involuntary;
    now.has_ctxsw = true;
  } else if (it != previous_.end()) {  // keep the last good figures for the next delta
    now.voluntary = it->second.voluntary;
    now.involuntary = it->second.involuntary;
    now.has_ctxsw = it->second.has_ctxsw;
  }

  if (it != previous_.end()) {
    const Previous& before = it->second;
    row.interval_ns = now_ns - before.time_ns;
    row.cpu_ns = delta(now.cpu_ticks, before.cpu_ticks) * kSecondNs / ticks_per_s_;
    row.read_bytes = delta(now.read_bytes, before.read_bytes);
    row.write_bytes = delta(now.write_bytes, before.write_bytes);
    row.minor_faults = delta(now.minor_faults, before.minor_faults);
    row.major_faults = delta(now.major_faults, before.major_faults);
    if (cs && before.has_ctxsw) {
      row.ctxsw_known = true;
      if (now.voluntary < before.voluntary || now.involuntary < before.involuntary) ++ctxsw_went_back_;
      row.voluntary_ctxsw = delta(now.voluntary, before.voluntary);
      row.involuntary_ctxsw = delta(now.involuntary, before.involuntary);
    }
  } else {
    row.ctxsw_known = cs.has_value();
  }
  if (!io) {  // keep the last good figures so the next delta is not a jump
    now.read_bytes = it != previous_.end() ? it->second.read_bytes : 0;
    now.write_bytes = it != previous_.end() ? it->second.write_bytes : 0;
  }
  previous_[pid] = now;

  // The namespace's traffic, once per namespace and pass.
  struct stat ns {};
  const std::string ns_path = "/proc/" + std::to_string(pid) + "/ns/net";
  if (::stat(ns_path.c_str(), &ns) == 0 && !netns_seen[ns.st_ino]) {
    netns_seen[ns.st_ino] = true;
    auto net_text = procfs::read(p, "net/dev");
    if (auto net = net_text.ok() ? procfs::parse_net_dev(*net_text) : std::nullopt) {
      auto [prev, first] = net_previous_.try_emplace(ns.st_ino, NetPrevious{net->rx_bytes, net->tx_bytes});
      if (!first) {
        row.net_rx_bytes = delta(net->rx_bytes, prev->second.rx_bytes);
        row.net_tx_bytes = delta(net->tx_bytes, prev->second.tx_bytes);
        prev->second = NetPrevious{net->rx_bytes, net->tx_bytes};
      }
    } else {
      ++unreadable_;
    }
  }
  return row;
}

}  // namespace loadprof::record
