// Start / peak / end of the resource timeline's figures.
#include "resources_summary.h"

#include <cstdio>
#include <functional>

#include "loadprof/util/units.h"

namespace loadprof::report {

const char* const kResourcesNote =
    "From the recorder's /proc reading once a second, summed over the target processes (children included). "
    "CPU % is of one CPU (200 % = two CPUs); read/write are the storage bytes of /proc/PID/io (page-cache "
    "hits are not in them); network bytes are those of the targets' network namespaces, loopback included, "
    "not of the processes alone; context switches are those of all live threads. The per-second series is "
    "in report.json (resources).";

namespace {

std::string pct(double v) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.1f %%", v);
  return buf;
}

std::string count(double v) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.0f", v);
  return buf;
}

using Get = std::function<std::optional<double>(const analyze::ResourceSecond&)>;

}  // namespace

std::vector<ResourceSummaryRow> resource_summary(const std::vector<analyze::ResourceSecond>& rows) {
  std::vector<ResourceSummaryRow> out;
  if (rows.empty()) return out;
  auto add = [&](std::string figure, const Get& get, const std::function<std::string(double)>& fmt) {
    std::optional<double> peak;
    uint32_t peak_t = 0;
    for (const auto& r : rows) {
      auto v = get(r);
      if (v && (!peak || *v > *peak)) {
        peak = v;
        peak_t = r.t_s;
      }
    }
    if (!peak) return;
    auto at = [&](const analyze::ResourceSecond& r) {
      auto v = get(r);
      return v ? fmt(*v) : std::string("-");
    };
    out.push_back({std::move(figure), at(rows.front()), fmt(*peak) + " at " + std::to_string(peak_t) + " s",
                   at(rows.back())});
  };
  auto bytes = [](double v) { return format_bytes(static_cast<uint64_t>(v)); };
  auto per_s = [](double v) { return count(v) + "/s"; };
  auto bytes_per_s = [](double v) { return format_bytes(static_cast<uint64_t>(v)) + "/s"; };
  add(
      "target CPU", [](const auto& r) { return std::optional<double>(r.cpu_pct); }, pct);
  add(
      "RSS", [](const auto& r) { return std::optional<double>(static_cast<double>(r.rss_bytes)); }, bytes);
  const auto& first = rows.front();
  const auto& last = rows.back();
  const double growth = static_cast<double>(last.rss_bytes) - static_cast<double>(first.rss_bytes);
  out.push_back(
      {"RSS growth", "", "",
       (growth < 0 ? "-" : "+") + format_bytes(static_cast<uint64_t>(growth < 0 ? -growth : growth))});
  add(
      "voluntary context switches",
      [](const auto& r) {
        return r.voluntary_ctxsw ? std::optional<double>(static_cast<double>(*r.voluntary_ctxsw))
                                 : std::nullopt;
      },
      per_s);
  add(
      "involuntary context switches",
      [](const auto& r) {
        return r.involuntary_ctxsw ? std::optional<double>(static_cast<double>(*r.involuntary_ctxsw))
                                   : std::nullopt;
      },
      per_s);
  add(
      "minor page faults",
      [](const auto& r) { return std::optional<double>(static_cast<double>(r.minor_faults)); }, per_s);
  add(
      "major page faults",
      [](const auto& r) { return std::optional<double>(static_cast<double>(r.major_faults)); }, per_s);
  size_t unknown = 0;
  for (const auto& r : rows) unknown += r.voluntary_ctxsw.has_value() ? 0 : 1;
  if (unknown > 0) {
    out.push_back({"context switches",
                   "not counted in " + std::to_string(unknown) + " of " + std::to_string(rows.size()) +
                       " seconds (taskstats needs CAP_NET_ADMIN)",
                   "", ""});
  }
  add(
      "storage read", [](const auto& r) { return std::optional<double>(static_cast<double>(r.read_bytes)); },
      bytes_per_s);
  add(
      "storage write",
      [](const auto& r) { return std::optional<double>(static_cast<double>(r.write_bytes)); }, bytes_per_s);
  add(
      "network received (namespace)",
      [](const auto& r) { return std::optional<double>(static_cast<double>(r.net_rx_bytes)); }, bytes_per_s);
  add(
      "network sent (namespace)",
      [](const auto& r) { return std::optional<double>(static_cast<double>(r.net_tx_bytes)); }, bytes_per_s);
  add(
      "threads", [](const auto& r) { return std::optional<double>(r.threads); }, count);
  add(
      "open fds", [](const auto& r) { return std::optional<double>(r.fds); }, count);
  add(
      "machine CPU busy", [](const auto& r) { return std::optional<double>(r.machine_cpu_pct); }, pct);
  add(
      "machine memory used",
      [](const auto& r) { return std::optional<double>(static_cast<double>(r.machine_mem_used_bytes)); },
      bytes);
  return out;
}

}  // namespace loadprof::report
