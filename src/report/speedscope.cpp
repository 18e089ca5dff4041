// speedscope JSON: per-thread sampled profiles over one shared frame table.
// Samples stay in time order so speedscope's "Time Order" view means
// something; runs of the same stack of functions become one weighted sample.
#include "loadprof/report/speedscope.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "kind_samples.h"
#include "loadprof/capture/folded.h"
#include "loadprof/util/version.h"

namespace loadprof::report {
namespace {

using json = nlohmann::ordered_json;

struct ThreadProfile {
  uint32_t pid = 0, tid = 0;
  std::vector<const KindSample*> samples;
  uint64_t total = 0;
};

}  // namespace

Result<void> write_speedscope(std::ostream& out, const capture::Capture& c, const std::string& kind) {
  LOADPROF_TRY(ks, kind_samples(c, kind));
  const bool weighted = ks.has_weight;
  auto weight_of = [&](const KindSample& s) { return weighted ? s.weight : s.count; };

  // Shared frames: only the capture frames some sample uses, in first-use order.
  json frames = json::array();
  // A speedscope frame is a function (name and file, as the folded output and
  // pprof merge them): the capture's frames are per address, and one frame per
  // address would split a function into siblings in speedscope's views.
  std::map<std::pair<std::string, std::string>, size_t> function_index;
  std::unordered_map<capture::FrameId, size_t> frame_index;
  auto frame = [&](capture::FrameId id) -> size_t {
    auto [it, inserted] = frame_index.try_emplace(id, 0);
    if (!inserted) return it->second;
    std::string name = "[bad frame]", file;
    if (const capture::Frame* f = ks.frame(c, id)) {
      name = capture::frame_display_name(*f);
      file = f->file;
    }
    auto [fn, added] = function_index.try_emplace({name, file}, frames.size());
    if (added) {
      json f;
      f["name"] = name;
      if (!file.empty()) f["file"] = file;
      frames.push_back(std::move(f));
    }
    return it->second = fn->second;
  };
  std::unordered_map<capture::StackId, std::vector<size_t>> stacks;  // root first
  auto stack = [&](capture::StackId id) -> const std::vector<size_t>& {
    auto [it, inserted] = stacks.try_emplace(id);
    const capture::Stack* st = ks.stack(c, id);
    if (inserted && st) {
      const auto& fs = st->frames;
      for (auto f = fs.rbegin(); f != fs.rend(); ++f) it->second.push_back(frame(*f));
    }
    return it->second;
  };

  std::map<std::pair<uint32_t, uint32_t>, ThreadProfile> threads;
  for (const auto& s : ks.samples) {
    auto& t = threads[{s.pid, s.tid}];
    t.pid = s.pid;
    t.tid = s.tid;
    t.samples.push_back(&s);
    t.total += weight_of(s);
  }
  std::vector<ThreadProfile*> order;
  for (auto& [key, t] : threads) order.push_back(&t);
  std::stable_sort(order.begin(), order.end(), [](auto* a, auto* b) { return a->total > b->total; });

  std::map<std::pair<uint32_t, uint32_t>, std::string> thread_names;
  for (const auto& t : c.threads) thread_names[{t.pid, t.tid}] = t.name;
  std::unordered_map<uint32_t, std::string> process_names;
  for (const auto& p : c.processes) process_names[p.pid] = p.command;

  json profiles = json::array();
  for (ThreadProfile* t : order) {
    std::stable_sort(t->samples.begin(), t->samples.end(),
                     [](const KindSample* a, const KindSample* b) { return a->time_ns < b->time_ns; });
    json samples = json::array(), weights = json::array();
    const std::vector<size_t>* previous = nullptr;
    uint64_t run = 0;
    bool open = false;
    for (const KindSample* s : t->samples) {
      const std::vector<size_t>& frames_of = stack(s->stack);
      if (open && frames_of == *previous) {
        run += weight_of(*s);
        continue;
      }
      if (open) weights.push_back(run);
      samples.push_back(frames_of);
      previous = &frames_of;
      run = weight_of(*s);
      open = true;
    }
    if (open) weights.push_back(run);
    auto tn = thread_names.find({t->pid, t->tid});
    auto pn = process_names.find(t->pid);
    std::string name = tn != thread_names.end() && !tn->second.empty() ? tn->second
                       : pn != process_names.end()                     ? pn->second
                                                                       : "thread";
    name += " (pid " + std::to_string(t->pid) + ", tid " + std::to_string(t->tid) + ")";
    json p;
    p["type"] = "sampled";
    p["name"] = name;
    p["unit"] = weighted ? ks.weight_unit : "none";
    p["startValue"] = 0;
    p["endValue"] = t->total;
    p["samples"] = std::move(samples);
    p["weights"] = std::move(weights);
    profiles.push_back(std::move(p));
  }

  json doc;
  doc["$schema"] = "https://www.speedscope.app/file-format-schema.json";
  doc["exporter"] = std::string("loadprof ") + kVersion;
  doc["name"] = kind + (c.metadata.command_line.empty() ? "" : ": " + c.metadata.command_line);
  doc["activeProfileIndex"] = 0;
  doc["shared"]["frames"] = std::move(frames);
  doc["profiles"] = std::move(profiles);
  // A name that is not UTF-8 (a comm, a path) gets U+FFFD rather than an exception.
  out << doc.dump(-1, ' ', false, json::error_handler_t::replace) << '\n';
  return {};
}

}  // namespace loadprof::report
