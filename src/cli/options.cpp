// Strict option parsing shared by every subcommand: no abbreviations, no
// argument left unread, the nearest flag suggested for a typo, and -v
// accepted after the command as before it.
#include "options.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <iostream>

#include "loadprof/util/exit_codes.h"
#include "loadprof/util/log.h"

namespace loadprof::cli {
namespace {

const po::options_description& common_options() {
  static const po::options_description common = [] {
    po::options_description d("common options");
    d.add_options()("verbose,v", po::bool_switch(), "more diagnostics on stderr (-v -v: debug)");
    return d;
  }();
  return common;
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string quoted_list(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "'" : " '") + s + "'";
  return out;
}

// "unexpected argument(s) 'x' 'y'", with the comma list when the strays
// directly follow the value of a list flag and look like more of it.
Error stray_error(const std::vector<po::option>& parsed, const std::vector<size_t>& strays,
                  const ParseSpec& spec) {
  std::vector<std::string> words;
  for (size_t i : strays)
    words.push_back(parsed[i].original_tokens.empty() ? "" : parsed[i].original_tokens[0]);
  std::string message =
      (words.size() == 1 ? "unexpected argument " : "unexpected arguments ") + quoted_list(words);
  std::string hint;
  const size_t first = strays.front();
  if (first > 0) {
    const po::option& flag = parsed[first - 1];
    const bool is_list = std::find(spec.comma_lists.begin(), spec.comma_lists.end(), flag.string_key) !=
                         spec.comma_lists.end();
    if (is_list && flag.value.size() == 1) {
      std::string list = flag.value[0];
      bool same_kind = true;
      for (size_t k = 0; k < strays.size() && strays[k] == first + k; ++k) {
        same_kind = same_kind && all_digits(words[k]) == all_digits(flag.value[0]);
        list += "," + words[k];
      }
      if (same_kind) hint = "a list is one argument: --" + flag.string_key + " " + list;
    }
  }
  if (hint.empty()) hint = spec.stray_hint;
  if (!hint.empty()) message += " (" + hint + ")";
  return make_error(ErrorKind::usage, message);
}

Error unknown_option_error(const po::unknown_option& e, const po::options_description& desc,
                           const ParseSpec& spec) {
  std::string message = e.what();
  std::string typed = e.get_option_name();
  if (!typed.starts_with("--")) return make_error(ErrorKind::usage, message);
  typed.erase(0, 2);
  std::vector<std::string> names;
  for (const auto& o : desc.options()) {
    const std::string& name = o->long_name();
    if (name.empty()) continue;
    bool positional = false;
    if (spec.positional) {
      for (unsigned i = 0; i < spec.positional->max_total_count() && i < 16; ++i)
        positional = positional || spec.positional->name_for_position(i) == name;
    }
    if (!positional) names.push_back(name);
  }
  std::string near = closest_name(typed, names);
  if (!near.empty()) {
    message += "; did you mean --" + near + "?";
    if (near.starts_with(typed)) message += " (flags are spelled in full)";
  }
  return make_error(ErrorKind::usage, message);
}

}  // namespace

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

std::string closest_name(std::string_view typed, const std::vector<std::string>& candidates) {
  if (typed.empty()) return {};
  std::string prefix_of;
  int prefixes = 0;
  for (const auto& c : candidates) {
    if (c.size() > typed.size() && std::string_view(c).starts_with(typed)) {
      prefix_of = c;
      ++prefixes;
    }
  }
  if (prefixes == 1) return prefix_of;
  const size_t limit = std::clamp<size_t>(typed.size() / 3, 1, 3);
  std::string best;
  size_t best_distance = limit + 1;
  for (const auto& c : candidates) {
    const size_t d = edit_distance(typed, c);
    if (d < best_distance) {
      best = c;
      best_distance = d;
    }
  }
  return best;
}

Result<void> keep_previous_output(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return {};
    return errno_error(ErrorKind::io, "stat " + path, errno);
  }
  if (!S_ISREG(st.st_mode)) return {};  // the writer reports what it cannot replace
  const std::string old = path + ".old";
  if (::rename(path.c_str(), old.c_str()) != 0)
    return errno_error(ErrorKind::io, "rename " + path + " to " + old, errno);
  log::info("kept the previous " + path + " as " + old);
  return {};
}

std::string shell_quote(std::string_view arg) {
  const bool safe = !arg.empty() && std::all_of(arg.begin(), arg.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("_-./:=,+@%").find(c) != std::string_view::npos;
  });
  if (safe) return std::string(arg);
  std::string out = "'";
  for (char c : arg) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

void raise_verbosity() {
  log::set_level(log::level() == log::Level::info || log::level() == log::Level::debug ? log::Level::debug
                                                                                       : log::Level::info);
}

Result<po::variables_map> parse_args(const std::vector<std::string>& args,
                                     const po::options_description& desc, const ParseSpec& spec) {
  // Default style minus allow_guessing: "--dur" is not "--duration".
  const int style = (po::command_line_style::default_style & ~po::command_line_style::allow_guessing);
  po::options_description all;
  all.add(desc).add(common_options());
  po::variables_map vm;
  try {
    // No positional description for Boost: it would drop the extra words
    // silently (or refuse them without naming them). They are assigned here.
    auto parsed = po::command_line_parser(args).options(all).style(style).run();
    const unsigned takes = spec.positional ? spec.positional->max_total_count() : 0;
    unsigned position = 0;
    std::vector<size_t> strays;
    for (size_t i = 0; i < parsed.options.size(); ++i) {
      po::option& o = parsed.options[i];
      if (!o.string_key.empty()) continue;
      if (position < takes)
        o.string_key = spec.positional->name_for_position(position++);
      else
        strays.push_back(i);
    }
    if (!strays.empty()) return stray_error(parsed.options, strays, spec);
    // Each -v counts (a switch given twice would be refused by store()).
    std::erase_if(parsed.options, [](const po::option& o) {
      if (o.string_key != "verbose") return false;
      raise_verbosity();
      return true;
    });
    po::store(parsed, vm);
    po::notify(vm);
  } catch (const po::unknown_option& e) {
    return unknown_option_error(e, desc, spec);
  } catch (const po::error& e) {
    return make_error(ErrorKind::usage, e.what());
  }
  return vm;
}

Result<po::variables_map> parse_args(const std::vector<std::string>& args,
                                     const po::options_description& desc,
                                     const po::positional_options_description* positional) {
  ParseSpec spec;
  spec.positional = positional;
  return parse_args(args, desc, spec);
}

int fail(const Error& error) {
  log::error(error.message);
  return exit_code_for(error.kind);
}

int not_available(const std::string& what) {
  log::error("not available yet: " + what);
  return kExitUsage;
}

int print_help(const std::string& usage, const po::options_description& desc) {
  std::cout << "usage: " << usage << "\n\n" << desc << "\n" << common_options() << "\n";
  return kExitOk;
}

}  // namespace loadprof::cli
