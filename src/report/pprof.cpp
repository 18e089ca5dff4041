// pprof export (profile.proto, gzipped). The encoder is a small one of ours
// (protobuf_writer.h): the Profile message is 8 message types of varints and
// strings, written once, and go tool pprof in the tests is what reads it.
// Locations are keyed by (mapping, inline chain) so a binary shared by several
// processes has one location per address; samples are merged per (pid, tid,
// stack) and carry their pid, tid and thread name as labels. The frames and
// stacks come through KindSamples: wall's and wakers' synthetic frames (the
// off-CPU reason, "--wakes--") are functions of locations without a mapping.
#include "loadprof/report/pprof.h"

#include <algorithm>
#include <map>
#include <tuple>
#include <unordered_map>

#include "gzip.h"
#include "kind_samples.h"
#include "loadprof/capture/folded.h"
#include "loadprof/util/version.h"
#include "protobuf_writer.h"

namespace loadprof::report {
namespace {

// profile.proto field numbers.
namespace profile_field {
constexpr uint32_t kSampleType = 1, kSample = 2, kMapping = 3, kLocation = 4, kFunction = 5, kStringTable = 6,
                   kTimeNanos = 9, kDurationNanos = 10, kPeriodType = 11, kPeriod = 12, kComment = 13,
                   kDefaultSampleType = 14;
}
namespace value_type_field {
constexpr uint32_t kType = 1, kUnit = 2;
}
namespace sample_field {
constexpr uint32_t kLocationId = 1, kValue = 2, kLabel = 3;
}
namespace label_field {
constexpr uint32_t kKey = 1, kStr = 2;
}
namespace mapping_field {
constexpr uint32_t kId = 1, kMemoryStart = 2, kMemoryLimit = 3, kFileOffset = 4, kFilename = 5, kBuildId = 6,
                   kHasFunctions = 7, kHasFilenames = 8, kHasLineNumbers = 9, kHasInlineFrames = 10;
}
namespace location_field {
constexpr uint32_t kId = 1, kMappingId = 2, kAddress = 3, kLine = 4;
}
namespace line_field {
constexpr uint32_t kFunctionId = 1, kLine = 2;
}
namespace function_field {
constexpr uint32_t kId = 1, kName = 2, kSystemName = 3, kFilename = 4;
}

class StringTable {
 public:
  StringTable() { index(""); }  // profile.proto: string_table[0] must be ""
  int64_t index(const std::string& s) {
    auto [it, inserted] = ids_.try_emplace(s, static_cast<int64_t>(strings_.size()));
    if (inserted) strings_.push_back(s);
    return it->second;
  }
  const std::vector<std::string>& strings() const { return strings_; }

 private:
  std::unordered_map<std::string, int64_t> ids_;
  std::vector<std::string> strings_;
};

struct PprofMapping {
  uint64_t start = 0, limit = 0, offset = 0;
  std::string path, build_id;
  bool has_filenames = false, has_lines = false, has_inline = false;
};

// The executable mappings of each process, for finding a frame's mapping.
class MappingIndex {
 public:
  explicit MappingIndex(const capture::Capture& c) {
    for (size_t i = 0; i < c.mappings.size(); ++i) {
      const auto& m = c.mappings[i];
      if (m.executable && m.end > m.start) by_pid_[m.pid].push_back(i);
    }
  }
  // Index into capture.mappings of the newest mapping of pid holding address, or -1.
  long find(const capture::Capture& c, uint32_t pid, uint64_t address) const {
    auto it = by_pid_.find(pid);
    if (it == by_pid_.end()) return -1;
    long best = -1;
    for (size_t i : it->second) {
      const auto& m = c.mappings[i];
      if (address >= m.start && address < m.end && (best < 0 || m.time_ns >= c.mappings[best].time_ns))
        best = static_cast<long>(i);
    }
    return best;
  }

 private:
  std::unordered_map<uint32_t, std::vector<size_t>> by_pid_;
};

// The main binary's executable mapping: the newest mapping of a root process
// (or of any process when none is marked root) that is neither a shared
// library nor a [pseudo] mapping (a launched target first maps loadprof). pprof takes the first mapping as
// the main binary ("File:" in its header), so it gets id 1.
const capture::Mapping* main_binary(const capture::Capture& c) {
  auto is_lib = [](const std::string& path) {
    const std::string base = path.substr(path.rfind('/') + 1);
    const size_t so = base.find(".so");
    return so != std::string::npos && (so + 3 == base.size() || base[so + 3] == '.' || base[so + 3] == '_');
  };
  for (bool roots_only : {true, false}) {
    for (const auto& p : c.processes) {
      if (roots_only && !p.root) continue;
      const capture::Mapping* newest = nullptr;  // after an exec: what the process became
      for (const auto& m : c.mappings)
        if (m.pid == p.pid && m.executable && !m.path.empty() && m.path[0] != '[' && !is_lib(m.path) &&
            (!newest || m.time_ns > newest->time_ns))
          newest = &m;
      if (newest) return newest;
    }
  }
  return nullptr;
}

class ProfileBuilder {
 public:
  ProfileBuilder(const capture::Capture& c, const KindSamples& ks) : c_(c), ks_(ks), maps_(c) {
    if (const capture::Mapping* m = main_binary(c)) {
      mapping_ids_.try_emplace(std::make_tuple(m->start, m->end, m->pgoff, m->path, m->build_id), 1);
      mappings.push_back({m->start, m->end, m->pgoff, m->path, m->build_id});
    }
  }

  // Location ids of a stack of pid, leaf first (cached per (pid, stack)).
  const std::vector<uint64_t>& locations(uint32_t pid, capture::StackId stack) {
    auto [it, inserted] = stack_locations_.try_emplace({pid, stack});
    const capture::Stack* st = ks_.stack(c_, stack);
    if (!inserted || !st) return it->second;
    const auto& frames = st->frames;
    std::vector<capture::FrameId> chain;  // inline frames, innermost first, then the frame they are in
    for (size_t i = 0; i < frames.size(); ++i) {
      const capture::Frame* f = ks_.frame(c_, frames[i]);
      if (!f) continue;
      chain.push_back(frames[i]);
      const bool last = i + 1 == frames.size();
      if (!f->inlined || last) {
        it->second.push_back(location(pid, chain));
        chain.clear();
      }
    }
    return it->second;
  }

  StringTable strings;
  std::vector<PprofMapping> mappings;  // id = index + 1
  ProtoWriter locations_out, functions_out;

 private:
  uint64_t mapping_id(uint32_t pid, const capture::Frame& frame) {
    if (frame.kernel) return 0;
    const long m = maps_.find(c_, pid, frame.address);
    if (m < 0) return 0;
    const auto& cm = c_.mappings[m];
    auto key = std::make_tuple(cm.start, cm.end, cm.pgoff, cm.path, cm.build_id);
    auto [it, inserted] = mapping_ids_.try_emplace(key, mappings.size() + 1);
    if (inserted) mappings.push_back({cm.start, cm.end, cm.pgoff, cm.path, cm.build_id});
    return it->second;
  }

  uint64_t function_id(const capture::Frame& frame) {
    const std::string name = capture::frame_display_name(frame);
    auto key = std::make_pair(name, frame.file);
    auto [it, inserted] = function_ids_.try_emplace(key, function_ids_.size() + 1);
    if (inserted) {
      ProtoWriter f;
      f.varint(function_field::kId, it->second);
      f.int64(function_field::kName, strings.index(name));
      f.int64(function_field::kSystemName, strings.index(name));
      if (!frame.file.empty()) f.int64(function_field::kFilename, strings.index(frame.file));
      functions_out.message(profile_field::kFunction, f);
    }
    return it->second;
  }

  uint64_t location(uint32_t pid, const std::vector<capture::FrameId>& chain) {
    const capture::Frame& outer = *ks_.frame(c_, chain.back());
    const uint64_t mapping = mapping_id(pid, outer);
    auto [it, inserted] = location_ids_.try_emplace({mapping, chain}, location_ids_.size() + 1);
    if (!inserted) return it->second;
    ProtoWriter loc;
    loc.varint(location_field::kId, it->second);
    loc.varint_unless_zero(location_field::kMappingId, mapping);
    loc.varint_unless_zero(location_field::kAddress, outer.address);
    for (capture::FrameId id : chain) {  // innermost first, the caller last
      const capture::Frame& f = *ks_.frame(c_, id);
      ProtoWriter line;
      line.varint(line_field::kFunctionId, function_id(f));
      line.varint_unless_zero(line_field::kLine, f.line);
      loc.message(location_field::kLine, line);
      if (mapping != 0) {
        auto& m = mappings[mapping - 1];
        m.has_filenames |= !f.file.empty();
        m.has_lines |= f.line != 0;
        m.has_inline |= f.inlined;
      }
    }
    locations_out.message(profile_field::kLocation, loc);
    return it->second;
  }

  const capture::Capture& c_;
  const KindSamples& ks_;  // its frames and stacks beyond the capture's (wall, wakers)
  MappingIndex maps_;
  std::map<std::pair<uint32_t, capture::StackId>, std::vector<uint64_t>> stack_locations_;
  std::map<std::tuple<uint64_t, uint64_t, uint64_t, std::string, std::string>, uint64_t> mapping_ids_;
  std::map<std::pair<std::string, std::string>, uint64_t> function_ids_;
  std::map<std::pair<uint64_t, std::vector<capture::FrameId>>, uint64_t> location_ids_;
};

ProtoWriter value_type(StringTable& strings, const std::string& type, const std::string& unit) {
  ProtoWriter v;
  v.int64(value_type_field::kType, strings.index(type));
  v.int64(value_type_field::kUnit, strings.index(unit));
  return v;
}

// Realtime of a monotonic instant through the nearest clock pair.
uint64_t realtime_of(const capture::Capture& c, uint64_t monotonic_ns) {
  const capture::ClockSync* best = nullptr;
  auto distance = [&](const capture::ClockSync& p) {
    return p.monotonic_ns > monotonic_ns ? p.monotonic_ns - monotonic_ns : monotonic_ns - p.monotonic_ns;
  };
  for (const auto& p : c.clock_sync)
    if (!best || distance(p) < distance(*best)) best = &p;
  if (!best) return c.metadata.start_realtime_ns;
  return static_cast<uint64_t>(
      static_cast<int64_t>(best->realtime_ns) +
      (static_cast<int64_t>(monotonic_ns) - static_cast<int64_t>(best->monotonic_ns)));
}

}  // namespace

Result<std::string> encode_pprof_profile(const capture::Capture& c, const std::string& kind) {
  LOADPROF_TRY(ks, kind_samples(c, kind));
  ProfileBuilder b(c, ks);
  ProtoWriter profile;

  profile.message(profile_field::kSampleType, value_type(b.strings, ks.count_name, "count"));
  if (ks.has_weight)
    profile.message(profile_field::kSampleType, value_type(b.strings, ks.weight_name, ks.weight_unit));

  // Merge per (pid, tid, stack); a thread's name is its last known comm.
  struct Values {
    uint64_t count = 0, weight = 0;
  };
  std::map<std::tuple<uint32_t, uint32_t, capture::StackId>, Values> merged;
  uint64_t first_ns = UINT64_MAX, last_ns = 0;
  for (const auto& s : ks.samples) {
    auto& v = merged[{s.pid, s.tid, s.stack}];
    v.count += s.count;
    v.weight += s.weight;
    first_ns = std::min(first_ns, s.time_ns);
    last_ns = std::max(last_ns, s.time_ns);
  }
  std::map<std::pair<uint32_t, uint32_t>, std::string> thread_names;
  for (const auto& t : c.threads) thread_names[{t.pid, t.tid}] = t.name;
  const int64_t pid_key = b.strings.index("pid"), tid_key = b.strings.index("tid"),
                name_key = b.strings.index("thread_name");
  auto label = [&](int64_t key, const std::string& value) {
    ProtoWriter l;
    l.int64(label_field::kKey, key);
    l.int64(label_field::kStr, b.strings.index(value));
    return l;
  };
  for (const auto& [key, v] : merged) {
    const auto [pid, tid, stack] = key;
    ProtoWriter sample;
    sample.packed(sample_field::kLocationId, b.locations(pid, stack));
    std::vector<int64_t> values{static_cast<int64_t>(v.count)};
    if (ks.has_weight) values.push_back(static_cast<int64_t>(v.weight));
    sample.packed(sample_field::kValue, values);
    sample.message(sample_field::kLabel, label(pid_key, std::to_string(pid)));
    sample.message(sample_field::kLabel, label(tid_key, std::to_string(tid)));
    auto name = thread_names.find({pid, tid});
    if (name != thread_names.end() && !name->second.empty())
      sample.message(sample_field::kLabel, label(name_key, name->second));
    profile.message(profile_field::kSample, sample);
  }

  for (size_t i = 0; i < b.mappings.size(); ++i) {
    const auto& m = b.mappings[i];
    ProtoWriter w;
    w.varint(mapping_field::kId, i + 1);
    w.varint(mapping_field::kMemoryStart, m.start);
    w.varint(mapping_field::kMemoryLimit, m.limit);
    w.varint_unless_zero(mapping_field::kFileOffset, m.offset);
    w.int64(mapping_field::kFilename, b.strings.index(m.path));
    if (!m.build_id.empty()) w.int64(mapping_field::kBuildId, b.strings.index(m.build_id));
    // Symbolized already: has_functions keeps pprof from symbolizing again.
    w.varint(mapping_field::kHasFunctions, 1);
    w.varint_unless_zero(mapping_field::kHasFilenames, m.has_filenames);
    w.varint_unless_zero(mapping_field::kHasLineNumbers, m.has_lines);
    w.varint_unless_zero(mapping_field::kHasInlineFrames, m.has_inline);
    profile.message(profile_field::kMapping, w);
  }
  // Fields may come in any order on the wire: locations and functions were
  // encoded while the samples were, the string table goes last.
  std::string out = profile.data();
  out += b.locations_out.data();
  out += b.functions_out.data();

  // Time: from the capture's start (or first sample) to its end (or last sample).
  ProtoWriter tail;
  const uint64_t start_ns = c.metadata.start_monotonic_ns != 0 ? c.metadata.start_monotonic_ns
                            : first_ns != UINT64_MAX           ? first_ns
                                                               : 0;
  uint64_t end_ns = c.end ? c.end->end_ns : last_ns;
  if (end_ns < start_ns) end_ns = start_ns;
  if (start_ns != 0) tail.int64(profile_field::kTimeNanos, static_cast<int64_t>(realtime_of(c, start_ns)));
  tail.int64(profile_field::kDurationNanos, static_cast<int64_t>(end_ns - start_ns));
  if (ks.period_ns != 0) {
    tail.message(profile_field::kPeriodType, value_type(b.strings, ks.weight_name, "nanoseconds"));
    tail.int64(profile_field::kPeriod, static_cast<int64_t>(ks.period_ns));
  }
  std::string comment = "loadprof " + std::string(kVersion) + " " + kind + " profile";
  if (!c.metadata.command_line.empty()) comment += " of: " + c.metadata.command_line;
  tail.int64(profile_field::kComment, b.strings.index(comment));
  tail.int64(profile_field::kDefaultSampleType,
             b.strings.index(ks.has_weight ? ks.weight_name : ks.count_name));
  // The string table last: every index above has been handed out.
  for (const auto& s : b.strings.strings()) tail.bytes(profile_field::kStringTable, s);
  out += tail.data();
  return out;
}

Result<void> write_pprof(std::ostream& out, const capture::Capture& capture, const std::string& kind) {
  LOADPROF_TRY(proto, encode_pprof_profile(capture, kind));
  LOADPROF_TRY(gz, gzip_compress(proto));
  out.write(gz.data(), static_cast<std::streamsize>(gz.size()));
  return {};
}

}  // namespace loadprof::report
