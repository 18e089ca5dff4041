// Scenario files (docs/scenarios.md): named steps that form a journey per
// virtual user (or a weighted mix of independent requests), ${var} templates
// filled from a CSV file and from values captured out of earlier responses
// (percent-encoded in the path and query, as they are in headers and bodies),
// per-step expectations and think times. parse_scenario validates everything
// before any traffic and names the field of each problem
// ("steps[2].capture.token: ..."); ScenarioSource runs a parsed scenario as the
// driver's RequestSource and keeps the results per step.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "loadprof/load/body_search.h"
#include "loadprof/load/capture_regex.h"
#include "loadprof/load/driver.h"
#include "loadprof/load/request.h"
#include "loadprof/stats/histogram.h"
#include "loadprof/util/result.h"

namespace loadprof::load {

// Text with ${name} (or ${raw:name}) references, split once at parse time.
struct Template {
  struct Part {
    std::string text;  // literal (when var < 0)
    int var = -1;      // index into Scenario::variables
    bool raw = false;  // ${raw:name}: inserted as is even where values are percent-encoded (the path)
  };
  std::vector<Part> parts;
  bool has_vars() const;
};

struct ThinkTime {
  int64_t min_ns = 0, max_ns = 0;  // fixed when equal, else uniform in [min, max]
};

struct Capture {
  enum class Kind { json, header, regex };
  Kind kind = Kind::json;
  int var = -1;                            // index into Scenario::variables
  std::string expr;                        // JSON path ("data.items[0].id"), header name, or regex
  std::vector<std::string> path;           // json: the path split into keys and "[n]" indices
  std::shared_ptr<const CaptureRegex> re;  // regex: compiled once
  bool in_header = false;                  // the value goes into a header: a line break fails it
  bool raw_in_path = false;                // ... or into a ${raw:} path: a space or control character does
};

struct ScenarioStep {
  std::string name;
  std::string method = "GET";
  Template path;  // appended to the base URL's path
  std::vector<std::pair<std::string, Template>> headers;
  Template body;
  bool has_body = false;
  std::vector<Capture> captures;
  std::vector<int> expect_status;    // empty: statuses >= 400 are errors (--ok-status applies)
  std::string expect_body_contains;  // empty: not checked
  double weight = 1;
  bool has_think = false;
  ThinkTime think;  // after this step (overrides the scenario's)
};

enum class CsvOrder { sequential, random, unique };

struct Scenario {
  Url base;               // base_url
  bool weighted = false;  // "mode": "weighted": each journey is one step drawn by weight
  std::vector<ScenarioStep> steps;
  ThinkTime think;                      // between steps (and between journeys in the closed model)
  std::vector<std::string> variables;   // "vu" first, then CSV columns, then captured names
  size_t csv_first = 1, csv_count = 0;  // CSV columns are variables[csv_first, csv_first + csv_count)
  std::string csv_path;
  CsvOrder csv_order = CsvOrder::sequential;
  std::vector<std::vector<std::string>> rows;  // CSV data rows (header excluded)
};

// Parses and validates a scenario. Relative file names (CSV, body_file) are
// resolved against base_dir. Errors are ErrorKind::usage, "field.path: problem".
Result<Scenario> parse_scenario(std::string_view json_text, const std::string& base_dir);
// Reads the file, then parse_scenario with the file's directory.
Result<Scenario> load_scenario(const std::string& path);

// Splits CSV text (RFC 4180 quoting, first line = column names). Usage error "line N: ...".
Result<std::vector<std::vector<std::string>>> parse_csv(std::string_view text);

// The JSON value at a simple path ("token", "data.user.id", "items[0].id",
// "$.a.b") inside a JSON document: a string's contents (escapes decoded into
// `out`) or a number/true/false literal as written. False when absent or not a
// scalar. Allocation-free once `out` has the capacity. value_end (optional):
// where the value ends in `document` (a number at the very end may be cut short).
bool json_path_value(std::string_view document, const std::vector<std::string>& path, std::string& out,
                     size_t* value_end = nullptr);

// Appends `value` percent-encoded for a URL path or query: every byte but the
// RFC 3986 unreserved ones (A-Z a-z 0-9 - . _ ~) becomes %XX.
void append_percent_encoded(std::string& out, std::string_view value);

// Results of one step, over the measured part of the run (warmup excluded).
struct StepResult {
  std::string name;
  std::string path;  // the step's path without its query, a variable as "*" ("/orders", "/users/*")
  uint64_t requests = 0, errors = 0;
  uint64_t expect_failures = 0;   // status or body expectation not met
  uint64_t capture_failures = 0;  // a capture found nothing (the variable is left empty)
  uint64_t capture_limit = 0;     // of capture_failures: regex searches stopped by their bound
  // Captures not decided: the response was longer than the kept kKeepBytes and
  // the value could lie (or go on) past them. Not failures; the variable is left empty.
  uint64_t capture_truncated = 0;
  uint64_t errors_by_class[kErrorClassCount] = {};
  stats::Histogram latency;  // from the intended send, like the run's
};

class ScenarioSource : public RequestSource {
 public:
  // keep_alive false adds Connection: close; closed: the driver runs the closed
  // model (think time also follows a journey's last step). Statuses >= 400 are
  // judged by the driver (--ok-status) unless a step expects statuses itself.
  ScenarioSource(const Scenario& scenario, bool keep_alive, bool closed, uint64_t seed);
  // Replaces the scenario-level think time (--think-time); a step's own think_time still wins.
  void set_think_time(ThinkTime think) { think_ = think; }
  // Allocates the per-thread and per-virtual-user state; call before run_load
  // with the run's thread and connection counts (connection ids 0..connections-1).
  void prepare(int threads, int connections);

  Next next(uint32_t worker, uint32_t connection_id) override;
  After on_response(uint32_t worker, uint32_t connection_id, const Response& r) override;

  std::vector<StepResult> step_results() const;  // merged over threads, after the run
  uint64_t journeys_started() const;
  uint64_t rows_reused() const;  // unique CSV rows handed out again after the file ran out
  // Bytes held per virtual user: request and response buffers, variable
  // storage, and the driver's own per-connection buffer and state.
  size_t bytes_per_virtual_user() const;

  // Connections an open-model run needs so that journeys at peak_rps rarely
  // wait for one: rate x (steps x 50 ms + the think times between them).
  int suggested_connections(double peak_rps) const;

  static constexpr uint32_t kKeepBytes = 16384;  // response bytes kept for captures (body_contains sees all)
  static constexpr uint32_t kRequestBytes = 4096;  // initial request buffer (grows only for bigger requests)
  static constexpr uint32_t kValueBytes = 256;     // initial capacity of each variable's value

 private:
  struct Vu {
    bool active = false;
    uint32_t pos = 0;   // journey: index of the step in flight
    uint32_t step = 0;  // the step in flight
    std::string request;
    std::vector<std::string> values;  // by variable index
    std::unique_ptr<char[]> keep;
    BodySearch search;  // expect.body_contains, over the whole body as it arrives
  };
  struct alignas(64) Worker {
    std::mt19937_64 rng;
    std::vector<StepResult> steps;
    uint64_t journeys = 0, reused = 0;
    CaptureRegex::Scratch regex;
    std::string scratch;  // a rendered body, before its length goes into the head
  };
  void start_journey(Worker& w, Vu& vu, uint32_t vu_id);
  // encode: percent-encode values (the path and query) unless ${raw:...}.
  void render(const Template& t, const Vu& vu, std::string& out, bool encode) const;
  void build_request(Vu& vu, const ScenarioStep& step);
  int64_t draw_think(Worker& w, const ScenarioStep& step);
  enum class CaptureOutcome { ok, failed, limit, truncated };
  CaptureOutcome run_capture(Worker& w, const Capture& c, std::string_view head, std::string_view body,
                             bool truncated, Vu& vu);

  const Scenario& s_;
  bool keep_alive_, closed_;
  uint64_t seed_;
  ThinkTime think_;
  std::vector<double> cumulative_weight_;
  std::vector<Worker> workers_;
  std::vector<Vu> vus_;
  std::atomic<uint64_t> next_row_{0};
  std::atomic<uint64_t> next_vu_{0};
};

}  // namespace loadprof::load
