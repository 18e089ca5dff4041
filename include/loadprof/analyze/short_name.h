// Short function names for tables: a demangled C++ name without its
// parameter lists, with std::string for std::__cxx11::basic_string<char, ...>,
// default allocators dropped and template arguments nested deeper than two
// levels elided ("<...>"). Only tables use it: JSON, tooltips and the folded
// output keep the full name, which is the identity of the frame.
#pragma once

#include <string>
#include <string_view>

namespace loadprof::analyze {

inline constexpr int kShortNameTemplateDepth = 2;

// A name that is not C++ (C, "module+0x1f", "hot_[k]") comes back unchanged.
std::string short_name(std::string_view name);

}  // namespace loadprof::analyze
