// Import of folded stacks ("root;...;leaf COUNT", Brendan Gregg's format, as
// stackcollapse-perf and our own export write it). The root frame is the
// process name, as in those writers, so a capture exported to folded and
// imported again gives the same lines back. Suffixes "_[k]" (kernel) and
// "_[i]" (inlined) become frame flags. The capture has no per-sample weight:
// a count N becomes N samples, which keeps every consumer (report, flame
// graphs, exports, diff) right without teaching each a weight; the total is
// bounded (kMaxImportedSamples by default). Folded text has no times: every sample is at
// time 0, and metadata.source says so.
#include <algorithm>
#include <charconv>
#include <map>
#include <utility>
#include <vector>

#include "capture/import_build.h"
#include "loadprof/capture/import.h"

namespace loadprof::capture {
namespace {

Error bad_line(size_t line_no, const std::string& what) {
  return make_error(ErrorKind::corrupt_input, "folded line " + std::to_string(line_no) + ": " + what);
}

RawFrame frame_of(std::string_view name) {
  RawFrame f;
  if (name.ends_with("_[k]")) {
    f.kernel = true;
    f.module = "[kernel]";
    name.remove_suffix(4);
  } else if (name.ends_with("_[i]")) {
    f.inlined = true;
    name.remove_suffix(4);
  }
  if (name != "[unknown]") f.function = std::string(name);
  return f;
}

}  // namespace

Result<ImportResult> import_folded(std::string_view text, uint64_t max_samples) {
  // Every line is checked (and the total bounded) before any sample is made.
  std::vector<std::pair<std::string_view, uint64_t>> lines;
  uint64_t total = 0;
  size_t line_no = 0, pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line =
        text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    if (line.find('\0') != std::string_view::npos) return bad_line(line_no, "binary data (a NUL byte)");
    size_t sp = line.find_last_of(" \t");
    if (sp == std::string_view::npos || sp == 0) return bad_line(line_no, "expected 'STACK COUNT'");
    std::string_view count_text = line.substr(sp + 1), stack = line.substr(0, sp);
    uint64_t count = 0;
    auto [end, ec] = std::from_chars(count_text.data(), count_text.data() + count_text.size(), count);
    if (ec != std::errc() || end != count_text.data() + count_text.size()) {
      return bad_line(line_no,
                      "the count '" + std::string(count_text.substr(0, 30)) + "' is not a whole number");
    }
    if (count == 0) continue;
    if (count > max_samples || total > max_samples - count) {
      return bad_line(line_no, "the counts add up to more than " + std::to_string(max_samples) +
                                   " samples (each count becomes that many samples; off-CPU nanoseconds or "
                                   "byte counts cannot be imported as samples)");
    }
    total += count;
    lines.emplace_back(stack, count);
  }

  ImportBuilder builder;
  std::map<std::string, uint32_t, std::less<>> pids;  // root frame -> synthetic pid
  std::vector<RawFrame> frames;
  for (const auto& [stack, count] : lines) {
    size_t semi = stack.find(';');
    std::string_view root = stack.substr(0, semi);
    auto it = pids.find(root);
    if (it == pids.end()) it = pids.emplace(std::string(root), static_cast<uint32_t>(pids.size() + 1)).first;
    frames.clear();
    while (semi != std::string_view::npos) {
      size_t next = stack.find(';', semi + 1);
      frames.push_back(frame_of(
          stack.substr(semi + 1, next == std::string_view::npos ? std::string_view::npos : next - semi - 1)));
      semi = next;
    }
    std::reverse(frames.begin(), frames.end());  // folded is root first, stacks leaf first
    builder.add_sample(std::string(root), it->second, it->second, 0, 0, frames, count);
  }
  if (total == 0)
    return make_error(ErrorKind::corrupt_input, "folded: no stack counts found (expected 'a;b;c 12')");
  ImportResult result;
  Metadata m;
  m.probes = {"cpu"};
  m.source = "folded stacks; no times (every sample at time 0), the root frame is the process";
  result.samples = builder.samples();
  result.capture = builder.finish(std::move(m), 0);
  return result;
}

}  // namespace loadprof::capture
