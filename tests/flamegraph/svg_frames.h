// Test helper: reads the frames back out of a rendered SVG (the writer's own
// fixed attribute order), so tests can assert on what a browser would draw.
#pragma once

#include <sys/wait.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <regex>
#include <string>
#include <vector>

namespace loadprof::flamegraph::testing {

struct SvgFrame {
  uint64_t start = 0, count = 0;
  uint32_t depth = 0;
  std::string title;  // still XML-escaped
  double x = 0, y = 0, width = 0;
  int r = 0, g = 0, b = 0;
  std::string name() const { return title.substr(0, title.rfind(" (")); }
};

inline std::vector<SvgFrame> svg_frames(const std::string& svg) {
  static const std::regex re(
      R"re(<g class="fg-f(?: fg-dark)?" data-s="(\d+)" data-n="(\d+)" data-d="(\d+)"><title>([^<]*)</title><rect x="([-\d.]+)" y="([-\d.]+)" width="([\d.]+)" height="15" fill="rgb\((\d+),(\d+),(\d+)\)"/>)re");
  std::vector<SvgFrame> out;
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), re); it != std::sregex_iterator(); ++it) {
    const auto& m = *it;
    SvgFrame f;
    f.start = std::stoull(m[1]);
    f.count = std::stoull(m[2]);
    f.depth = static_cast<uint32_t>(std::stoul(m[3]));
    f.title = m[4];
    f.x = std::stod(m[5]);
    f.y = std::stod(m[6]);
    f.width = std::stod(m[7]);
    f.r = std::stoi(m[8]);
    f.g = std::stoi(m[9]);
    f.b = std::stoi(m[10]);
    out.push_back(f);
  }
  return out;
}

inline const SvgFrame* find_frame(const std::vector<SvgFrame>& frames, const std::string& name,
                                  uint32_t depth) {
  for (const auto& f : frames) {
    if (f.depth == depth && f.name() == name) return &f;
  }
  return nullptr;
}

inline std::string read_text_file(const std::string& path) {
  std::string out;
  if (FILE* f = std::fopen(path.c_str(), "rb")) {
    char buf[65536];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
    std::fclose(f);
  }
  return out;
}

inline void write_text_file(const std::string& path, const std::string& text) {
  if (FILE* f = std::fopen(path.c_str(), "wb")) {
    std::fwrite(text.data(), 1, text.size(), f);
    std::fclose(f);
  }
}

// Exit status of a shell command (-1 when it could not run).
inline int run_shell(const std::string& command) {
  int rc = std::system(command.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

}  // namespace loadprof::flamegraph::testing
