// The name shortener: textual rewrites of well-known std spellings, then one
// pass that tracks nesting (<> () [] {}) to drop parameter lists and elide
// deep template arguments. "operator<", "operator()" and "(anonymous
// namespace)" are the spellings that look like nesting and are not.
#include "loadprof/analyze/short_name.h"

#include <cctype>
#include <utility>

namespace loadprof::analyze {
namespace {

void replace_all(std::string& s, std::string_view from, std::string_view to) {
  size_t pos = 0;
  while ((pos = s.find(from, pos)) != std::string::npos) {
    s.replace(pos, from.size(), to);
    pos += to.size();
  }
}

// Index just past the '>' / ')' / ']' / '}' closing the bracket at `open`;
// s.size() when unbalanced. Skips operator spellings inside.
size_t skip_group(const std::string& s, size_t open);

// Length of the operator symbol after the word "operator" at `pos` (which
// points just past "operator"), 0 when there is none.
size_t operator_symbol_length(const std::string& s, size_t pos) {
  if (s.compare(pos, 2, "()") == 0 || s.compare(pos, 2, "[]") == 0) return 2;
  size_t n = 0;
  while (pos + n < s.size() && std::string_view("<>=!+-*/%^&|~,").find(s[pos + n]) != std::string_view::npos)
    ++n;
  // "operator< <int>": the space and the template arguments are not the symbol.
  return n;
}

bool at_operator(const std::string& s, size_t i) {
  if (s.compare(i, 8, "operator") != 0) return false;
  return i == 0 || !(std::isalnum(static_cast<unsigned char>(s[i - 1])) || s[i - 1] == '_');
}

size_t skip_group(const std::string& s, size_t open) {
  int depth = 0;
  for (size_t i = open; i < s.size(); ++i) {
    if (at_operator(s, i)) {
      i += 8;
      i += operator_symbol_length(s, i);
      --i;
      continue;
    }
    const char c = s[i];
    if (c == '<' || c == '(' || c == '[' || c == '{')
      ++depth;
    else if (c == '>' || c == ')' || c == ']' || c == '}') {
      if (--depth == 0) return i + 1;
    }
  }
  return s.size();
}

// Drops ", std::allocator<...>" template arguments (the default everywhere).
void drop_allocators(std::string& s) {
  constexpr std::string_view kAlloc = ", std::allocator<";
  size_t pos = 0;
  while ((pos = s.find(kAlloc, pos)) != std::string::npos) {
    const size_t end = skip_group(s, pos + kAlloc.size() - 1);
    size_t erase_to = end;
    s.erase(pos, erase_to - pos);
  }
}

}  // namespace

std::string short_name(std::string_view name) {
  std::string s(name);
  // Nothing to do for C names and unresolved "module+0x..." frames.
  if (s.find_first_of("<(") == std::string::npos) return s;

  constexpr std::pair<std::string_view, std::string_view> kSpellings[] = {
      {"std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >", "std::string"},
      {"std::basic_string<char, std::char_traits<char>, std::allocator<char> >", "std::string"},
      {"std::__cxx11::basic_string<wchar_t, std::char_traits<wchar_t>, std::allocator<wchar_t> >",
       "std::wstring"},
      {"std::basic_string_view<char, std::char_traits<char> >", "std::string_view"},
      {"std::basic_ostream<char, std::char_traits<char> >", "std::ostream"},
      {"std::basic_istream<char, std::char_traits<char> >", "std::istream"},
      {"std::__cxx11::", "std::"},
      {"std::__1::", "std::"},
      {"[abi:cxx11]", ""},
  };
  for (const auto& [from, to] : kSpellings) replace_all(s, from, to);
  drop_allocators(s);
  // The demangler writes "> >"; a rewrite above can leave "int >": close it up.
  for (size_t pos = 1; (pos = s.find(" >", pos)) != std::string::npos;) {
    if (s[pos - 1] != '>')
      s.erase(pos, 1);
    else
      ++pos;
  }

  std::string out;
  out.reserve(s.size());
  int angle_depth = 0;
  size_t elided_from = std::string::npos;  // where the current elision started in `out`
  for (size_t i = 0; i < s.size(); ++i) {
    if (at_operator(s, i)) {
      const size_t len = 8 + operator_symbol_length(s, i + 8);
      if (elided_from == std::string::npos) out.append(s, i, len);
      i += len - 1;
      continue;
    }
    const char c = s[i];
    if (c == '(' && s.compare(i, 21, "(anonymous namespace)") == 0) {
      if (elided_from == std::string::npos) out += "(anonymous namespace)";
      i += 20;
      continue;
    }
    if (c == '(' || c == '[') {
      // A parameter list (or an array bound in a type): dropped at any level
      // outside template arguments; inside them it is part of a type.
      if (angle_depth == 0 && c == '(') {
        i = skip_group(s, i) - 1;
        continue;
      }
      if (elided_from == std::string::npos) out += c;
      continue;
    }
    if (c == '<') {
      ++angle_depth;
      if (angle_depth == kShortNameTemplateDepth + 1 && elided_from == std::string::npos) {
        out += "<...";
        elided_from = out.size();
        continue;
      }
      if (elided_from == std::string::npos) out += c;
      continue;
    }
    if (c == '>') {
      if (angle_depth == kShortNameTemplateDepth + 1 && elided_from != std::string::npos) {
        out += '>';
        elided_from = std::string::npos;
        --angle_depth;
        continue;
      }
      if (angle_depth > 0) --angle_depth;
      if (elided_from == std::string::npos) out += c;
      continue;
    }
    if (elided_from == std::string::npos) out += c;
  }
  // Trailing qualifiers of a dropped parameter list: " const", " &", " &&", " volatile".
  for (bool again = true; again;) {
    again = false;
    for (std::string_view q : {" const", " volatile", " &&", " &", " noexcept"}) {
      if (out.size() >= q.size() && out.compare(out.size() - q.size(), q.size(), q) == 0) {
        out.erase(out.size() - q.size());
        again = true;
      }
    }
  }
  return out.empty() ? std::string(name) : out;
}

}  // namespace loadprof::analyze
