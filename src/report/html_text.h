// Text into report.html's XHTML: one escaping rule for every section (names
// hold < > & — templates, operators — and capture text may hold anything).
#pragma once

#include <string>
#include <string_view>

#include "loadprof/flamegraph/svg.h"

namespace loadprof::report {

inline std::string esc(std::string_view text) {
  std::string out;
  flamegraph::append_xml_escaped(out, text);
  return out;
}

}  // namespace loadprof::report
