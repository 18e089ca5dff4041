// The response parser against whole and split input: every response is fed
// split at every byte boundary (and byte by byte) and must parse the same.
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "loadprof/load/http_response.h"

using loadprof::load::ResponseParser;

namespace {

struct Parsed {
  bool done = false, failed = false, keep_alive = false;
  int status = 0;
  uint64_t body = 0;
  size_t consumed = 0;
};

Parsed feed_split(const std::string& in, std::vector<size_t> cuts, bool head = false, bool eof = false) {
  ResponseParser p;
  p.reset(head);
  Parsed r;
  size_t pos = 0;
  cuts.push_back(in.size());
  for (size_t cut : cuts) {
    if (cut < pos) continue;
    size_t used = p.feed(in.data() + pos, cut - pos);
    r.consumed += used;
    if (p.state() != ResponseParser::State::in_progress) break;
    pos = cut;
  }
  if (eof) p.on_eof();
  r.done = p.done();
  r.failed = p.failed();
  r.status = p.status();
  r.body = p.body_bytes();
  r.keep_alive = p.keep_alive();
  return r;
}

// Every single split point, every two-way split around the head, and byte by byte.
void expect_same_everywhere(const std::string& in, const Parsed& want, bool head = false, bool eof = false) {
  for (size_t cut = 0; cut <= in.size(); ++cut) {
    Parsed got = feed_split(in, {cut}, head, eof);
    ASSERT_EQ(got.done, want.done) << "cut " << cut;
    ASSERT_EQ(got.failed, want.failed) << "cut " << cut;
    ASSERT_EQ(got.status, want.status) << "cut " << cut;
    ASSERT_EQ(got.body, want.body) << "cut " << cut;
    ASSERT_EQ(got.keep_alive, want.keep_alive) << "cut " << cut;
    ASSERT_EQ(got.consumed, want.consumed) << "cut " << cut;
  }
  std::vector<size_t> every;
  for (size_t i = 1; i < in.size(); ++i) every.push_back(i);
  Parsed bytes = feed_split(in, every, head, eof);
  EXPECT_EQ(bytes.done, want.done);
  EXPECT_EQ(bytes.body, want.body);
  EXPECT_EQ(bytes.consumed, want.consumed);
}

}  // namespace

TEST(ResponseParser, ContentLengthWithLeftoverOfNextResponse) {
  std::string first = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nServer: x\r\n\r\nhello";
  std::string next = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
  Parsed want{true, false, true, 200, 5, first.size()};
  expect_same_everywhere(first + next, want);
  // The leftover parses as its own response.
  Parsed second = feed_split(next, {});
  EXPECT_TRUE(second.done);
  EXPECT_EQ(second.status, 404);
  EXPECT_EQ(second.consumed, next.size());
}

TEST(ResponseParser, ChunkedWithExtensionsAndTrailers) {
  std::string in =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5;name=v\r\nhello\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nX-Trailer: 1\r\n\r\n"
      "HTTP/1.1 200 OK\r\n";  // start of a pipelined next response
  size_t end = in.size() - std::string("HTTP/1.1 200 OK\r\n").size();
  expect_same_everywhere(in, {true, false, true, 200, 5 + 26, end});
}

TEST(ResponseParser, ChunkedBeatsContentLengthAndUppercaseHex) {
  std::string in = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTRANSFER-ENCODING: Chunked\r\n\r\nA\r\n0123456789\r\n0\r\n\r\n";
  expect_same_everywhere(in, {true, false, true, 200, 10, in.size()});
}

TEST(ResponseParser, ConnectionCloseAndHttp10) {
  std::string close = "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok";
  expect_same_everywhere(close, {true, false, false, 200, 2, close.size()});
  std::string h10 = "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok";
  expect_same_everywhere(h10, {true, false, false, 200, 2, h10.size()});
  std::string h10ka = "HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 2\r\n\r\nok";
  expect_same_everywhere(h10ka, {true, false, true, 200, 2, h10ka.size()});
  std::string list = "HTTP/1.1 200 OK\r\nConnection: upgrade, close\r\nContent-Length: 0\r\n\r\n";
  expect_same_everywhere(list, {true, false, false, 200, 0, list.size()});
}

TEST(ResponseParser, BodyUntilCloseNeedsEof) {
  std::string in = "HTTP/1.1 200 OK\r\n\r\nsome body bytes";
  Parsed open = feed_split(in, {});
  EXPECT_FALSE(open.done);
  expect_same_everywhere(in, {true, false, false, 200, 15, in.size()}, false, true);
}

TEST(ResponseParser, HeadAnd204And304HaveNoBody) {
  std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n";
  expect_same_everywhere(head, {true, false, true, 200, 0, head.size()}, true);
  std::string no_content = "HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1";
  expect_same_everywhere(no_content, {true, false, true, 204, 0, no_content.size() - 8});
  std::string not_modified = "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n";
  expect_same_everywhere(not_modified, {true, false, true, 304, 0, not_modified.size()});
}

TEST(ResponseParser, InterimResponsesAreSkipped) {
  std::string in =
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
      "HTTP/1.1 201 Created\r\nContent-Length: 3\r\n\r\nabc";
  expect_same_everywhere(in, {true, false, true, 201, 3, in.size()});
}

TEST(ResponseParser, BareLineFeedsAndLongHeaders) {
  std::string longv(5000, 'v');
  std::string in = "HTTP/1.1 500 Internal Server Error with a long reason phrase\nX-Long: " + longv +
                   "\nA-Very-Long-Header-Name-That-Is-Not-Interesting: 1\ncontent-length:4\n\nbody";
  expect_same_everywhere(in, {true, false, true, 500, 4, in.size()});
}

TEST(ResponseParser, RejectsMalformedInput) {
  const char* bad[] = {
      "HTTP/2 200 OK\r\n\r\n",
      "HTTX/1.1 200 OK\r\n\r\n",
      "HTTP/1.1 20 OK\r\n\r\n",
      "HTTP/1.1 2000 OK\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 12a\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n11111111111111111\r\n",
      "HTTP/1.1 200 OK\r\nBad Header: x\r\n\r\n",
      "HTTP/1.1 200 OK\r\n folded\r\n\r\n",
      "HTTP/1.1 101 Switching Protocols\r\n\r\n",
  };
  for (const char* in : bad) {
    for (size_t cut = 0; cut <= std::strlen(in); ++cut) {
      Parsed p = feed_split(in, {cut});
      ASSERT_TRUE(p.failed) << in << " cut " << cut;
      ASSERT_FALSE(p.keep_alive);
    }
  }
  Parsed eof = feed_split("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", {}, false, true);
  EXPECT_TRUE(eof.failed);
  Parsed nothing = feed_split("", {}, false, true);
  EXPECT_TRUE(nothing.failed);
}
