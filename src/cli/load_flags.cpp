// The load driver's flags, shared by `load` and `bench` (load_flags.h).
#include "load_flags.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "loadprof/util/units.h"

namespace loadprof::cli {

void add_load_options(po::options_description& desc) {
  desc.add_options()("url", po::value<std::string>(), "target URL (http://host[:port]/path)")(
      "rate", po::value<std::string>(),
      "open model: requests per second (default model when given); journeys per second with --scenario; "
      "the first step's rate with --find-capacity (default 10)")(
      "closed", po::bool_switch(), "closed model: each connection sends, waits, sends again")(
      "duration", po::value<std::string>(),
      "run length (default 10s); not with --stages; with --find-capacity the whole search (default 5m)")(
      "stages", po::value<std::string>(), "DURATION:RATE[,...], RATE may be FROM->TO (a ramp)")(
      "connections", po::value<std::string>(), "connections (default 64 closed, sized from the rate open)")(
      "threads", po::value<std::string>(), "driver threads (default: online CPUs)")(
      "slo", po::value<std::string>(), "e.g. p99<50ms,errors<1%: exit 1 when broken")(
      "json", po::value<std::string>(), "write the results as JSON to FILE")(
      "header,H", po::value<std::vector<std::string>>()->composing(),
      "request header 'Name: value' (repeatable)")("method", po::value<std::string>()->default_value("GET"),
                                                   "request method")("body", po::value<std::string>(),
                                                                     "request body, or @FILE")(
      "timeout", po::value<std::string>()->default_value("10s"), "per-request timeout")(
      "warmup", po::value<std::string>(), "run first at the first rate, excluded from results")(
      "no-keepalive", po::bool_switch(), "close the connection after each request")(
      "arrival", po::value<std::string>()->default_value("uniform"), "open model arrivals: uniform|poisson")(
      "think-time", po::value<std::string>(),
      "pause between a response and the next send: DUR or MIN..MAX (closed model; scenarios: between steps)")(
      "ok-status", po::value<std::string>(), "statuses >= 400 that are not errors, e.g. 404,500-503")(
      "scenario", po::value<std::string>(), "scenario file (JSON, docs/scenarios.md) instead of a URL")(
      "find-capacity", po::bool_switch(), "step the rate up, then bisect: the highest rate that meets --slo")(
      "step-duration", po::value<std::string>(),
      "--find-capacity: each step, its warm-up (a fifth) included (default 10s)");
}

#ifdef HAVE_LOADPROF_LOAD

namespace {

Error flag_error(const std::string& flag, const Error& e) {
  return make_error(e.kind, flag + ": " + e.message);
}

Result<std::vector<int>> parse_ok_status(const std::string& text) {
  std::vector<int> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    size_t dash = item.find('-');
    auto a = parse_uint(item.substr(0, dash));
    auto b = dash == std::string::npos ? a : parse_uint(item.substr(dash + 1));
    if (!a || !b || *a < 100 || *b > 999 || *a > *b)
      return make_error(ErrorKind::usage, "bad status '" + item + "' (use codes or ranges like 404,500-503)");
    for (uint64_t s = *a; s <= *b; ++s) out.push_back(static_cast<int>(s));
  }
  if (out.empty()) return make_error(ErrorKind::usage, "empty status list");
  return out;
}

}  // namespace

// Writes --json; a write, flush or close that fails (a full disk shows only at
// the close of a small file) is an error, never a silently missing result.
Result<void> write_json_file(const std::string& path, const std::string& text) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (!f) return errno_error(ErrorKind::io, "--json: cannot write '" + path + "'", errno);
  size_t n = std::fwrite(text.data(), 1, text.size(), f);
  int err = n == text.size() && std::fflush(f) == 0 ? 0 : errno;
  if (std::fclose(f) != 0 && err == 0) err = errno;
  if (err) return errno_error(ErrorKind::io, "--json: cannot write '" + path + "'", err);
  return {};
}

void LoadSetup::prepare_source(load::LoadConfig& c) {
  if (!source) return;
  if (!connections_given && !c.closed) {
    double peak = 0;
    for (const auto& st : c.stages) peak = std::max({peak, st.rate_start_rps, st.rate_end_rps});
    c.connections = source->suggested_connections(peak);
  }
  source->prepare(c.threads, load::default_connections(c));
}

void LoadSetup::collect_scenario_results() {
  if (!source) return;
  scenario_report.steps = source->step_results();
  scenario_report.journeys = source->journeys_started();
  scenario_report.rows_reused = source->rows_reused();
}

Result<std::unique_ptr<LoadSetup>> parse_load_flags(const po::variables_map& vm) {
  bool has_scenario = vm.count("scenario") > 0;
  bool find_capacity = vm["find-capacity"].as<bool>();
  if (has_scenario && vm.count("url"))
    return make_error(ErrorKind::usage, "give a URL or --scenario, not both (the scenario has base_url)");
  if (!has_scenario && !vm.count("url"))
    return make_error(ErrorKind::usage, "missing URL (see loadprof load --help)");
  auto setup = std::make_unique<LoadSetup>();
  auto& cfg = setup->config;
  // The scenario is validated first: a bad one stops here, before any traffic.
  auto& scenario = setup->scenario;
  if (has_scenario) {
    for (const char* f : {"method", "body", "header"})
      if (vm.count(f) && !vm[f].defaulted())
        return make_error(
            ErrorKind::usage,
            std::string("--") + f + ": set requests in the scenario file, not on the command line");
    auto sc = load::load_scenario(vm["scenario"].as<std::string>());
    if (!sc) {
      if (sc.error().kind == ErrorKind::not_available)
        return make_error(ErrorKind::not_available, "not available yet: " + sc.error().message);
      return flag_error("--scenario", sc.error());
    }
    scenario = std::move(*sc);
    cfg.url = scenario.base;
  } else {
    auto url = load::parse_url(vm["url"].as<std::string>());
    if (!url) {
      if (url.error().kind == ErrorKind::not_available)
        return make_error(ErrorKind::not_available, "not available yet: " + url.error().message);
      return flag_error("URL", url.error());
    }
    cfg.url = *url;
  }
  bool closed = vm["closed"].as<bool>();
  bool has_rate = vm.count("rate") > 0, has_stages = vm.count("stages") > 0,
       has_duration = vm.count("duration") > 0;
  if (find_capacity) {
    if (closed)
      return make_error(ErrorKind::usage, "--find-capacity steps the rate (open model): drop --closed");
    if (has_stages) return make_error(ErrorKind::usage, "--find-capacity makes its own steps: drop --stages");
    if (vm.count("warmup"))
      return make_error(ErrorKind::usage, "--find-capacity warms up each step itself: drop --warmup");
  } else if (vm.count("step-duration")) {
    return make_error(ErrorKind::usage, "--step-duration: only with --find-capacity");
  }
  if (closed && has_rate) return make_error(ErrorKind::usage, "--rate and --closed exclude each other");
  if (closed && has_stages)
    return make_error(ErrorKind::usage,
                      "--stages sets rates, which the closed model does not have (drop --closed)");
  if (has_stages && has_rate)
    return make_error(ErrorKind::usage, "--stages and --rate exclude each other (a stage carries its rate)");
  if (has_stages && has_duration)
    return make_error(ErrorKind::usage,
                      "--stages and --duration exclude each other (stages carry durations)");
  if (!has_rate && !has_stages && !find_capacity) closed = true;  // wrk-style when no rate is asked for
  cfg.closed = closed;

  int64_t duration_ns = find_capacity ? 300'000'000'000 : 10'000'000'000;
  if (has_duration) {
    auto d = parse_duration_ns(vm["duration"].as<std::string>());
    if (!d) return flag_error("--duration", d.error());
    if (*d <= 0) return make_error(ErrorKind::usage, "--duration: must be positive");
    duration_ns = *d;
  }
  if (has_stages) {
    auto s = load::parse_stages(vm["stages"].as<std::string>());
    if (!s) return flag_error("--stages", s.error());
    cfg.stages = *s;
  } else if (has_rate) {
    auto r = parse_double(vm["rate"].as<std::string>());
    if (!r || *r <= 0 || *r > 10'000'000)
      return make_error(ErrorKind::usage, "--rate: expected requests per second in (0, 10000000]");
    cfg.stages = {{duration_ns, *r, *r}};
  } else {
    cfg.stages = {{duration_ns, 0, 0}};
  }
  if (vm.count("connections")) {
    auto n = parse_uint(vm["connections"].as<std::string>());
    if (!n || *n == 0 || *n > 100000)
      return make_error(ErrorKind::usage, "--connections: expected a number from 1 to 100000");
    cfg.connections = static_cast<int>(*n);
  }
  cfg.threads = static_cast<int>(std::max(1L, sysconf(_SC_NPROCESSORS_ONLN)));
  if (vm.count("threads")) {
    auto n = parse_uint(vm["threads"].as<std::string>());
    if (!n || *n == 0 || *n > 255)
      return make_error(ErrorKind::usage, "--threads: expected a number from 1 to 255");
    cfg.threads = static_cast<int>(*n);
  }
  auto timeout = parse_duration_ns(vm["timeout"].as<std::string>());
  if (!timeout) return flag_error("--timeout", timeout.error());
  if (*timeout <= 0) return make_error(ErrorKind::usage, "--timeout: must be positive");
  cfg.timeout_ns = *timeout;
  if (vm.count("warmup")) {
    auto w = parse_duration_ns(vm["warmup"].as<std::string>());
    if (!w) return flag_error("--warmup", w.error());
    // The same bound as the stages' total, so warm-up + stages cannot overflow the schedule.
    if (*w > 100000LL * 3600 * 1000000000) return make_error(ErrorKind::usage, "--warmup: more than 100000h");
    cfg.warmup_ns = *w;
  }
  load::ThinkTime think;
  if (vm.count("think-time")) {
    if (!closed && !has_scenario)
      return make_error(ErrorKind::usage,
                        "--think-time: only for the closed model (--closed) or a scenario's journeys");
    std::string text = vm["think-time"].as<std::string>();
    size_t dots = text.find("..");
    auto lo = parse_duration_ns(text.substr(0, dots));
    auto hi = dots == std::string::npos ? lo : parse_duration_ns(text.substr(dots + 2));
    if (!lo) return flag_error("--think-time", lo.error());
    if (!hi) return flag_error("--think-time", hi.error());
    if (*lo < 0 || *hi < *lo)
      return make_error(ErrorKind::usage, "--think-time: expected DUR or MIN..MAX with MIN <= MAX");
    if (*hi != *lo && !has_scenario)
      return make_error(ErrorKind::usage, "--think-time: a MIN..MAX range needs --scenario");
    think = {*lo, *hi};
    cfg.think_time_ns = *lo;
  }
  std::string arrival = vm["arrival"].as<std::string>();
  if (arrival == "poisson")
    cfg.arrival = load::Arrival::poisson;
  else if (arrival != "uniform")
    return make_error(ErrorKind::usage, "--arrival: expected uniform or poisson, got '" + arrival + "'");
  if (!vm["arrival"].defaulted() && closed)
    return make_error(ErrorKind::usage, "--arrival: only for the open model (--rate or --stages)");
  if (vm.count("ok-status")) {
    auto s = parse_ok_status(vm["ok-status"].as<std::string>());
    if (!s) return flag_error("--ok-status", s.error());
    cfg.ok_statuses = *s;
  }
  int64_t step_ns = 10'000'000'000;
  if (vm.count("step-duration")) {
    auto d = parse_duration_ns(vm["step-duration"].as<std::string>());
    if (!d) return flag_error("--step-duration", d.error());
    if (*d < 200'000'000)
      return make_error(ErrorKind::usage, "--step-duration: at least 200ms (a fifth of it is warm-up)");
    step_ns = *d;
  }
  auto& slo = setup->slo;
  if (vm.count("slo")) {
    auto s = stats::parse_slo(vm["slo"].as<std::string>());
    if (!s) return flag_error("--slo", s.error());
    slo = *s;
    for (const auto& t : slo)
      if (t.window_ns)
        return flag_error(
            "--slo",
            make_error(ErrorKind::usage, "windowed term '" + t.text +
                                             "': judged by 'loadprof check' on a bench capture, not here"));
    // SPEC: a bare latency number is milliseconds; say so once, and show the unit from here on.
    for (auto& t : slo) {
      if (t.metric == stats::SloMetric::errors || t.metric == stats::SloMetric::rps) continue;
      const char last = t.text.empty() ? ' ' : t.text.back();
      if ((last >= '0' && last <= '9') || last == '.') {
        std::cerr << "loadprof: --slo: " << t.text << " read as " << t.text << "ms\n";
        t.text += "ms";
      }
    }
  }
  load::RequestSpec spec;
  spec.method = vm["method"].as<std::string>();
  if (spec.method.empty() || spec.method.find_first_of(" \t\r\n") != std::string::npos)
    return make_error(ErrorKind::usage, "--method: bad method '" + spec.method + "'");
  if (vm.count("header")) {
    for (const auto& h : vm["header"].as<std::vector<std::string>>()) {
      auto p = load::parse_header(h);
      if (!p) return flag_error("-H", p.error());
      spec.headers.push_back(*p);
    }
  }
  if (vm.count("body")) {
    std::string b = vm["body"].as<std::string>();
    if (!b.empty() && b[0] == '@') {
      std::ifstream f(b.substr(1), std::ios::binary);
      if (!f) return make_error(ErrorKind::usage, "--body: cannot read '" + b.substr(1) + "'");
      std::stringstream ss;
      ss << f.rdbuf();
      spec.body = ss.str();
    } else {
      spec.body = b;
    }
  }
  spec.keep_alive = !vm["no-keepalive"].as<bool>();
  cfg.keep_alive = spec.keep_alive;
  cfg.head_request = spec.method == "HEAD";
  auto& source = setup->source;
  auto& scenario_report = setup->scenario_report;
  if (has_scenario) {
    source = std::make_unique<load::ScenarioSource>(scenario, cfg.keep_alive, closed, cfg.seed);
    if (vm.count("think-time")) source->set_think_time(think);
    cfg.source = source.get();
    cfg.think_time_ns = 0;  // the source says how long each virtual user thinks
    scenario_report.file = vm["scenario"].as<std::string>();
    scenario_report.weighted = scenario.weighted;
    scenario_report.bytes_per_virtual_user = source->bytes_per_virtual_user();
  } else {
    cfg.request = load::format_request(cfg.url, spec);
  }
  setup->connections_given = cfg.connections > 0;
  auto& json_path = setup->json_path;
  json_path = vm.count("json") ? vm["json"].as<std::string>() : "";
  if (!json_path.empty()) {
    // Fail before the run, not after it, when the file cannot be written.
    setup->json_created = access(json_path.c_str(), F_OK) != 0;
    std::ofstream probe(json_path, std::ios::app);
    if (!probe) return make_error(ErrorKind::usage, "--json: cannot write '" + json_path + "'");
  }
  setup->target_name = has_scenario ? vm["scenario"].as<std::string>() : vm["url"].as<std::string>();
  setup->find_capacity = find_capacity;
  setup->duration_ns = duration_ns;
  setup->step_ns = step_ns;
  setup->has_rate = has_rate;
  return setup;
}

#endif

}  // namespace loadprof::cli
