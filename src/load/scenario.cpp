// Scenario file parsing and validation. Everything a run could trip over is
// checked here, before any traffic: unknown fields, wrong types, bad URLs and
// durations, variables that are neither CSV columns nor captured by an earlier
// step, unreadable files. Each message starts with the JSON field's path.
#include "loadprof/load/scenario.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "loadprof/util/units.h"

namespace loadprof::load {

namespace {

using json = nlohmann::ordered_json;  // file order: headers are sent as written

Error at(const std::string& path, const std::string& message) {
  return make_error(ErrorKind::usage, path + ": " + message);
}

std::string type_name(const json& j) {
  if (j.is_string()) return "a string";
  if (j.is_number()) return "a number";
  if (j.is_boolean()) return "a boolean";
  if (j.is_array()) return "an array";
  if (j.is_object()) return "an object";
  return "null";
}

Result<void> only_keys(const json& obj, const std::string& path, std::initializer_list<const char*> allowed) {
  if (!obj.is_object()) return at(path, "expected an object, got " + type_name(obj));
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    bool ok = false;
    for (const char* a : allowed) ok |= it.key() == a;
    if (!ok) {
      std::string list;
      for (const char* a : allowed) list += std::string(list.empty() ? "" : ", ") + a;
      return at(path.empty() ? it.key() : path + "." + it.key(),
                "unknown field (expected one of: " + list + ")");
    }
  }
  return {};
}

Result<std::string> get_string(const json& j, const std::string& path) {
  if (!j.is_string()) return at(path, "expected a string, got " + type_name(j));
  return j.get<std::string>();
}

bool valid_var_name(std::string_view n) {
  if (n.empty() || n.size() > 64) return false;
  if (!(std::isalpha(static_cast<unsigned char>(n[0])) || n[0] == '_')) return false;
  for (char c : n)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  return true;
}

// ThinkTime from "500ms" or {"min": "200ms", "max": "800ms"}.
Result<ThinkTime> parse_think(const json& j, const std::string& path) {
  ThinkTime t;
  if (j.is_string()) {
    auto d = parse_duration_ns(j.get<std::string>());
    if (!d) return at(path, d.error().message);
    if (*d < 0) return at(path, "must not be negative");
    t.min_ns = t.max_ns = *d;
    return t;
  }
  if (!j.is_object()) return at(path, "expected a duration like \"500ms\" or {\"min\": ..., \"max\": ...}");
  LOADPROF_CHECK(only_keys(j, path, {"min", "max"}));
  if (!j.contains("min") || !j.contains("max")) return at(path, "needs both min and max");
  LOADPROF_TRY(lo_s, get_string(j["min"], path + ".min"));
  LOADPROF_TRY(hi_s, get_string(j["max"], path + ".max"));
  auto lo = parse_duration_ns(lo_s);
  if (!lo) return at(path + ".min", lo.error().message);
  auto hi = parse_duration_ns(hi_s);
  if (!hi) return at(path + ".max", hi.error().message);
  if (*lo < 0) return at(path + ".min", "must not be negative");
  if (*hi < *lo) return at(path + ".max", "is below min");
  t.min_ns = *lo;
  t.max_ns = *hi;
  return t;
}

std::string dir_join(const std::string& dir, const std::string& name) {
  if (name.empty() || name[0] == '/' || dir.empty()) return name;
  return dir + "/" + name;
}

Result<std::string> read_file(const std::string& file, const std::string& path) {
  std::ifstream f(file, std::ios::binary);
  if (!f) return at(path, "cannot read '" + file + "'");
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

enum class Where { path, header, body };

// Whether a value may go where it is substituted as is: no line break in a
// header, no space or control character in a raw path.
bool clean_value(std::string_view v, Where where) {
  for (char ch : v) {
    auto c = static_cast<unsigned char>(ch);
    if (where == Where::header && (c == '\r' || c == '\n')) return false;
    if (where == Where::path && (c <= 32 || c == 127)) return false;
  }
  return true;
}

class Parser {
 public:
  explicit Parser(std::string base_dir) : dir_(std::move(base_dir)) {}

  Result<Scenario> run(const json& root) {
    Scenario s;
    LOADPROF_CHECK(only_keys(root, "", {"base_url", "mode", "think_time", "variables", "steps"}));
    if (!root.contains("base_url")) return at("base_url", "missing (e.g. \"http://127.0.0.1:8080\")");
    LOADPROF_TRY(base, get_string(root["base_url"], "base_url"));
    auto url = parse_url(base);
    if (!url) return make_error(url.error().kind, "base_url: " + url.error().message);
    s.base = *url;
    if (s.base.target == "/")
      s.base.target.clear();
    else if (s.base.target.back() == '/')
      s.base.target.pop_back();
    if (s.base.target.find('?') != std::string::npos) return at("base_url", "must not carry a query");
    if (root.contains("mode")) {
      LOADPROF_TRY(mode, get_string(root["mode"], "mode"));
      if (mode == "weighted")
        s.weighted = true;
      else if (mode != "journey")
        return at("mode", "expected \"journey\" or \"weighted\", got \"" + mode + "\"");
    }
    if (root.contains("think_time")) {
      LOADPROF_TRY(t, parse_think(root["think_time"], "think_time"));
      s.think = t;
    }
    s.variables.push_back("vu");
    if (root.contains("variables")) LOADPROF_CHECK(parse_variables(root["variables"], s));
    if (!root.contains("steps")) return at("steps", "missing (a list of requests)");
    const json& steps = root["steps"];
    if (!steps.is_array()) return at("steps", "expected an array, got " + type_name(steps));
    if (steps.empty()) return at("steps", "needs at least one step");
    if (steps.size() > 1000) return at("steps", "more than 1000 steps");
    // Captured names, in step order: a journey may use a capture only in a later step.
    std::vector<std::pair<std::string, size_t>> captured;
    for (size_t i = 0; i < steps.size(); ++i) {
      const json& st = steps[i];
      if (!st.is_object()) continue;
      auto cap = st.find("capture");
      if (cap == st.end() || !cap->is_object()) continue;
      for (auto it = cap->begin(); it != cap->end(); ++it) {
        std::string p = "steps[" + std::to_string(i) + "].capture." + it.key();
        if (!valid_var_name(it.key())) return at(p, "bad variable name (letters, digits, _)");
        for (size_t k = 0; k < s.variables.size(); ++k)
          if (s.variables[k] == it.key() && k < s.csv_first + s.csv_count)
            return at(p, "'" + it.key() + "' is already a " + (k == 0 ? "built-in" : "CSV") + " variable");
        if (std::find(s.variables.begin(), s.variables.end(), it.key()) == s.variables.end())
          s.variables.push_back(it.key());
        captured.emplace_back(it.key(), i);
      }
    }
    std::set<std::string> names;
    for (size_t i = 0; i < steps.size(); ++i) {
      std::string p = "steps[" + std::to_string(i) + "]";
      LOADPROF_TRY(step, parse_step(steps[i], p, s, captured, i));
      if (!names.insert(step.name).second) return at(p + ".name", "duplicate step name '" + step.name + "'");
      s.steps.push_back(std::move(step));
    }
    // Captured values bound for a header or a raw path are checked like CSV values, when captured.
    for (auto& step : s.steps)
      for (auto& cap : step.captures)
        for (const auto& other : s.steps) {
          for (const auto& [n, t] : other.headers)
            for (const auto& part : t.parts) cap.in_header |= part.var == cap.var;
          for (const auto& part : other.path.parts) cap.raw_in_path |= part.raw && part.var == cap.var;
        }
    if (s.weighted) {
      double total = 0;
      for (const auto& st : s.steps) total += st.weight;
      if (total <= 0) return at("steps", "weighted mode needs a positive weight somewhere");
    }
    return s;
  }

 private:
  Result<void> parse_variables(const json& v, Scenario& s) {
    LOADPROF_CHECK(only_keys(v, "variables", {"csv", "order"}));
    if (!v.contains("csv")) return at("variables.csv", "missing (the CSV file's name)");
    LOADPROF_TRY(file, get_string(v["csv"], "variables.csv"));
    s.csv_path = dir_join(dir_, file);
    if (v.contains("order")) {
      LOADPROF_TRY(o, get_string(v["order"], "variables.order"));
      if (o == "sequential")
        s.csv_order = CsvOrder::sequential;
      else if (o == "random")
        s.csv_order = CsvOrder::random;
      else if (o == "unique")
        s.csv_order = CsvOrder::unique;
      else
        return at("variables.order", "expected sequential, random or unique, got \"" + o + "\"");
    }
    LOADPROF_TRY(text, read_file(s.csv_path, "variables.csv"));
    auto rows = parse_csv(text);
    if (!rows) return at("variables.csv", "'" + s.csv_path + "' " + rows.error().message);
    if (rows->size() < 2)
      return at("variables.csv", "'" + s.csv_path + "' has no data rows under its header");
    const auto& header = (*rows)[0];
    for (size_t c = 0; c < header.size(); ++c) {
      if (!valid_var_name(header[c]))
        return at("variables.csv", "column " + std::to_string(c + 1) + " '" + header[c] +
                                       "' is not a variable name (letters, digits, _)");
      if (std::find(s.variables.begin(), s.variables.end(), header[c]) != s.variables.end())
        return at("variables.csv", "column '" + header[c] + "' appears twice or shadows a built-in");
      s.variables.push_back(header[c]);
    }
    s.csv_count = header.size();
    for (size_t r = 1; r < rows->size(); ++r) {
      if ((*rows)[r].size() != header.size())
        return at("variables.csv", "'" + s.csv_path + "' line " + std::to_string(r + 1) + " has " +
                                       std::to_string((*rows)[r].size()) + " fields, the header " +
                                       std::to_string(header.size()));
      s.rows.push_back(std::move((*rows)[r]));
    }
    return {};
  }

  // Splits "${name}" / "${raw:name}" references; each must be a known variable available at step `index`.
  Result<Template> parse_template(const std::string& text, const std::string& path, const Scenario& s,
                                  const std::vector<std::pair<std::string, size_t>>& captured, size_t index,
                                  Where where) {
    bool header_value = where == Where::header;
    Template t;
    size_t pos = 0;
    std::string lit;
    while (pos < text.size()) {
      size_t open = text.find("${", pos);
      if (open == std::string::npos) {
        lit += text.substr(pos);
        break;
      }
      lit += text.substr(pos, open - pos);
      size_t close = text.find('}', open + 2);
      if (close == std::string::npos) return at(path, "unclosed ${ at offset " + std::to_string(open));
      std::string name = text.substr(open + 2, close - open - 2);
      bool raw = name.rfind("raw:", 0) == 0;
      if (raw) name.erase(0, 4);
      if (!valid_var_name(name))
        return at(path, "bad variable reference ${" + std::string(raw ? "raw:" : "") + name + "}");
      auto it = std::find(s.variables.begin(), s.variables.end(), name);
      if (it == s.variables.end())
        return at(path,
                  "unknown variable ${" + name + "} (not a CSV column, not captured by any step, not ${vu})");
      auto var = static_cast<size_t>(it - s.variables.begin());
      if (var >= s.csv_first + s.csv_count) {
        // A captured value: set by an earlier step of the same journey.
        size_t first = SIZE_MAX;
        for (const auto& [n, i] : captured)
          if (n == name) first = std::min(first, i);
        if (s.weighted)
          return at(path,
                    "${" + name + "} is captured by steps[" + std::to_string(first) +
                        "], but weighted requests are independent: nothing sets it first (use mode journey)");
        if (first >= index)
          return at(path, "${" + name + "} is used before it is captured (by steps[" + std::to_string(first) +
                              "])");
      }
      if (var >= s.csv_first && var < s.csv_first + s.csv_count &&
          (header_value || (where == Where::path && raw))) {
        // A header value cannot hold a line break (it would inject headers), a raw path no space or
        // control character (it would end the request line): refuse the CSV now.
        for (size_t r = 0; r < s.rows.size(); ++r)
          if (!clean_value(s.rows[r][var - s.csv_first], where))
            return at(path,
                      "${" + std::string(raw ? "raw:" : "") + name + "}: the CSV's data row " +
                          std::to_string(r + 1) +
                          (header_value ? " has a line break, which a header value cannot hold"
                                        : " has a space or control character, which a raw path cannot hold"));
      }
      if (!lit.empty()) t.parts.push_back({std::move(lit), -1});
      lit.clear();
      t.parts.push_back({"", static_cast<int>(var), raw});
      pos = close + 1;
    }
    if (!lit.empty()) t.parts.push_back({std::move(lit), -1});
    for (const auto& p : t.parts)
      if (p.var < 0 && header_value && p.text.find_first_of("\r\n") != std::string::npos)
        return at(path, "line break in a header value");
    return t;
  }

  Result<ScenarioStep> parse_step(const json& st, const std::string& p, const Scenario& s,
                                  const std::vector<std::pair<std::string, size_t>>& captured, size_t index) {
    LOADPROF_CHECK(only_keys(st, p,
                             {"name", "method", "path", "headers", "body", "body_file", "capture", "expect",
                              "weight", "think_time"}));
    ScenarioStep step;
    if (st.contains("name")) {
      LOADPROF_TRY(n, get_string(st["name"], p + ".name"));
      if (n.empty() || n.size() > 100) return at(p + ".name", "must be 1 to 100 characters");
      step.name = n;
    } else {
      step.name = "step" + std::to_string(index + 1);
    }
    if (st.contains("method")) {
      LOADPROF_TRY(m, get_string(st["method"], p + ".method"));
      if (m.empty() || m.size() > 20) return at(p + ".method", "bad method '" + m + "'");
      for (char c : m)
        if (!std::isupper(static_cast<unsigned char>(c))) return at(p + ".method", "bad method '" + m + "'");
      step.method = m;
    }
    if (!st.contains("path")) return at(p + ".path", "missing (e.g. \"/login\")");
    LOADPROF_TRY(path, get_string(st["path"], p + ".path"));
    if (path.empty() || path[0] != '/') return at(p + ".path", "must start with '/'");
    for (char c : path)
      if (static_cast<unsigned char>(c) <= 32 || c == 127)
        return at(p + ".path", "space or control character");
    LOADPROF_TRY(pt, parse_template(path, p + ".path", s, captured, index, Where::path));
    step.path = std::move(pt);
    if (st.contains("headers")) {
      const json& h = st["headers"];
      if (!h.is_object()) return at(p + ".headers", "expected an object of \"Name\": \"value\"");
      for (auto it = h.begin(); it != h.end(); ++it) {
        std::string hp = p + ".headers." + it.key();
        LOADPROF_TRY(v, get_string(it.value(), hp));
        auto parsed = parse_header(it.key() + ": " + v);
        if (!parsed) return at(hp, parsed.error().message);
        if (it.key().empty()) return at(hp, "empty header name");
        std::string lower = it.key();
        for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (lower == "content-length" || lower == "transfer-encoding")
          return at(hp, "set by the driver from the body");
        LOADPROF_TRY(t, parse_template(v, hp, s, captured, index, Where::header));
        step.headers.emplace_back(it.key(), std::move(t));
      }
    }
    if (st.contains("body") && st.contains("body_file"))
      return at(p + ".body_file", "give body or body_file, not both");
    if (st.contains("body")) {
      std::string body;
      if (st["body"].is_string())
        body = st["body"].get<std::string>();
      else if (st["body"].is_object() || st["body"].is_array())
        body = st["body"].dump();  // a JSON body as JSON
      else
        return at(p + ".body", "expected a string or a JSON object/array, got " + type_name(st["body"]));
      LOADPROF_TRY(t, parse_template(body, p + ".body", s, captured, index, Where::body));
      step.body = std::move(t);
      step.has_body = true;
    } else if (st.contains("body_file")) {
      LOADPROF_TRY(f, get_string(st["body_file"], p + ".body_file"));
      LOADPROF_TRY(body, read_file(dir_join(dir_, f), p + ".body_file"));
      LOADPROF_TRY(t, parse_template(body, p + ".body_file", s, captured, index, Where::body));
      step.body = std::move(t);
      step.has_body = true;
    }
    if (st.contains("capture")) {
      const json& c = st["capture"];
      if (!c.is_object())
        return at(p + ".capture", "expected an object of name: {\"json\"|\"header\"|\"regex\": ...}");
      for (auto it = c.begin(); it != c.end(); ++it) {
        std::string cp = p + ".capture." + it.key();
        LOADPROF_CHECK(only_keys(it.value(), cp, {"json", "header", "regex"}));
        if (it.value().size() != 1) return at(cp, "give exactly one of json, header, regex");
        Capture cap;
        cap.var = static_cast<int>(std::find(s.variables.begin(), s.variables.end(), it.key()) -
                                   s.variables.begin());
        auto kv = it.value().begin();
        LOADPROF_TRY(expr, get_string(kv.value(), cp + "." + kv.key()));
        if (expr.empty()) return at(cp + "." + kv.key(), "empty");
        cap.expr = expr;
        if (kv.key() == "json") {
          cap.kind = Capture::Kind::json;
          LOADPROF_TRY(parts, split_json_path(expr, cp + ".json"));
          cap.path = std::move(parts);
        } else if (kv.key() == "header") {
          cap.kind = Capture::Kind::header;
          for (char ch : expr)
            if (static_cast<unsigned char>(ch) <= 32 || ch == ':' || ch == 127)
              return at(cp + ".header", "bad header name '" + expr + "'");
        } else {
          cap.kind = Capture::Kind::regex;
          auto re = CaptureRegex::compile(expr);
          if (!re) return at(cp + ".regex", re.error().message);
          cap.re = *re;
        }
        step.captures.push_back(std::move(cap));
      }
    }
    if (st.contains("expect")) {
      const json& e = st["expect"];
      LOADPROF_CHECK(only_keys(e, p + ".expect", {"status", "body_contains"}));
      if (e.contains("status")) {
        const json& sj = e["status"];
        auto add = [&](const json& v, const std::string& vp) -> Result<void> {
          if (!v.is_number_integer() || v.get<int64_t>() < 100 || v.get<int64_t>() > 999)
            return at(vp, "expected a status code from 100 to 999");
          step.expect_status.push_back(v.get<int>());
          return {};
        };
        if (sj.is_array()) {
          if (sj.empty()) return at(p + ".expect.status", "empty list");
          for (size_t k = 0; k < sj.size(); ++k)
            LOADPROF_CHECK(add(sj[k], p + ".expect.status[" + std::to_string(k) + "]"));
        } else {
          LOADPROF_CHECK(add(sj, p + ".expect.status"));
        }
      }
      if (e.contains("body_contains")) {
        LOADPROF_TRY(b, get_string(e["body_contains"], p + ".expect.body_contains"));
        if (b.empty()) return at(p + ".expect.body_contains", "empty");
        if (b.size() > 1024) return at(p + ".expect.body_contains", "longer than 1024 bytes");
        step.expect_body_contains = b;
      }
    }
    if (st.contains("weight")) {
      const json& w = st["weight"];
      if (!w.is_number() || !(w.get<double>() >= 0) || w.get<double>() > 1e9)
        return at(p + ".weight", "expected a number >= 0");
      if (!s.weighted)
        return at(p + ".weight", "only with \"mode\": \"weighted\" (a journey runs every step)");
      step.weight = w.get<double>();
    }
    if (st.contains("think_time")) {
      LOADPROF_TRY(t, parse_think(st["think_time"], p + ".think_time"));
      step.think = t;
      step.has_think = true;
    }
    return step;
  }

  // "a.b[2].c" / "$.a.b" -> {"a", "b", "[2]", "c"}.
  static Result<std::vector<std::string>> split_json_path(const std::string& expr, const std::string& path) {
    std::string_view e = expr;
    if (e.substr(0, 2) == "$.")
      e.remove_prefix(2);
    else if (e.substr(0, 2) == "$[")
      e.remove_prefix(1);
    std::vector<std::string> out;
    size_t i = 0;
    while (i < e.size()) {
      if (e[i] == '[') {
        size_t close = e.find(']', i);
        if (close == std::string_view::npos || close == i + 1) return at(path, "bad index in '" + expr + "'");
        for (size_t k = i + 1; k < close; ++k)
          if (!std::isdigit(static_cast<unsigned char>(e[k]))) return at(path, "bad index in '" + expr + "'");
        if (close - i > 8) return at(path, "index too large in '" + expr + "'");
        out.emplace_back(e.substr(i, close - i + 1));
        i = close + 1;
        if (i < e.size() && e[i] == '.') {
          ++i;
          if (i == e.size()) return at(path, "trailing '.' in '" + expr + "'");
        }
        continue;
      }
      size_t end = e.find_first_of(".[", i);
      if (end == std::string_view::npos) end = e.size();
      if (end == i) return at(path, "empty key in '" + expr + "'");
      out.emplace_back(e.substr(i, end - i));
      i = end;
      if (i < e.size() && e[i] == '.') {
        ++i;
        if (i == e.size()) return at(path, "trailing '.' in '" + expr + "'");
      }
    }
    if (out.empty()) return at(path, "empty path");
    return out;
  }

  std::string dir_;
};

}  // namespace

bool Template::has_vars() const {
  for (const auto& p : parts)
    if (p.var >= 0) return true;
  return false;
}

Result<std::vector<std::vector<std::string>>> parse_csv(std::string_view text) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false, field_started = false;
  size_t line = 1;
  auto end_field = [&] {
    row.push_back(std::move(field));
    field.clear();
    field_started = false;
  };
  auto end_row = [&] {
    end_field();
    if (!(row.size() == 1 && row[0].empty())) rows.push_back(std::move(row));  // blank lines are skipped
    row.clear();
  };
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        if (c == '\n') ++line;
        field += c;
      }
      continue;
    }
    if (c == '"') {
      if (field_started || !field.empty())
        return make_error(ErrorKind::usage,
                          "line " + std::to_string(line) + ": quote inside an unquoted field");
      quoted = field_started = true;
    } else if (c == ',') {
      end_field();
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      continue;
    } else if (c == '\n') {
      end_row();
      ++line;
    } else {
      field += c;
      field_started = true;
    }
  }
  if (quoted) return make_error(ErrorKind::usage, "line " + std::to_string(line) + ": unclosed quote");
  if (field_started || !field.empty() || !row.empty()) end_row();
  return rows;
}

Result<Scenario> parse_scenario(std::string_view json_text, const std::string& base_dir) {
  json root;
  try {
    root = json::parse(json_text.begin(), json_text.end());
  } catch (const json::exception& e) {
    // parse_error, or out_of_range for a number like 3e822. The message carries the position.
    std::string what = e.what();
    if (auto p = what.find("] "); p != std::string::npos) what = what.substr(p + 2);
    return make_error(ErrorKind::usage, "not valid JSON: " + what);
  }
  if (!root.is_object())
    return make_error(ErrorKind::usage, "(top level): expected an object, got " + type_name(root));
  Parser parser(base_dir);
  try {
    return parser.run(root);
  } catch (const json::exception& e) {
    return make_error(ErrorKind::usage, std::string("bad scenario: ") + e.what());
  }
}

Result<Scenario> load_scenario(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return make_error(ErrorKind::usage, "cannot read scenario '" + path + "'");
  std::stringstream ss;
  ss << f.rdbuf();
  std::string dir;
  if (auto slash = path.rfind('/'); slash != std::string::npos) dir = path.substr(0, slash);
  auto s = parse_scenario(ss.str(), dir);
  if (!s) return make_error(s.error().kind, path + ": " + s.error().message);
  return s;
}

}  // namespace loadprof::load
