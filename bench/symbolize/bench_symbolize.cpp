// Symbolization benchmark. `prepare DIR` starts the symbolizer fixture, takes
// its /proc/PID/maps and writes a reproducible workload (seed 42): a pool of
// distinct code addresses over the fixture, its library, libc, libstdc++ and
// ld.so, and 100,000 samples of 8-frame stacks drawn from it with a skew like
// a real profile (few hot addresses). It also writes the leaf addresses as
// llvm-symbolizer input (the anchor). `measure DIR` times loadprof's
// Symbolizer in-process on that workload and prints key=value lines.
// `symbolize DIR [--no-cache]` is the process-for-process comparison with
// llvm-symbolizer: it reads the same stdin ("PATH 0xFILE_OFFSET" per line) and
// writes the same shape of output (per frame, innermost first, "function" and
// "file:line:0", a blank line per address), flushed once per address as
// llvm-symbolizer does, so both sides pay the same start-up, parsing and I/O.
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "fixture_process.h"
#include "loadprof/symbolize/symbolizer.h"

using loadprof::capture::Frame;
using loadprof::capture::Mapping;
using loadprof::symbolize::Symbolizer;
using loadprof::symbolize::SymbolizerOptions;

namespace {

constexpr int kSamples = 100000;
constexpr int kDepth = 8;
constexpr int kDistinct = 3000;

struct Workload {
  std::vector<Mapping> maps;
  uint32_t pid = 0;
  std::vector<std::vector<uint64_t>> stacks;  // leaf first
};

int prepare(const std::string& dir) {
  loadprof::symbolize::testing::FixtureProcess fixture;
  if (!fixture.ready()) {
    fprintf(stderr, "fixture did not start\n");
    return 1;
  }
  auto maps = fixture.maps(0);
  std::vector<Mapping> code;
  for (const auto& m : maps)
    if (m.executable && m.path.starts_with("/")) code.push_back(m);
  // By path, not by address: the libraries' order in memory changes with ASLR, and the
  // workload (which address comes from which module) must not.
  std::sort(code.begin(), code.end(), [](const Mapping& a, const Mapping& b) {
    return std::tie(a.path, a.pgoff) < std::tie(b.path, b.pgoff);
  });
  std::mt19937_64 rng(42);
  std::vector<uint64_t> pool;
  std::vector<const Mapping*> pool_map;
  for (int i = 0; i < kDistinct; ++i) {
    const Mapping& m = code[i % code.size()];
    pool.push_back(m.start + rng() % (m.end - m.start));
    pool_map.push_back(&m);
  }
  std::ofstream maps_out(dir + "/maps.tsv");
  for (const auto& m : maps)
    maps_out << m.pid << '\t' << m.start << '\t' << m.end << '\t' << m.pgoff << '\t' << m.executable << '\t'
             << m.path << '\n';
  std::ofstream stacks_out(dir + "/stacks.txt");
  std::ofstream llvm_out(dir + "/llvm_input.txt");
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (int s = 0; s < kSamples; ++s) {
    stacks_out << fixture.pid();
    for (int d = 0; d < kDepth; ++d) {
      size_t idx =
          static_cast<size_t>(std::pow(u(rng), 3.0) * kDistinct) % kDistinct;  // skewed: hot addresses
      stacks_out << ' ' << pool[idx];
      if (d == 0) {
        const Mapping& m = *pool_map[idx];
        // File offset; equals the link-time address in the text segments of
        // these files (checked with readelf -l), which llvm-symbolizer wants.
        char line[600];
        snprintf(line, sizeof line, "%s 0x%" PRIx64 "\n", m.path.c_str(), pool[idx] - m.start + m.pgoff);
        llvm_out << line;
      }
    }
    stacks_out << '\n';
  }
  std::ofstream distinct_out(dir + "/distinct_llvm_input.txt");
  for (int i = 0; i < kDistinct; ++i) {
    const Mapping& m = *pool_map[i];
    distinct_out << m.path << " 0x" << std::hex << pool[i] - m.start + m.pgoff << std::dec << '\n';
  }
  std::ofstream distinct_ips(dir + "/distinct.txt");
  for (uint64_t ip : pool) distinct_ips << ip << '\n';
  return fixture.finish();
}

void load_maps(const std::string& dir, Workload& w) {
  std::ifstream maps_in(dir + "/maps.tsv");
  std::string line;
  while (std::getline(maps_in, line)) {
    std::istringstream f(line);
    Mapping m;
    int exec = 0;
    f >> m.pid >> m.start >> m.end >> m.pgoff >> exec;
    m.executable = exec != 0;
    f.get();
    std::getline(f, m.path);
    w.pid = m.pid;
    w.maps.push_back(m);
  }
}

Workload load(const std::string& dir) {
  Workload w;
  load_maps(dir, w);
  std::string line;
  std::ifstream stacks_in(dir + "/stacks.txt");
  while (std::getline(stacks_in, line)) {
    std::istringstream f(line);
    uint32_t pid;
    f >> pid;
    std::vector<uint64_t> stack;
    uint64_t ip;
    while (f >> ip) stack.push_back(ip);
    w.stacks.push_back(std::move(stack));
  }
  return w;
}

std::unique_ptr<Symbolizer> fresh(const Workload& w, bool cache) {
  auto s = Symbolizer::create(SymbolizerOptions{.cache = cache});
  for (const auto& m : w.maps) s->add_mapping(m);
  return s;
}

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// CPU time of this thread: less disturbed than wall time on a shared machine.
double cpu_ms() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int measure(const std::string& dir, bool with_uncached) {
  Workload w = load(dir);
  if (w.stacks.size() != kSamples) {
    fprintf(stderr, "workload in %s is incomplete: run prepare first\n", dir.c_str());
    return 1;
  }
  std::vector<Frame> frames;
  frames.reserve(64);
  size_t sink = 0;

  // 100,000 leaf addresses, cold: includes opening every module with libdwfl.
  auto s = fresh(w, true);
  double c0 = cpu_ms();
  auto t0 = std::chrono::steady_clock::now();
  for (const auto& stack : w.stacks) {
    frames.clear();
    s->symbolize_user(w.pid, 0, stack[0], false, frames);
    sink += frames.size();
  }
  double cold_ms = ms_since(t0);
  double cold_cpu_ms = cpu_ms() - c0;
  // The same again on the warm cache.
  t0 = std::chrono::steady_clock::now();
  for (const auto& stack : w.stacks) {
    frames.clear();
    s->symbolize_user(w.pid, 0, stack[0], false, frames);
    sink += frames.size();
  }
  double warm_ms = ms_since(t0);
  auto stats = s->stats();

  // 100,000 samples with 8-frame stacks (800,000 lookups), cold.
  auto st = fresh(w, true);
  c0 = cpu_ms();
  t0 = std::chrono::steady_clock::now();
  size_t stack_frames = 0;
  for (const auto& stack : w.stacks) {
    frames.clear();
    for (size_t d = 0; d < stack.size(); ++d) st->symbolize_user(w.pid, 0, stack[d], d > 0, frames);
    stack_frames += frames.size();
  }
  double stacks_ms = ms_since(t0);
  double stacks_cpu_ms = cpu_ms() - c0;

  printf("leaf_100k_cold_ms=%.1f\n", cold_ms);
  printf("leaf_100k_cold_cpu_ms=%.1f\n", cold_cpu_ms);
  printf("leaf_100k_warm_ms=%.1f\n", warm_ms);
  printf("stacks_100k_x8_cold_ms=%.1f\n", stacks_ms);
  printf("stacks_100k_x8_cold_cpu_ms=%.1f\n", stacks_cpu_ms);
  printf("stacks_frames_out=%zu\n", stack_frames);
  printf("modules_opened=%" PRIu64 "\n", stats.modules_opened);
  printf("cache_hits=%" PRIu64 "\n", stats.user_cache_hits);
  if (with_uncached) {
    auto un = fresh(w, false);
    t0 = std::chrono::steady_clock::now();
    for (const auto& stack : w.stacks) {
      frames.clear();
      un->symbolize_user(w.pid, 0, stack[0], false, frames);
      sink += frames.size();
    }
    printf("leaf_100k_uncached_ms=%.1f\n", ms_since(t0));
  }
  return sink == 0 ? 1 : 0;
}

// One process, like llvm-symbolizer: stdin "PATH 0xOFFSET" lines, llvm-symbolizer's
// plain output on stdout, one write per address. The file offset is turned back into
// the address in the workload's maps (the fixture's address space), which is what
// loadprof's Symbolizer takes. The per-address cache is on unless --no-cache.
int symbolize_stdin(const std::string& dir, bool cache) {
  Workload w;
  load_maps(dir, w);
  if (w.maps.empty()) {
    fprintf(stderr, "no maps in %s: run prepare first\n", dir.c_str());
    return 1;
  }
  std::multimap<std::string, const Mapping*> by_path;
  for (const auto& m : w.maps)
    if (m.executable) by_path.emplace(m.path, &m);
  auto s = fresh(w, cache);
  static char out_buf[1 << 16];
  setvbuf(stdout, out_buf, _IOFBF, sizeof out_buf);
  std::vector<Frame> frames;
  char* line = nullptr;
  size_t cap = 0;
  ssize_t n;
  uint64_t addresses = 0;
  while ((n = getline(&line, &cap, stdin)) > 0) {
    std::string_view text(line, static_cast<size_t>(n));
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
    size_t sp = text.rfind(' ');
    frames.clear();
    if (sp != std::string_view::npos) {
      std::string path(text.substr(0, sp));
      uint64_t off = strtoull(std::string(text.substr(sp + 1)).c_str(), nullptr, 16);
      auto [lo, hi] = by_path.equal_range(path);
      for (auto it = lo; it != hi; ++it) {
        const Mapping& m = *it->second;
        if (off >= m.pgoff && off - m.pgoff < m.end - m.start) {
          s->symbolize_user(w.pid, 0, m.start + (off - m.pgoff), false, frames);
          break;
        }
      }
    }
    if (frames.empty()) fputs("??\n??:0:0\n", stdout);
    for (const auto& f : frames)
      printf("%s\n%s:%u:0\n", f.function.empty() ? "??" : f.function.c_str(),
             f.file.empty() ? "??" : f.file.c_str(), f.line);
    fputs("\n", stdout);
    fflush(stdout);
    ++addresses;
  }
  free(line);
  auto stats = s->stats();
  fprintf(stderr,
          "addresses=%" PRIu64 " lookups=%" PRIu64 " cache_hits=%" PRIu64 " modules_opened=%" PRIu64 "\n",
          addresses, stats.user_lookups, stats.user_cache_hits, stats.modules_opened);
  return 0;
}

// For the agreement check: the frames (inline chain, leaf first) of each distinct address.
int names(const std::string& dir) {
  Workload w = load(dir);
  auto s = fresh(w, true);
  std::ifstream in(dir + "/distinct.txt");
  uint64_t ip;
  std::vector<Frame> frames;
  while (in >> ip) {
    frames.clear();
    s->symbolize_user(w.pid, 0, ip, false, frames);
    std::string chain;
    for (const auto& f : frames) chain += (chain.empty() ? "" : " | ") + f.function;
    printf("%s\n", chain.c_str());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && strcmp(argv[1], "prepare") == 0) return prepare(argv[2]);
  if (argc >= 3 && strcmp(argv[1], "measure") == 0)
    return measure(argv[2], argc == 4 && strcmp(argv[3], "--uncached") == 0);
  if (argc == 3 && strcmp(argv[1], "names") == 0) return names(argv[2]);
  if (argc >= 3 && strcmp(argv[1], "symbolize") == 0)
    return symbolize_stdin(argv[2], !(argc == 4 && strcmp(argv[3], "--no-cache") == 0));
  fprintf(stderr,
          "usage: bench_symbolize prepare DIR | measure DIR [--uncached] | names DIR | symbolize DIR "
          "[--no-cache]\n");
  return 2;
}
