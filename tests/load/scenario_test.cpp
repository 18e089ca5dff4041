// Scenario files without traffic: what parses, what is rejected (with the
// field path in the message), the CSV reader, the JSON path capture, request
// rendering, and the corpus replay of the scenario fuzz target.
#include "loadprof/load/scenario.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "fuzz/scenario_feed.h"
#include "fuzz/scenario_fuzz.h"

using namespace loadprof::load;

namespace {

std::filesystem::path temp_dir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  auto dir =
      std::filesystem::path(LOADPROF_BINARY_DIR) / "test-output" / (std::string("scenario.") + info->name());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

std::string error_of(const std::string& text, const std::string& dir = "") {
  auto s = parse_scenario(text, dir);
  return s ? std::string("(accepted)") : s.error().message;
}

}  // namespace

TEST(Scenario, ParsesACompleteJourney) {
  auto dir = temp_dir();
  std::ofstream(dir / "users.csv") << "user,pass\nalice,\"p,1\"\nbob,p2\n";
  std::ofstream(dir / "order.json") << R"({"item": ${item_id}})";
  auto s = parse_scenario(R"({
    "base_url": "http://127.0.0.1:8080/shop/",
    "think_time": {"min": "100ms", "max": "300ms"},
    "variables": {"csv": "users.csv", "order": "unique"},
    "steps": [
      {"name": "login", "method": "POST", "path": "/login", "body": {"user": "${user}", "pass": "${pass}"},
       "capture": {"token": {"json": "$.data.token"}, "item_id": {"regex": "item=([0-9]+)\\b"}},
       "expect": {"status": [200, 201], "body_contains": "token"}},
      {"name": "order", "method": "POST", "path": "/order/${vu}", "body_file": "order.json",
       "headers": {"Authorization": "Bearer ${token}"}, "think_time": "1s"}
    ]})",
                          dir.string());
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->base.target, "/shop");
  EXPECT_EQ(s->base.port, 8080);
  EXPECT_EQ(s->think.min_ns, 100'000'000);
  EXPECT_EQ(s->think.max_ns, 300'000'000);
  EXPECT_EQ(s->csv_order, CsvOrder::unique);
  ASSERT_EQ(s->rows.size(), 2u);
  EXPECT_EQ(s->rows[0][1], "p,1");
  ASSERT_EQ(s->steps.size(), 2u);
  EXPECT_EQ(s->steps[0].captures.size(), 2u);
  EXPECT_EQ(s->steps[0].expect_status, (std::vector<int>{200, 201}));
  EXPECT_TRUE(s->steps[1].has_think);
  EXPECT_EQ(s->steps[1].think.min_ns, 1'000'000'000);
  // vu, CSV columns, captured names.
  EXPECT_EQ(s->variables, (std::vector<std::string>{"vu", "user", "pass", "token", "item_id"}));

  // Rendering: the request carries the CSV row, the body's length, the captured token.
  ScenarioSource src(*s, true, false, 1);
  src.prepare(1, 1);
  auto n = src.next(0, 0);
  std::string req(n.bytes);
  EXPECT_EQ(req.rfind("POST /shop/login HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n", 0), 0u) << req;
  std::string body = R"({"user":"alice","pass":"p,1"})";
  EXPECT_NE(req.find("Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body), std::string::npos)
      << req;
  ASSERT_NE(n.keep, nullptr);
  std::string resp_body = "{\"data\":{\"token\":\"T-9\"},\"x\":\"item=77\"}";
  std::string resp =
      "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(resp_body.size()) + "\r\n\r\n" + resp_body;
  auto after = loadprof::test::feed_response(src, n, resp);
  EXPECT_EQ(after.error, ErrorClass::none);
  EXPECT_TRUE(after.more);
  EXPECT_EQ(after.think_ns,
            100'000'000 <= after.think_ns && after.think_ns <= 300'000'000 ? after.think_ns : -1);
  auto n2 = src.next(0, 0);
  std::string req2(n2.bytes);
  EXPECT_EQ(req2.rfind("POST /shop/order/0 HTTP/1.1\r\n", 0), 0u) << req2;
  EXPECT_NE(req2.find("Authorization: Bearer T-9\r\n"), std::string::npos) << req2;
  EXPECT_NE(req2.find("\r\n\r\n{\"item\": 77}"), std::string::npos) << req2;
  auto results = src.step_results();
  EXPECT_EQ(results[0].requests, 1u);
  EXPECT_EQ(results[0].capture_failures, 0u);
}

TEST(Scenario, ValidationNamesTheField) {
  auto dir = temp_dir();
  std::ofstream(dir / "u.csv") << "user,1bad\nx,y\n";
  std::ofstream(dir / "ragged.csv") << "user,id\nx,1\ny\n";
  struct Case {
    std::string text, want;
  } cases[] = {
      {R"({"steps":[{"path":"/"}]})", "base_url: missing"},
      {R"({"base_url":"http://h","steps":[{"path":"/","colour":1}]})", "steps[0].colour: unknown field"},
      {R"({"base_url":"http://h","step":[]})", "step: unknown field"},
      {R"({"base_url":"ftp://h","steps":[{"path":"/"}]})", "base_url: "},
      {R"({"base_url":"http://h","steps":[]})", "steps: needs at least one step"},
      {R"({"base_url":"http://h","steps":[{"path":"x"}]})", "steps[0].path: must start with '/'"},
      {R"({"base_url":"http://h","steps":[{"path":"/"},{"path":"/${nope}"}]})",
       "steps[1].path: unknown variable ${nope}"},
      {R"({"base_url":"http://h","steps":[{"path":"/"},{"path":"/a","headers":{"X":"${token}"}},
          {"path":"/b","capture":{"token":{"json":"t"}}}]})",
       "steps[1].headers.X: ${token} is used before it is captured (by steps[2])"},
      {R"({"base_url":"http://h","steps":[{"path":"/","capture":{"t":{"json":"t"}},"headers":{"A":"${t}"}}]})",
       "steps[0].headers.A: ${t} is used before it is captured (by steps[0])"},
      {R"({"base_url":"http://h","steps":[{"path":"/"},{"path":"/"},{"path":"/","capture":{"token":{"jsn":"x"}}}]})",
       "steps[2].capture.token.jsn: unknown field"},
      {R"({"base_url":"http://h","steps":[{"path":"/","capture":{"token":{"regex":"(("}}}]})",
       "steps[0].capture.token.regex: bad regex"},
      {R"({"base_url":"http://h","steps":[{"path":"/","capture":{"token":{"regex":"(a)(b)c"}}}]})",
       "steps[0].capture.token.regex: at most one capturing group"},
      {R"({"base_url":"http://h","steps":[{"path":"/","capture":{"token":{"json":"a..b"}}}]})",
       "steps[0].capture.token.json: empty key"},
      {R"({"base_url":"http://h","steps":[{"path":"/","capture":{"token":{"json":"a","header":"b"}}}]})",
       "steps[0].capture.token: give exactly one"},
      {R"({"base_url":"http://h","steps":[{"path":"/","expect":{"status":99}}]})",
       "steps[0].expect.status: expected a status code"},
      {R"({"base_url":"http://h","steps":[{"path":"/","expect":{"status":[200,"x"]}}]})",
       "steps[0].expect.status[1]: expected a status code"},
      {R"({"base_url":"http://h","steps":[{"path":"/","think_time":"fast"}]})", "steps[0].think_time: "},
      {R"({"base_url":"http://h","think_time":{"min":"2s","max":"1s"},"steps":[{"path":"/"}]})",
       "think_time.max: is below min"},
      {R"({"base_url":"http://h","steps":[{"path":"/","weight":2}]})", "steps[0].weight: only with"},
      {R"({"base_url":"http://h","mode":"weighted","steps":[{"path":"/","capture":{"t":{"json":"a"}}},
          {"path":"/${t}"}]})",
       "steps[1].path: ${t} is captured by steps[0], but weighted requests are independent"},
      {R"({"base_url":"http://h","mode":"random","steps":[{"path":"/"}]})", "mode: expected"},
      {R"({"base_url":"http://h","variables":{"csv":"missing.csv"},"steps":[{"path":"/"}]})",
       "variables.csv: cannot read"},
      {R"({"base_url":"http://h","variables":{"csv":"u.csv"},"steps":[{"path":"/"}]})",
       "variables.csv: column 2 '1bad' is not a variable name"},
      {R"({"base_url":"http://h","variables":{"csv":"ragged.csv"},"steps":[{"path":"/"}]})",
       "line 3 has 1 fields"},
      {R"({"base_url":"http://h","variables":{"csv":"ragged.csv","order":"shuffled"},"steps":[{"path":"/"}]})",
       "variables.order: expected sequential, random or unique"},
      {R"({"base_url":"http://h","steps":[{"path":"/","body":"a","body_file":"b"}]})",
       "steps[0].body_file: give body or body_file, not both"},
      {R"({"base_url":"http://h","steps":[{"path":"/","headers":{"Content-Length":"5"}}]})",
       "steps[0].headers.Content-Length: set by the driver"},
      {R"({"base_url":"http://h","steps":[{"name":"a","path":"/"},{"name":"a","path":"/"}]})",
       "steps[1].name: duplicate step name"},
      {R"({"base_url":"http://h","steps":[{"path":"/","capture":{"vu":{"json":"a"}}}]})",
       "steps[0].capture.vu: 'vu' is already a built-in variable"},
      {R"({"base_url":"http://h","steps":[{"path":"/","method":"get"}]})", "steps[0].method: bad method"},
      {R"({"base_url":"http://h","steps":[{"path":"/a${x"}]})", "steps[0].path: unclosed ${"},
      {R"({"base_url":"http://h","steps":[{"path":"/"}]})", "(accepted)"},
      {R"({"base_url": "http://h", "steps": [{"path": "/"},])", "not valid JSON: parse error"},
      {"3e822", "not valid JSON: number overflow"},
  };
  for (const auto& c : cases) {
    std::string got = error_of(c.text, dir.string());
    if (c.want == "(accepted)")
      EXPECT_EQ(got, c.want);
    else
      EXPECT_EQ(got.rfind(c.want, 0) == 0 || got.find(c.want) != std::string::npos, true)
          << "input: " << c.text << "\nwant: " << c.want << "\ngot:  " << got;
  }
  // Messages for field paths start with the path itself.
  EXPECT_EQ(error_of(cases[7].text).rfind("steps[1].headers.X: ", 0), 0u);
}

TEST(Scenario, JsonPathValues) {
  std::string out;
  std::string doc =
      R"( {"a": {"b": [10, {"c": "x\"y\u00e9"}, true]}, "n": -1.5e3, "z": null, "s": "", "o": {}} )";
  EXPECT_TRUE(json_path_value(doc, {"a", "b", "[0]"}, out));
  EXPECT_EQ(out, "10");
  EXPECT_TRUE(json_path_value(doc, {"a", "b", "[1]", "c"}, out));
  EXPECT_EQ(out, "x\"y\xc3\xa9");
  EXPECT_TRUE(json_path_value(doc, {"a", "b", "[2]"}, out));
  EXPECT_EQ(out, "true");
  EXPECT_TRUE(json_path_value(doc, {"n"}, out));
  EXPECT_EQ(out, "-1.5e3");
  EXPECT_TRUE(json_path_value(doc, {"s"}, out));
  EXPECT_EQ(out, "");
  EXPECT_FALSE(json_path_value(doc, {"z"}, out));
  EXPECT_FALSE(json_path_value(doc, {"o"}, out));
  EXPECT_FALSE(json_path_value(doc, {"a", "b", "[3]"}, out));
  EXPECT_FALSE(json_path_value(doc, {"missing"}, out));
  EXPECT_FALSE(json_path_value(doc, {"a", "c"}, out));
  EXPECT_FALSE(json_path_value(R"({"a": [1, 2)", {"a", "[5]"}, out));
  EXPECT_FALSE(json_path_value(R"({"a": "unterminated)", {"a"}, out));
  EXPECT_FALSE(json_path_value("", {"a"}, out));
}

TEST(Scenario, CsvQuotingAndErrors) {
  auto rows = parse_csv("a,b\r\n\"x,1\",\"he said \"\"hi\"\"\"\n\n\"multi\nline\",2\nlast,");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 4u);
  EXPECT_EQ((*rows)[1][0], "x,1");
  EXPECT_EQ((*rows)[1][1], "he said \"hi\"");
  EXPECT_EQ((*rows)[2][0], "multi\nline");
  EXPECT_EQ((*rows)[3], (std::vector<std::string>{"last", ""}));
  EXPECT_FALSE(parse_csv("a\n\"open").ok());
  EXPECT_FALSE(parse_csv("a\nx\"y\"").ok());
}

TEST(Scenario, ExpectationsAndCapturesDecideTheError) {
  auto s = parse_scenario(R"({"base_url":"http://h","steps":[
      {"name":"a","path":"/a","capture":{"t":{"header":"x-token"}},"expect":{"status":401}},
      {"name":"b","path":"/b/${t}","expect":{"body_contains":"ok"}}]})",
                          "");
  ASSERT_TRUE(s.ok()) << s.error().message;
  ScenarioSource src(*s, true, false, 1);
  src.prepare(1, 1);
  auto feed = [&](const std::string& resp, int status, ErrorClass driver_verdict) {
    auto n = src.next(0, 0);
    return loadprof::test::feed_response(src, n, resp, 3, driver_verdict, status);
  };
  // An expected 401 is no error; the header is captured case-insensitively.
  auto a = feed("HTTP/1.1 401 X\r\nX-Token:  abc \r\nContent-Length: 0\r\n\r\n", 401, ErrorClass::status_4xx);
  EXPECT_EQ(a.error, ErrorClass::none);
  // Chunked body: "o" + "k" joined before the check.
  auto b = feed("HTTP/1.1 200 X\r\nTransfer-Encoding: chunked\r\n\r\n1\r\no\r\n1;ext\r\nk\r\n0\r\n\r\n", 200,
                ErrorClass::none);
  EXPECT_EQ(b.error, ErrorClass::none);
  EXPECT_FALSE(b.more);
  // A 200 where 401 was expected is an expectation failure; the missing header a capture failure.
  auto c = feed("HTTP/1.1 200 X\r\nContent-Length: 0\r\n\r\n", 200, ErrorClass::none);
  EXPECT_EQ(c.error, ErrorClass::expect);
  auto d = feed("HTTP/1.1 200 X\r\nContent-Length: 4\r\n\r\nnope", 200, ErrorClass::none);
  EXPECT_EQ(d.error, ErrorClass::expect);
  auto results = src.step_results();
  EXPECT_EQ(results[0].requests, 2u);
  EXPECT_EQ(results[0].errors, 1u);
  EXPECT_EQ(results[0].expect_failures, 1u);
  EXPECT_EQ(results[0].capture_failures, 1u);
  EXPECT_EQ(results[1].expect_failures, 1u);
  EXPECT_EQ(results[1].errors_by_class[static_cast<int>(ErrorClass::expect)], 1u);
  EXPECT_LE(src.bytes_per_virtual_user(), 64u * 1024);
}

TEST(ScenarioFuzzCorpus, ReplaysEveryInput) {
  std::filesystem::path dir = std::filesystem::path(LOADPROF_SOURCE_DIR) / "tests/load/fuzz/corpus/scenario";
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    std::ifstream f(e.path(), std::ios::binary);
    std::string data((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    ++files;
    fuzz_scenario(reinterpret_cast<const uint8_t*>(data.data()), data.size());
  }
  EXPECT_GE(files, 12);
}

namespace {
// A response with a body of `body`, plain (Content-Length) or chunked in chunks of `chunk` bytes.
std::string response_with(const std::string& body, bool chunked, size_t chunk = 4096) {
  std::string r = "HTTP/1.1 200 OK\r\n";
  if (!chunked) return r + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  r += "Transfer-Encoding: chunked\r\n\r\n";
  char line[32];
  for (size_t at = 0; at < body.size(); at += chunk) {
    size_t n = std::min(chunk, body.size() - at);
    std::snprintf(line, sizeof line, "%zx\r\n", n);
    r += line;
    r.append(body, at, n);
    r += "\r\n";
  }
  return r + "0\r\n\r\n";
}
std::string xy(size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s += (i & 1) ? 'y' : 'x';
  return s;
}
}  // namespace

// std::regex recursed once per character: `(x|y)+` on 15 kB overflowed the stack (exit 139).
TEST(ScenarioCapture, RegexOnAFullBufferMatchesWithoutCrashing) {
  auto s = parse_scenario(R"J({"base_url":"http://h","steps":[
      {"name":"a","path":"/a","capture":{"one":{"regex":"(x|y)+"},"run":{"regex":"((?:x|y)+)!"},
                                         "interp":{"regex":"(*NO_JIT)(x|y)+!"},
                                         "bad":{"regex":"(a+)+[^a]"}}},
      {"name":"b","path":"/b/${one}/${run}/${interp}"}]})J",
                          "");
  ASSERT_TRUE(s.ok()) << s.error().message;
  ScenarioSource src(*s, true, false, 1);
  src.prepare(1, 1);
  std::string body = xy(15000) + "!" + std::string(40, 'a');
  auto n = src.next(0, 0);
  auto after = loadprof::test::feed_response(src, n, response_with(body, false), 1000);
  // (a+)+[^a] on 40 a's at the end backtracks ~2^40 steps: stopped by the match limit, a counted failure.
  EXPECT_EQ(after.error, ErrorClass::expect);
  auto n2 = src.next(0, 0);
  std::string req(n2.bytes);
  EXPECT_EQ(req.rfind("GET /b/y/" + xy(15000) + "/y HTTP/1.1\r\n", 0), 0u) << req.substr(0, 80);
  auto results = src.step_results();
  EXPECT_EQ(results[0].capture_failures, 1u);
  EXPECT_EQ(results[0].capture_limit, 1u);
  EXPECT_EQ(results[0].capture_truncated, 0u);
}

// Past the kept 16 KiB a capture is undecided, not failed: a regex or JSON value that reaches
// the cut (or is not in the kept part) counts as truncated; one wholly inside is captured.
TEST(ScenarioCapture, CapturesOnATruncatedBodySayTruncated) {
  auto s = parse_scenario(R"J({"base_url":"http://h","steps":[
      {"name":"a","path":"/a","capture":{"early":{"regex":"id=([0-9]+);"},"cut":{"regex":"(x|y)+"},
                                         "late":{"regex":"late=([0-9]+)"},"j":{"json":"tail"},
                                         "h":{"header":"Server"}}},
      {"name":"b","path":"/b/${early}"}]})J",
                          "");
  ASSERT_TRUE(s.ok()) << s.error().message;
  for (bool chunked : {false, true}) {
    ScenarioSource src(*s, true, false, 1);
    src.prepare(1, 1);
    std::string body = "{\"head\":\"id=42;\",\"pad\":\"" + xy(4'500'000) + "\",\"tail\":\"late=7\"}";
    auto n = src.next(0, 0);
    auto after = loadprof::test::feed_response(src, n, response_with(body, chunked), 65536);
    EXPECT_EQ(after.error, ErrorClass::expect) << chunked;  // the Server header is missing
    auto n2 = src.next(0, 0);
    EXPECT_EQ(std::string(n2.bytes).rfind("GET /b/42 HTTP/1.1\r\n", 0), 0u) << chunked;
    auto results = src.step_results();
    EXPECT_EQ(results[0].capture_failures, 1u) << chunked;   // no Server header in the complete head
    EXPECT_EQ(results[0].capture_truncated, 3u) << chunked;  // cut, late, j
  }
  // At the cut: a complete string is captured, a number is not decided.
  for (const char* tail : {"\"v\":\"abc\"", "\"v\":123"}) {
    auto js = parse_scenario(
        R"J({"base_url":"http://h","steps":[{"path":"/a","capture":{"v":{"json":"v"}}}]})J", "");
    ASSERT_TRUE(js.ok());
    ScenarioSource src(*js, true, false, 1);
    src.prepare(1, 1);
    auto n = src.next(0, 0);
    std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 99999\r\n\r\n{";
    std::string body(ScenarioSource::kKeepBytes - head.size() - std::strlen(tail), ' ');
    loadprof::test::feed_response(src, n, head + body + tail + std::string(99999, ' '), 65536);
    EXPECT_EQ(src.step_results()[0].capture_truncated, tail[4] == '"' ? 0u : 1u) << tail;
    EXPECT_EQ(src.step_results()[0].capture_failures, 0u) << tail;
  }
}

// expect.body_contains checked only the first 16 KiB: a 4.5 MB body with the marker at its end failed.
TEST(ScenarioCapture, BodyContainsSeesTheWholeBodyAcrossReadsAndChunks) {
  auto s = parse_scenario(R"J({"base_url":"http://h","steps":[
      {"name":"a","path":"/a","expect":{"body_contains":"<<END>>"}}]})J",
                          "");
  ASSERT_TRUE(s.ok()) << s.error().message;
  ScenarioSource src(*s, true, false, 1);
  src.prepare(1, 1);
  std::string big = xy(4'500'000) + "<<END>>";
  int fed = 0;
  for (bool chunked : {false, true})
    for (size_t piece : {size_t{1} << 14, size_t{4'500'003}, size_t{7}}) {
      auto n = src.next(0, 0);
      auto a = loadprof::test::feed_response(src, n, response_with(big, chunked, 4099), piece);
      EXPECT_EQ(a.error, ErrorClass::none) << chunked << " " << piece;
      ++fed;
    }
  // Absent: a failure, whatever the size.
  auto n = src.next(0, 0);
  auto a = loadprof::test::feed_response(src, n, response_with(xy(100'000) + "<<END>", true), 16384);
  EXPECT_EQ(a.error, ErrorClass::expect);
  auto results = src.step_results();
  EXPECT_EQ(results[0].requests, static_cast<uint64_t>(fed + 1));
  EXPECT_EQ(results[0].expect_failures, 1u);
}

TEST(ScenarioCapture, BodySearchFindsAMarkerAtEverySplit) {
  std::string marker = "needle-123";
  std::string body = "aaaaneedle-12aaaa" + std::string("needle-123") + "bbbb";
  for (size_t first = 0; first <= body.size(); ++first)
    for (size_t piece = 1; piece <= 12; ++piece) {
      BodySearch search;
      search.start(marker);
      search.on_body(body.data(), first);
      for (size_t at = first; at < body.size(); at += piece)
        search.on_body(body.data() + at, std::min(piece, body.size() - at));
      EXPECT_TRUE(search.found()) << first << " " << piece;
      EXPECT_EQ(search.body_bytes(), body.size());
    }
  BodySearch search;
  search.start(marker);
  std::string miss = "needle-12 needle-1 eedle-123";
  for (char c : miss) search.on_body(&c, 1);
  EXPECT_FALSE(search.found());
}

// Values went into the path as they were: a space split the request line, '/' '?' '#' changed its meaning.
TEST(ScenarioTemplate, ValuesArePercentEncodedInThePathRawOnRequest) {
  auto dir = temp_dir();
  std::ofstream(dir / "v.csv") << "v,w\n\"a b/c?d&e#f%g\r\nh~._-Z9\",x/y\n";
  auto s = parse_scenario(R"J({"base_url":"http://h/api","variables":{"csv":"v.csv"},"steps":[
      {"name":"a","method":"POST","path":"/p/${v}?q=${v}&w=${raw:w}","headers":{"X-W":"${w}"},"body":"${v}"}]})J",
                          dir.string());
  ASSERT_TRUE(s.ok()) << s.error().message;
  ScenarioSource src(*s, true, false, 1);
  src.prepare(1, 1);
  std::string req(src.next(0, 0).bytes);
  std::string enc = "a%20b%2Fc%3Fd%26e%23f%25g%0D%0Ah~._-Z9";
  EXPECT_EQ(req.rfind("POST /api/p/" + enc + "?q=" + enc + "&w=x/y HTTP/1.1\r\n", 0), 0u) << req;
  EXPECT_NE(req.find("\r\nX-W: x/y\r\n"), std::string::npos) << req;
  EXPECT_NE(req.find("\r\n\r\na b/c?d&e#f%g\r\nh~._-Z9"), std::string::npos) << req;  // the body is raw
  std::string out;
  append_percent_encoded(out, std::string("\x00\xff", 2));
  EXPECT_EQ(out, "%00%FF");
  // A line break cannot go into a header (it would inject one), nor a space into a raw path.
  EXPECT_EQ(
      error_of(R"J({"base_url":"http://h","variables":{"csv":"v.csv"},"steps":[
      {"path":"/","headers":{"X":"t ${v}"}}]})J",
               dir.string()),
      "steps[0].headers.X: ${v}: the CSV's data row 1 has a line break, which a header value cannot hold");
  EXPECT_EQ(
      error_of(R"J({"base_url":"http://h","variables":{"csv":"v.csv"},"steps":[{"path":"/${raw:v}"}]})J",
               dir.string()),
      "steps[0].path: ${raw:v}: the CSV's data row 1 has a space or control character, which a raw path "
      "cannot hold");
  EXPECT_EQ(error_of(R"J({"base_url":"http://h","steps":[{"path":"/${raw:}"}]})J"),
            "steps[0].path: bad variable reference ${raw:}");
}

// A captured value with a line break fails the capture only where it would break the request.
TEST(ScenarioTemplate, CapturedLineBreaksFailOnlyForHeadersAndRawPaths) {
  auto s = parse_scenario(R"J({"base_url":"http://h","steps":[
      {"name":"a","path":"/a","capture":{"p":{"regex":"(?s)v=(.*)!"},"hv":{"regex":"(?s)v=(.*)!"},
                                         "rp":{"regex":"(?s)v=(.*)!"}}},
      {"name":"b","path":"/b/${p}/${raw:rp}","headers":{"X":"${hv}"},"body":"${p}"}]})J",
                          "");
  ASSERT_TRUE(s.ok()) << s.error().message;
  ScenarioSource src(*s, true, false, 1);
  src.prepare(1, 1);
  auto n = src.next(0, 0);
  loadprof::test::feed_response(src, n, response_with("v=1\r\n2!", false));
  std::string req(src.next(0, 0).bytes);
  EXPECT_EQ(req.rfind("GET /b/1%0D%0A2/ HTTP/1.1\r\n", 0), 0u) << req;
  EXPECT_NE(req.find("\r\nX: \r\n"), std::string::npos) << req;
  EXPECT_EQ(src.step_results()[0].capture_failures, 1u);  // one request, two of its captures failed
}
