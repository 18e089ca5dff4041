// The build-id of an ELF file as readelf prints it: the independent reference
// the collector's own build-id reader is checked against.
#pragma once

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

inline std::string readelf_build_id(const std::string& path) {
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen(("readelf -n '" + path + "' 2>/dev/null").c_str(), "r"), pclose);
  char line[512];
  while (p && std::fgets(line, sizeof line, p.get())) {
    if (const char* at = std::strstr(line, "Build ID: ")) {
      std::string id(at + 10);
      while (!id.empty() && (id.back() == '\n' || id.back() == ' ')) id.pop_back();
      return id;
    }
  }
  return {};
}
