// Running a scenario: the RequestSource the driver calls per request. A
// virtual user lives on one driver connection for a whole journey; its state
// (variables, request bytes, the kept response) is preallocated in prepare(),
// so a steady run renders requests and captures values without allocating
// (a value longer than its initial capacity grows its buffer once). Captures
// read the first kKeepBytes of a response; expect.body_contains follows the
// whole body as the driver parses it.
// Per-step results are kept per driver thread and merged after the run.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

#include "loadprof/load/scenario.h"

namespace loadprof::load {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

bool has_header(const ScenarioStep& st, std::string_view name) {
  for (const auto& [n, v] : st.headers)
    if (iequals(n, name)) return true;
  return false;
}

const char* skip_ws(const char* p, const char* end) {
  while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) ++p;
  return p;
}

// End of the string starting at p (p at the opening quote), past the closing quote; null if unterminated.
const char* skip_string(const char* p, const char* end) {
  for (++p; p < end; ++p) {
    if (*p == '\\') {
      ++p;
      continue;
    }
    if (*p == '"') return p + 1;
  }
  return nullptr;
}

// End of the JSON value at p; null when malformed. Containers are skipped by
// counting brackets (strings respected), so depth costs no recursion.
const char* skip_value(const char* p, const char* end) {
  p = skip_ws(p, end);
  if (p >= end) return nullptr;
  if (*p == '"') return skip_string(p, end);
  if (*p == '{' || *p == '[') {
    int depth = 0;
    while (p < end) {
      char c = *p;
      if (c == '"') {
        p = skip_string(p, end);
        if (!p) return nullptr;
        continue;
      }
      if (c == '{' || c == '[')
        ++depth;
      else if (c == '}' || c == ']') {
        if (--depth == 0) return p + 1;
      }
      ++p;
    }
    return nullptr;
  }
  const char* s = p;
  while (p < end && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\n' && *p != '\r' &&
         *p != '\t')
    ++p;
  return p > s ? p : nullptr;
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80)
    out += static_cast<char>(cp);
  else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Decodes the string at p (at its opening quote) into out.
bool decode_string(const char* p, const char* end, std::string& out) {
  out.clear();
  for (++p; p < end; ++p) {
    char c = *p;
    if (c == '"') return true;
    if (c != '\\') {
      out += c;
      continue;
    }
    if (++p >= end) return false;
    switch (*p) {
      case 'n':
        out += '\n';
        break;
      case 't':
        out += '\t';
        break;
      case 'r':
        out += '\r';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'u': {
        if (end - p < 5) return false;
        uint32_t cp = 0;
        auto r = std::from_chars(p + 1, p + 5, cp, 16);
        if (r.ptr != p + 5) return false;
        append_utf8(out, cp);  // surrogate pairs come out as two 3-byte sequences: good enough for tokens
        p += 4;
        break;
      }
      default:
        out += *p;  // \" \\ \/
    }
  }
  return false;
}

}  // namespace

bool json_path_value(std::string_view document, const std::vector<std::string>& path, std::string& out,
                     size_t* value_end) {
  const char* p = document.data();
  const char* end = p + document.size();
  for (const auto& seg : path) {
    p = skip_ws(p, end);
    if (p >= end) return false;
    if (seg.front() == '[') {
      if (*p != '[') return false;
      size_t want = 0;
      std::from_chars(seg.data() + 1, seg.data() + seg.size() - 1, want);
      ++p;
      for (size_t i = 0;; ++i) {
        p = skip_ws(p, end);
        if (p >= end || *p == ']') return false;
        if (i == want) break;
        p = skip_value(p, end);
        if (!p) return false;
        p = skip_ws(p, end);
        if (p >= end || *p != ',') return false;
        ++p;
      }
      continue;
    }
    if (*p != '{') return false;
    ++p;
    bool found = false;
    while (true) {
      p = skip_ws(p, end);
      if (p >= end || *p != '"') return false;
      const char* key_end = skip_string(p, end);
      if (!key_end) return false;
      // Keys are compared as written (a key spelled with escapes does not match).
      bool match = std::string_view(p + 1, static_cast<size_t>(key_end - p - 2)) == seg;
      p = skip_ws(key_end, end);
      if (p >= end || *p != ':') return false;
      p = skip_ws(p + 1, end);
      if (match) {
        found = true;
        break;
      }
      p = skip_value(p, end);
      if (!p) return false;
      p = skip_ws(p, end);
      if (p >= end || *p != ',') return false;
      ++p;
    }
    if (!found) return false;
  }
  p = skip_ws(p, end);
  if (p >= end) return false;
  if (*p == '"') {
    if (!decode_string(p, end, out)) return false;
    if (value_end) *value_end = static_cast<size_t>(skip_string(p, end) - document.data());
    return true;
  }
  if (*p == '{' || *p == '[' || *p == 'n') return false;  // objects, arrays and null are no values to send
  const char* e = skip_value(p, end);
  if (!e) return false;
  out.assign(p, static_cast<size_t>(e - p));
  if (value_end) *value_end = static_cast<size_t>(e - document.data());
  return true;
}

void append_percent_encoded(std::string& out, std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char ch : value) {
    auto c = static_cast<unsigned char>(ch);
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
}

ScenarioSource::ScenarioSource(const Scenario& scenario, bool keep_alive, bool closed, uint64_t seed)
    : s_(scenario), keep_alive_(keep_alive), closed_(closed), seed_(seed), think_(scenario.think) {
  double total = 0;
  for (const auto& st : s_.steps) cumulative_weight_.push_back(total += st.weight);
}

void ScenarioSource::prepare(int threads, int connections) {
  bool need_keep = false, need_search = false;
  for (const auto& st : s_.steps) {
    need_keep |= !st.captures.empty();
    need_search |= !st.expect_body_contains.empty();
  }
  workers_.clear();
  workers_.resize(static_cast<size_t>(std::max(1, threads)));
  for (size_t i = 0; i < workers_.size(); ++i) {
    auto& w = workers_[i];
    w.rng.seed(seed_ * 0x9E3779B97F4A7C15ull + i);
    w.steps.resize(s_.steps.size());
    for (size_t k = 0; k < s_.steps.size(); ++k) w.steps[k].name = s_.steps[k].name;
    w.scratch.reserve(kRequestBytes);
  }
  vus_.clear();
  vus_.resize(static_cast<size_t>(std::max(1, connections)));
  for (auto& vu : vus_) {
    vu.request.reserve(kRequestBytes);
    vu.values.resize(s_.variables.size());
    for (auto& v : vu.values) v.reserve(kValueBytes);
    if (need_keep) vu.keep = std::make_unique<char[]>(kKeepBytes);
    if (need_search) vu.search.start({});  // allocates its window now, not on the hot path
  }
  next_row_ = 0;
  next_vu_ = 0;
}

size_t ScenarioSource::bytes_per_virtual_user() const {
  bool need_keep = false, need_search = false;
  for (const auto& st : s_.steps) {
    need_keep |= !st.captures.empty();
    need_search |= !st.expect_body_contains.empty();
  }
  size_t bytes = sizeof(Vu) + kRequestBytes + s_.variables.size() * (sizeof(std::string) + kValueBytes);
  if (need_keep) bytes += kKeepBytes;
  if (need_search) bytes += 2 * BodySearch::kMaxMarkerBytes;
  // The driver's side of the same connection: its input buffer and connection state.
  bytes += 16384 + 256;
  return bytes;
}

int ScenarioSource::suggested_connections(double peak_rps) const {
  double steps = s_.weighted ? 1.0 : static_cast<double>(s_.steps.size());
  double think_s = 0;
  if (!s_.weighted) {
    for (size_t i = 0; i + 1 < s_.steps.size(); ++i) {
      const ThinkTime& t = s_.steps[i].has_think ? s_.steps[i].think : think_;
      think_s += static_cast<double>(t.min_ns + t.max_ns) / 2e9;
    }
  }
  double hold_s = steps * 0.05 + think_s;
  return std::clamp(static_cast<int>(std::ceil(peak_rps * hold_s)), 2, 20000);
}

void ScenarioSource::render(const Template& t, const Vu& vu, std::string& out, bool encode) const {
  for (const auto& p : t.parts) {
    if (p.var < 0)
      out += p.text;
    else if (encode && !p.raw)
      append_percent_encoded(out, vu.values[static_cast<size_t>(p.var)]);
    else
      out += vu.values[static_cast<size_t>(p.var)];
  }
}

void ScenarioSource::build_request(Vu& vu, const ScenarioStep& st) {
  std::string& r = vu.request;
  r.clear();
  r += st.method;
  r += ' ';
  r += s_.base.target;
  render(st.path, vu, r, true);
  r += " HTTP/1.1\r\n";
  if (!has_header(st, "host")) {
    r += "Host: ";
    r += s_.base.host_header;
    r += "\r\n";
  }
  for (const auto& [name, value] : st.headers) {
    r += name;
    r += ": ";
    render(value, vu, r, false);
    r += "\r\n";
  }
}

void ScenarioSource::start_journey(Worker& w, Vu& vu, uint32_t /*vu_id*/) {
  vu.active = true;
  vu.pos = 0;
  ++w.journeys;
  uint64_t id = next_vu_.fetch_add(1, std::memory_order_relaxed);
  char num[24];
  auto res = std::to_chars(num, num + sizeof num, id);
  vu.values[0].assign(num, res.ptr);
  if (s_.csv_count) {
    size_t n = s_.rows.size();
    size_t row;
    if (s_.csv_order == CsvOrder::random) {
      row = std::uniform_int_distribution<size_t>(0, n - 1)(w.rng);
    } else {
      uint64_t k = next_row_.fetch_add(1, std::memory_order_relaxed);
      if (s_.csv_order == CsvOrder::unique && k >= n) ++w.reused;
      row = static_cast<size_t>(k % n);
    }
    for (size_t c = 0; c < s_.csv_count; ++c) vu.values[s_.csv_first + c] = s_.rows[row][c];
  }
  for (size_t v = s_.csv_first + s_.csv_count; v < vu.values.size(); ++v) vu.values[v].clear();
}

int64_t ScenarioSource::draw_think(Worker& w, const ScenarioStep& st) {
  const ThinkTime& t = st.has_think ? st.think : think_;
  if (t.max_ns <= t.min_ns) return t.min_ns;
  return std::uniform_int_distribution<int64_t>(t.min_ns, t.max_ns)(w.rng);
}

RequestSource::Next ScenarioSource::next(uint32_t worker, uint32_t connection_id) {
  Worker& w = workers_[worker % workers_.size()];
  Vu& vu = vus_[connection_id % vus_.size()];
  if (!vu.active) start_journey(w, vu, connection_id);
  uint32_t step;
  if (s_.weighted) {
    double x = std::uniform_real_distribution<double>(0, cumulative_weight_.back())(w.rng);
    step = static_cast<uint32_t>(std::upper_bound(cumulative_weight_.begin(), cumulative_weight_.end(), x) -
                                 cumulative_weight_.begin());
    step = std::min<uint32_t>(step, static_cast<uint32_t>(s_.steps.size() - 1));
  } else {
    step = vu.pos;
  }
  vu.step = step;
  const ScenarioStep& st = s_.steps[step];
  build_request(vu, st);
  std::string& r = vu.request;
  w.scratch.clear();
  if (st.has_body) render(st.body, vu, w.scratch, false);
  if (st.has_body || st.method == "POST" || st.method == "PUT" || st.method == "PATCH") {
    char num[24];
    auto res = std::to_chars(num, num + sizeof num, w.scratch.size());
    r += "Content-Length: ";
    r.append(num, res.ptr);
    r += "\r\n";
  }
  if (!keep_alive_ && !has_header(st, "connection")) r += "Connection: close\r\n";
  r += "\r\n";
  r += w.scratch;
  Next n;
  n.bytes = r;
  n.head = st.method == "HEAD";
  n.step = step;
  if (vu.keep && !st.captures.empty()) {
    n.keep = vu.keep.get();
    n.keep_capacity = kKeepBytes;
  }
  if (!st.expect_body_contains.empty()) {
    vu.search.start(st.expect_body_contains);
    n.body = &vu.search;
  }
  return n;
}

ScenarioSource::CaptureOutcome ScenarioSource::run_capture(Worker& w, const Capture& c, std::string_view head,
                                                           std::string_view body, bool truncated, Vu& vu) {
  std::string& out = vu.values[static_cast<size_t>(c.var)];
  out.clear();
  bool ok = false, cut = false, limit = false;
  switch (c.kind) {
    case Capture::Kind::json: {
      size_t end = 0;
      ok = json_path_value(body, c.path, out, &end);
      // A number or literal that ends at the cut may go on; a string ends at its closing quote.
      cut = ok && truncated && end >= body.size() && body[end - 1] != '"';
      break;
    }
    case Capture::Kind::header: {
      size_t pos = head.find("\r\n");
      while (pos != std::string_view::npos && pos + 2 < head.size()) {
        size_t line = pos + 2;
        size_t eol = head.find("\r\n", line);
        std::string_view l =
            head.substr(line, eol == std::string_view::npos ? std::string_view::npos : eol - line);
        size_t colon = l.find(':');
        if (colon != std::string_view::npos && iequals(l.substr(0, colon), c.expr)) {
          std::string_view v = l.substr(colon + 1);
          while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
          while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
          out.assign(v);
          ok = true;
          cut = truncated && eol == std::string_view::npos;  // the kept head ends inside this line
          break;
        }
        pos = eol;
      }
      break;
    }
    case Capture::Kind::regex: {
      std::string_view value;
      switch (c.re->search(w.regex, body, truncated, value)) {
        case CaptureRegex::Outcome::match:
          out.assign(value);
          ok = true;
          break;
        case CaptureRegex::Outcome::truncated:
          cut = true;
          break;
        case CaptureRegex::Outcome::limit:
          limit = true;
          break;
        case CaptureRegex::Outcome::no_match:
          break;
      }
      break;
    }
  }
  // Nothing found in a cut text, or a value at the cut: undecided, not failed.
  if ((!ok && !limit && truncated) || cut) {
    out.clear();
    return CaptureOutcome::truncated;
  }
  // A value substituted as is must not break the request it goes into.
  if (ok) {
    for (char ch : out) {
      auto b = static_cast<unsigned char>(ch);
      if ((c.in_header && (b == '\r' || b == '\n')) || (c.raw_in_path && (b <= 32 || b == 127))) ok = false;
    }
  }
  if (!ok) out.clear();
  return ok ? CaptureOutcome::ok : limit ? CaptureOutcome::limit : CaptureOutcome::failed;
}

RequestSource::After ScenarioSource::on_response(uint32_t worker, uint32_t connection_id, const Response& r) {
  Worker& w = workers_[worker % workers_.size()];
  Vu& vu = vus_[connection_id % vus_.size()];
  const ScenarioStep& st = s_.steps[vu.step];
  ErrorClass err = r.error;
  bool transport = err != ErrorClass::none && err != ErrorClass::status_4xx &&
                   err != ErrorClass::status_5xx && err != ErrorClass::expect;
  bool expect_failed = false, capture_failed = false;
  uint32_t capture_limit = 0, capture_truncated = 0;
  if (!transport && r.status >= 100) {
    if (!st.expect_status.empty()) {
      bool listed =
          std::find(st.expect_status.begin(), st.expect_status.end(), r.status) != st.expect_status.end();
      if (listed)
        err = ErrorClass::none;
      else {
        expect_failed = true;
        err = r.status >= 500   ? ErrorClass::status_5xx
              : r.status >= 400 ? ErrorClass::status_4xx
                                : ErrorClass::expect;
      }
    }
    if (!st.captures.empty()) {
      // The kept bytes: any 1xx interim responses, then the final head and body.
      char* data = vu.keep.get();
      size_t len = r.bytes.size();
      std::string_view all(data, len);
      size_t head_end = all.find("\r\n\r\n");
      while (head_end != std::string_view::npos && all.size() > 9 && all.substr(0, 5) == "HTTP/" &&
             all[9] == '1') {
        all.remove_prefix(head_end + 4);
        head_end = all.find("\r\n\r\n");
      }
      std::string_view head = head_end == std::string_view::npos ? all : all.substr(0, head_end + 2);
      std::string_view body =
          head_end == std::string_view::npos ? std::string_view() : all.substr(head_end + 4);
      // Chunked bodies are joined in place (the kept buffer is ours to rewrite).
      bool chunked = false;
      for (size_t p = head.find("\r\n"); p != std::string_view::npos && !chunked;
           p = head.find("\r\n", p + 2)) {
        std::string_view line = head.substr(p + 2);
        line = line.substr(0, line.find("\r\n"));
        size_t colon = line.find(':');
        if (colon != std::string_view::npos && iequals(line.substr(0, colon), "transfer-encoding"))
          chunked = line.find("chunked") != std::string_view::npos ||
                    line.find("Chunked") != std::string_view::npos;
      }
      if (chunked && !body.empty()) {
        char* out = const_cast<char*>(body.data());
        const char* in = body.data();
        const char* end = in + body.size();
        size_t total = 0;
        while (in < end) {
          size_t size = 0;
          auto res = std::from_chars(in, end, size, 16);
          if (res.ec != std::errc() || size == 0) break;
          const char* eol =
              static_cast<const char*>(std::memchr(res.ptr, '\n', static_cast<size_t>(end - res.ptr)));
          if (!eol) break;
          in = eol + 1;
          size = std::min(size, static_cast<size_t>(end - in));
          std::memmove(out + total, in, size);
          total += size;
          in += size + 2;
        }
        body = std::string_view(body.data(), total);
      }
      bool head_cut = r.truncated && head_end == std::string_view::npos;
      for (const auto& c : st.captures) {
        auto outcome =
            run_capture(w, c, head, body, c.kind == Capture::Kind::header ? head_cut : r.truncated, vu);
        capture_failed |= outcome == CaptureOutcome::failed || outcome == CaptureOutcome::limit;
        capture_limit += outcome == CaptureOutcome::limit;
        capture_truncated += outcome == CaptureOutcome::truncated;
      }
    }
    // The search saw the whole body as it arrived (BodySearch), however long.
    if (!st.expect_body_contains.empty() && !vu.search.found()) expect_failed = true;
    if ((capture_failed || expect_failed) && err == ErrorClass::none) err = ErrorClass::expect;
  } else if (!st.captures.empty()) {
    for (const auto& c : st.captures) vu.values[static_cast<size_t>(c.var)].clear();
    capture_failed = true;  // no response, nothing captured
  }
  if (!r.warmup) {
    StepResult& sr = w.steps[vu.step];
    ++sr.requests;
    if (err != ErrorClass::none) {
      ++sr.errors;
      ++sr.errors_by_class[static_cast<int>(err)];
    }
    sr.expect_failures += expect_failed;
    sr.capture_failures += capture_failed;
    sr.capture_limit += capture_limit;
    sr.capture_truncated += capture_truncated;
    // As in the driver's totals: a failed request counts at the time it failed.
    sr.latency.record(static_cast<uint64_t>(std::max<int64_t>(0, r.end_ns - r.intended_ns)));
  }
  After a;
  a.error = err;
  bool last = s_.weighted || vu.pos + 1 >= s_.steps.size();
  if (last) {
    vu.active = false;
    a.more = false;
    a.think_ns = closed_ ? draw_think(w, st) : 0;
  } else {
    ++vu.pos;
    a.more = true;
    a.think_ns = draw_think(w, st);
  }
  return a;
}

// A step's path for reports: its literal text up to the query, a variable as "*".
static std::string path_label(const Template& path) {
  std::string out;
  for (const auto& part : path.parts) {
    const std::string text = part.var < 0 ? part.text : "*";
    const size_t query = part.var < 0 ? text.find('?') : std::string::npos;
    out += text.substr(0, query);
    if (query != std::string::npos) break;
  }
  return out;
}

std::vector<StepResult> ScenarioSource::step_results() const {
  std::vector<StepResult> out(s_.steps.size());
  for (size_t k = 0; k < s_.steps.size(); ++k) {
    out[k].name = s_.steps[k].name;
    out[k].path = path_label(s_.steps[k].path);
  }
  for (const auto& w : workers_) {
    for (size_t k = 0; k < w.steps.size(); ++k) {
      auto& o = out[k];
      const auto& a = w.steps[k];
      o.requests += a.requests;
      o.errors += a.errors;
      o.expect_failures += a.expect_failures;
      o.capture_failures += a.capture_failures;
      o.capture_limit += a.capture_limit;
      o.capture_truncated += a.capture_truncated;
      for (int c = 0; c < kErrorClassCount; ++c) o.errors_by_class[c] += a.errors_by_class[c];
      o.latency.merge(a.latency);
    }
  }
  return out;
}

uint64_t ScenarioSource::journeys_started() const {
  uint64_t n = 0;
  for (const auto& w : workers_) n += w.journeys;
  return n;
}

uint64_t ScenarioSource::rows_reused() const {
  uint64_t n = 0;
  for (const auto& w : workers_) n += w.reused;
  return n;
}

}  // namespace loadprof::load
