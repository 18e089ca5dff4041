// Parsers of the /proc files of the recorder's resource pass.
#include "loadprof/util/proc_resources.h"

#include <charconv>

namespace loadprof::procfs {
namespace {

std::string_view next_word(std::string_view& s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n')) s.remove_prefix(1);
  size_t e = s.find_first_of(" \t\n");
  std::string_view w = s.substr(0, e);
  s.remove_prefix(e == std::string_view::npos ? s.size() : e);
  return w;
}

bool to_u64(std::string_view w, uint64_t& v) {
  auto [ptr, ec] = std::from_chars(w.data(), w.data() + w.size(), v);
  return !w.empty() && ec == std::errc() && ptr == w.data() + w.size();
}

// The number after "key" at the start of a line ("read_bytes: 123").
bool keyed_value(std::string_view text, std::string_view key, uint64_t& v) {
  size_t at = 0;
  while (true) {
    at = text.find(key, at);
    if (at == std::string_view::npos) return false;
    if (at == 0 || text[at - 1] == '\n') break;
    at += key.size();
  }
  std::string_view rest = text.substr(at + key.size());
  return to_u64(next_word(rest), v);
}

}  // namespace

std::optional<StatFigures> parse_stat_figures(std::string_view text) {
  size_t close = text.rfind(')');
  if (close == std::string_view::npos) return std::nullopt;
  std::string_view rest = text.substr(close + 1);
  // Fields from 3 (state) on; minflt is field 10, majflt 12, utime 14, stime
  // 15, num_threads 20, rss 24.
  uint64_t utime = 0, stime = 0, threads = 0, rss = 0, minflt = 0, majflt = 0;
  for (int field = 3; field <= 24; ++field) {
    std::string_view w = next_word(rest);
    if (w.empty()) return std::nullopt;
    uint64_t* into = field == 10   ? &minflt
                     : field == 12 ? &majflt
                     : field == 14 ? &utime
                     : field == 15 ? &stime
                     : field == 20 ? &threads
                     : field == 24 ? &rss
                                   : nullptr;
    if (into && !to_u64(w, *into)) return std::nullopt;
  }
  return StatFigures{utime + stime, static_cast<uint32_t>(threads), rss, minflt, majflt};
}

std::optional<IoFigures> parse_io(std::string_view text) {
  IoFigures io;
  if (!keyed_value(text, "read_bytes:", io.read_bytes) || !keyed_value(text, "write_bytes:", io.write_bytes))
    return std::nullopt;
  return io;
}

std::optional<NetFigures> parse_net_dev(std::string_view text) {
  NetFigures net;
  bool any = false;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;  // the two header lines
    std::string_view rest = line.substr(colon + 1);
    // rx: bytes packets errs drop fifo frame compressed multicast; tx: bytes ...
    uint64_t values[9] = {};
    bool ok = true;
    for (uint64_t& v : values) ok = ok && to_u64(next_word(rest), v);
    if (!ok) return std::nullopt;
    net.rx_bytes += values[0];
    net.tx_bytes += values[8];
    any = true;
  }
  if (!any) return std::nullopt;
  return net;
}

std::optional<CpuTimes> parse_stat_cpu_total(std::string_view text) {
  if (text.substr(0, 4) != "cpu ") return std::nullopt;
  std::string_view rest = text.substr(4, text.find('\n') - 4);
  // user nice system idle iowait irq softirq steal [guest guest_nice]
  uint64_t v[8] = {};
  for (uint64_t& x : v)
    if (!to_u64(next_word(rest), x)) return std::nullopt;
  CpuTimes t;
  t.busy_ticks = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
  t.total_ticks = t.busy_ticks + v[3] + v[4];
  return t;
}

std::optional<MemFigures> parse_meminfo(std::string_view text) {
  uint64_t total_kb = 0, available_kb = 0;
  if (!keyed_value(text, "MemTotal:", total_kb) || !keyed_value(text, "MemAvailable:", available_kb))
    return std::nullopt;
  return MemFigures{total_kb * 1024, available_kb * 1024};
}

}  // namespace loadprof::procfs
