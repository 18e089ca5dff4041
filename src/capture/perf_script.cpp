// Import of `perf script` text: the default output of `perf record -g` and its
// -F variations (with or without pid/tid, cpu, time, period, event; callchains
// on their own lines or one ip on the header line). Each sample is a header
// line "COMM PID/TID [CPU] TIME: PERIOD EVENT:" followed by tab-indented
// callchain lines "ADDR SYM+OFF (DSO)", leaf first. The header is read from
// its time token outwards, so a comm with spaces stays whole. Of several
// events, the cpu-clock/cycles one is kept (else the first); the others are
// counted. perf's time (seconds on perf's own clock) becomes nanoseconds on
// that clock, and metadata.source says so.
#include <algorithm>
#include <charconv>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "capture/import_build.h"
#include "loadprof/capture/import.h"

namespace loadprof::capture {
namespace {

// Lower-half addresses are user space on x86-64 and arm64; perf also names the
// kernel's dso "[kernel.kallsyms]" (or "[kernel.vmlinux]").
constexpr uint64_t kKernelStart = 0xffff800000000000ull;

struct Token {
  std::string_view text;
  size_t begin = 0;  // offset in the line
};

std::vector<Token> tokens_of(std::string_view line) {
  std::vector<Token> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    size_t b = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > b) out.push_back({line.substr(b, i - b), b});
  }
  return out;
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool all_hex(std::string_view s) {
  return !s.empty() && s.size() <= 16 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  });
}

template <typename T>
std::optional<T> number(std::string_view s, int base = 10) {
  T v{};
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// "11272.394203:" -> ns. Up to 9 fraction digits (perf --ns prints 9).
std::optional<uint64_t> time_token(std::string_view t) {
  if (t.size() < 4 || t.back() != ':') return std::nullopt;
  t.remove_suffix(1);
  size_t dot = t.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  std::string_view sec = t.substr(0, dot), frac = t.substr(dot + 1);
  if (!all_digits(sec) || !all_digits(frac) || frac.size() > 9 || sec.size() > 10) return std::nullopt;
  uint64_t ns = *number<uint64_t>(sec) * 1'000'000'000ull;
  uint64_t f = *number<uint64_t>(frac);
  for (size_t i = frac.size(); i < 9; ++i) f *= 10;
  return ns + f;
}

// An event token: "cpu-clock:ppp:", "cycles:u:", "sched:sched_switch:".
bool event_token(std::string_view t) {
  if (t.size() < 2 || t.back() != ':') return false;
  return std::any_of(t.begin(), t.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); });
}

struct Header {
  std::string comm;
  std::optional<uint32_t> pid, tid, cpu;
  std::optional<uint64_t> time_ns, period;
  std::string event;
  std::string_view rest;  // after the event: a one-line ip/sym/dso, or a tracepoint's fields
};

// The fields before the time (or the event): [COMM] [PID/TID | TID] [[CPU]].
bool read_leading(std::string_view line, const std::vector<Token>& tok, size_t end, Header& h) {
  size_t j = end;  // tokens [0, j) are left
  if (j > 0 && tok[j - 1].text.size() > 2 && tok[j - 1].text.front() == '[' &&
      tok[j - 1].text.back() == ']') {
    auto cpu = number<uint32_t>(tok[j - 1].text.substr(1, tok[j - 1].text.size() - 2));
    if (!cpu) return false;
    h.cpu = cpu;
    --j;
  }
  if (j > 0) {
    std::string_view t = tok[j - 1].text;
    size_t slash = t.find('/');
    if (slash != std::string_view::npos && all_digits(t.substr(0, slash)) &&
        all_digits(t.substr(slash + 1))) {
      h.pid = number<uint32_t>(t.substr(0, slash));
      h.tid = number<uint32_t>(t.substr(slash + 1));
      if (!h.pid || !h.tid) return false;
      --j;
    } else if (all_digits(t)) {
      h.tid = number<uint32_t>(t);  // perf's default prints the tid alone
      if (!h.tid) return false;
      --j;
    }
  }
  if (j > 0) {
    size_t b = tok[0].begin, e = tok[j - 1].begin + tok[j - 1].text.size();
    h.comm = std::string(line.substr(b, e - b));
  }
  return true;
}

std::optional<Header> read_header(std::string_view line) {
  auto tok = tokens_of(line);
  Header h;
  size_t t = tok.size();
  for (size_t i = 0; i < tok.size(); ++i) {
    if ((h.time_ns = time_token(tok[i].text))) {
      t = i;
      break;
    }
  }
  size_t after;
  if (t < tok.size()) {
    if (!read_leading(line, tok, t, h)) return std::nullopt;
    after = t + 1;
    if (after + 1 < tok.size() && all_digits(tok[after].text) && event_token(tok[after + 1].text)) {
      h.period = number<uint64_t>(tok[after].text);
      ++after;
    }
    if (after < tok.size() && event_token(tok[after].text)) {
      h.event = std::string(tok[after].text.substr(0, tok[after].text.size() - 1));
      ++after;
    }
  } else {
    // No time field: the event anchors the line.
    size_t e = tok.size();
    for (size_t i = 0; i < tok.size(); ++i) {
      if (event_token(tok[i].text)) {
        e = i;
        break;
      }
    }
    if (e == tok.size()) return std::nullopt;
    size_t lead = e;
    if (lead >= 2 && all_digits(tok[lead - 1].text) &&
        (all_digits(tok[lead - 2].text) || tok[lead - 2].text.find('/') != std::string_view::npos ||
         tok[lead - 2].text.front() == '[')) {
      h.period = number<uint64_t>(tok[lead - 1].text);
      --lead;
    }
    if (!read_leading(line, tok, lead, h)) return std::nullopt;
    h.event = std::string(tok[e].text.substr(0, tok[e].text.size() - 1));
    after = e + 1;
  }
  if (after < tok.size()) h.rest = line.substr(tok[after].begin);
  return h;
}

// "\t    11e4 hot+0x24 (/path/hot)", "ffffffff8a0012 __schedule+0x3a ([kernel.kallsyms])",
// "7f12 [unknown] ([unknown])", "11e4 hot", "11e4 inl (/path) (inlined)".
std::optional<RawFrame> read_frame(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r'))
    text.remove_suffix(1);
  size_t sp = text.find_first_of(" \t");
  std::string_view addr = text.substr(0, sp);
  if (!all_hex(addr)) return std::nullopt;
  RawFrame f;
  f.address = *number<uint64_t>(addr, 16);
  std::string_view rest = sp == std::string_view::npos ? std::string_view() : text.substr(sp);
  while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
  constexpr std::string_view kInlined = " (inlined)";
  if (rest.size() >= kInlined.size() && rest.substr(rest.size() - kInlined.size()) == kInlined) {
    f.inlined = true;
    rest.remove_suffix(kInlined.size());
  }
  std::string_view dso;
  if (!rest.empty() && rest.back() == ')') {
    size_t open = rest.rfind(" (");
    if (open != std::string_view::npos) {
      dso = rest.substr(open + 2, rest.size() - open - 3);
      rest = rest.substr(0, open);
    } else if (rest.front() == '(') {  // -F ip,dso: no symbol
      dso = rest.substr(1, rest.size() - 2);
      rest = {};
    }
  }
  while (!rest.empty() && rest.back() == ' ') rest.remove_suffix(1);
  size_t plus = rest.rfind("+0x");
  if (plus != std::string_view::npos && plus > 0 && all_hex(rest.substr(plus + 3)))
    rest = rest.substr(0, plus);
  if (rest != "[unknown]") f.function = std::string(rest);
  f.kernel = dso.starts_with("[kernel") || f.address >= kKernelStart;
  if (f.kernel) {
    f.module = "[kernel]";
  } else if (!dso.empty() && dso != "[unknown]") {
    size_t slash = dso.rfind('/');
    f.module = std::string(slash == std::string_view::npos ? dso : dso.substr(slash + 1));
    f.module_offset = f.address;  // perf prints callchain ips relative to their map
  }
  return f;
}

// The srcline perf prints under a frame with -F +srcline: "  hot.c:23" is
// kept; "  :0", "  ??:0" and "  DSO[ADDR]" (no line known) are taken and dropped.
void read_srcline(std::string_view text, RawFrame& f) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\r')) text.remove_suffix(1);
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return;
  auto line = number<uint32_t>(text.substr(colon + 1));
  std::string_view file = text.substr(0, colon);
  if (line && *line != 0 && !file.empty() && file != "??") {
    f.file = std::string(file);
    f.line = *line;
  }
}

struct RawSample {
  Header header;
  std::vector<RawFrame> frames;  // leaf first
};

// What one event's samples have built so far: each event has its own builder,
// so the text is read once and no sample is held as text.
struct EventImport {
  ImportBuilder builder;
  uint64_t samples = 0;
  std::vector<uint64_t> periods;
  bool missing_pid = false, any_time = false, any_cpu = false;
  uint32_t max_cpu = 0;

  void add(const RawSample& s) {
    const Header& h = s.header;
    uint32_t tid = h.tid.value_or(h.pid.value_or(0));
    uint32_t pid = h.pid.value_or(tid);
    missing_pid |= !h.pid.has_value();
    any_time |= h.time_ns.has_value();
    if (h.period) periods.push_back(*h.period);
    if (h.cpu) {
      any_cpu = true;
      max_cpu = std::max(max_cpu, *h.cpu);
    }
    builder.add_sample(h.comm, pid, tid, h.cpu.value_or(0), h.time_ns.value_or(0), s.frames, 1);
    ++samples;
  }
};

bool preferred_event(const std::string& event) {
  std::string base = event.substr(0, event.find(':'));
  return base == "cpu-clock" || base == "task-clock" || base == "cycles" || base == "cpu-cycles";
}

Error bad_line(size_t line_no, const std::string& what) {
  return make_error(ErrorKind::corrupt_input, "perf script line " + std::to_string(line_no) + ": " + what);
}

std::string shorten(std::string_view line) {
  std::string s(line.substr(0, 60));
  for (char& c : s) {
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  return line.size() > 60 ? s + "..." : s;
}

}  // namespace

Result<ImportResult> import_perf_script(std::string_view text) {
  if (text.starts_with("PERFILE")) {
    return make_error(ErrorKind::corrupt_input,
                      "perf script: this is a perf.data file, not perf script text: run 'perf script -i FILE "
                      "> FILE.txt' first");
  }
  std::map<std::string, EventImport> events;
  std::vector<std::string> order;  // events in order of appearance
  RawSample current;
  bool in_sample = false;  // the last header may take callchain lines
  auto finish_sample = [&] {
    if (!in_sample) return;
    auto [it, added] = events.try_emplace(current.header.event);
    if (added) order.push_back(current.header.event);
    it->second.add(current);
    in_sample = false;
  };
  size_t line_no = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line =
        text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find('\0') != std::string_view::npos) return bad_line(line_no, "binary data (a NUL byte)");
    if (line.find_first_not_of(" \t") == std::string_view::npos) {
      finish_sample();  // a blank line ends a sample's callchain
      continue;
    }
    if (line.front() == '#') continue;  // perf script --header
    if (line.front() == '\t') {
      if (!in_sample) return bad_line(line_no, "a callchain line outside a sample: '" + shorten(line) + "'");
      auto frame = read_frame(line);
      if (!frame) {
        return bad_line(line_no,
                        "expected a callchain line 'ADDRESS SYMBOL (DSO)', got '" + shorten(line) + "'");
      }
      current.frames.push_back(std::move(*frame));
      continue;
    }
    auto header = read_header(line);
    // An indented line under a frame that is no sample header (none with a
    // time or a pid) is that frame's srcline.
    if (line.front() == ' ' && in_sample && !current.frames.empty() &&
        (!header || (!header->time_ns && !header->tid))) {
      read_srcline(line, current.frames.back());
      continue;
    }
    if (!header) {
      return bad_line(line_no, "expected a sample header 'COMM PID/TID [CPU] TIME: PERIOD EVENT:', got '" +
                                   shorten(line) + "'");
    }
    finish_sample();
    current.header = std::move(*header);
    current.frames.clear();
    if (!current.header.rest.empty()) {  // one ip on the header line (no -g, or -G)
      if (auto frame = read_frame(current.header.rest)) current.frames.push_back(std::move(*frame));
    }
    in_sample = true;
  }
  finish_sample();
  if (events.empty()) return make_error(ErrorKind::corrupt_input, "perf script: no samples found");

  // The event to keep: the first cpu-clock/cycles one, else the first.
  std::string keep = order.front();
  for (const auto& e : order) {
    if (preferred_event(e)) {
      keep = e;
      break;
    }
  }
  EventImport& kept = events.at(keep);
  ImportResult result;
  result.event = keep.empty() ? "(no event field)" : keep;
  for (const auto& [event, other] : events) {
    if (event != keep) result.skipped_events[event.empty() ? "(no event field)" : event] = other.samples;
  }
  if (kept.missing_pid) {
    result.warnings.push_back(
        "perf script without the pid field: each thread is imported as a process of its own "
        "(perf script -F +pid keeps them together)");
  }

  Metadata m;
  m.probes = {"cpu"};
  std::string base = keep.substr(0, keep.find(':'));
  uint64_t period_ns = 0;
  auto& periods = kept.periods;
  if ((base == "cpu-clock" || base == "task-clock") && !periods.empty()) {
    // Their period is in nanoseconds: the median gives the sampling frequency.
    std::nth_element(periods.begin(), periods.begin() + periods.size() / 2, periods.end());
    period_ns = periods[periods.size() / 2];
    if (period_ns > 0)
      m.frequency_hz = static_cast<uint32_t>(
          std::min<uint64_t>((1'000'000'000ull + period_ns / 2) / period_ns, UINT32_MAX));
  }
  if (kept.any_cpu) m.cpu_count = kept.max_cpu + 1;
  m.source = "perf script (event " + result.event + "); " +
             (kept.any_time ? "times on perf's own clock (its seconds as nanoseconds), not CLOCK_MONOTONIC"
                            : "no times (perf script without the time field)");
  result.samples = kept.builder.samples();
  result.capture = kept.builder.finish(std::move(m), period_ns);
  return result;
}

}  // namespace loadprof::capture
