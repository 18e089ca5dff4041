// Folded parser and frame tree: counts, junk lines, names with spaces,
// templates and UTF-8, chunking, prefix reuse, memory per distinct stack.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "loadprof/flamegraph/profile.h"

namespace loadprof::flamegraph {
namespace {

// "all;a;b" -> total, for every node: a canonical picture of the tree.
std::map<std::string, uint64_t> dump(const Profile& p) {
  std::map<std::string, uint64_t> out;
  for (NodeId n = 0; n < p.node_count(); ++n) {
    std::string path(p.name(n));
    for (NodeId a = p.parent(n); a != kNoNode; a = p.parent(a)) path = std::string(p.name(a)) + ";" + path;
    out[path] += p.total(n);
  }
  return out;
}

TEST(FoldedParser, MergesStacksIntoTree) {
  Profile p = parse_folded("main;a;b 30\nmain;a;c 10\nmain;a 5\nmain;d 7\nmain;a;b 3\n");
  EXPECT_EQ(p.stack_lines, 5u);
  EXPECT_EQ(p.junk_lines, 0u);
  EXPECT_EQ(p.total_count(), 55u);
  auto d = dump(p);
  EXPECT_EQ(d["all"], 55u);
  EXPECT_EQ(d["all;main"], 55u);
  EXPECT_EQ(d["all;main;a"], 48u);
  EXPECT_EQ(d["all;main;a;b"], 33u);
  EXPECT_EQ(d["all;main;a;c"], 10u);
  EXPECT_EQ(d["all;main;d"], 7u);
  EXPECT_EQ(p.node_count(), 6u);
}

TEST(FoldedParser, CountsJunkLinesAndKeepsTheRest) {
  const std::string text =
      "main;ok 4\n"
      "no count here\n"                      // junk: last token not a number
      "main;bad 12x\n"                       // junk
      "\n"                                   // blank
      "   \t \n"                             // blank
      "17\n"                                 // junk: no stack
      "main;huge 99999999999999999999999\n"  // junk: over 64 bits
      "# comment 1x\n"                       // junk
      "main;crlf 2\r\n"                      // valid, CR ignored
      "main;spaces   3  \n"                  // valid, extra blanks
      "main;tab\t5\n"                        // valid, tab separator
      "main;nonl 6";                         // valid, no final newline
  Profile p = parse_folded(text);
  EXPECT_EQ(p.junk_lines, 5u);
  EXPECT_EQ(p.blank_lines, 2u);
  EXPECT_EQ(p.stack_lines, 5u);
  EXPECT_EQ(p.total_count(), 4u + 2 + 3 + 5 + 6);
  ASSERT_EQ(p.junk_examples.size(), 5u);
  EXPECT_EQ(p.junk_examples[0].line_number, 2u);
  EXPECT_EQ(p.junk_examples[0].text, "no count here");
  EXPECT_EQ(p.junk_examples[1].line_number, 3u);
  EXPECT_EQ(p.junk_examples[2].line_number, 6u);
  EXPECT_EQ(p.junk_examples[3].line_number, 7u);
  auto d = dump(p);
  EXPECT_EQ(d["all;main;crlf"], 2u);
  EXPECT_EQ(d["all;main;spaces"], 3u);
  EXPECT_EQ(d["all;main;tab"], 5u);
  EXPECT_EQ(d["all;main;nonl"], 6u);
}

TEST(FoldedParser, KeepsSpacesTemplatesAndUtf8InNames) {
  Profile p = parse_folded(
      "svc;std::map<int, std::basic_string<char> >::find(int const&) const;operator new(unsigned long) 9\n"
      "svc;Foo<a:b>::bar 2\n"
      "svc;\xE5\x87\xBD\xE6\x95\xB0;caf\xC3\xA9 1\n");
  auto d = dump(p);
  EXPECT_EQ(d["all;svc;std::map<int, std::basic_string<char> >::find(int const&) const;operator new(unsigned "
              "long)"],
            9u);
  // A ';' inside a name is written ':' in the folded format, so it never splits a frame.
  EXPECT_EQ(d["all;svc;Foo<a:b>::bar"], 2u);
  EXPECT_EQ(d["all;svc;\xE5\x87\xBD\xE6\x95\xB0;caf\xC3\xA9"], 1u);
}

TEST(FoldedParser, AnyChunkingGivesTheSameTree) {
  const std::string text = "a;b;c 1\na;b 2\na;bc 3\na;b;c;d 4\nx;y 5\na;b;c 6\n\nbad\na;b;c;d;e 7\nz 8";
  Profile whole = parse_folded(text);
  for (size_t step : {1u, 2u, 3u, 7u}) {
    Profile p;
    FoldedParser parser(p);
    for (size_t i = 0; i < text.size(); i += step) parser.feed(std::string_view(text).substr(i, step));
    parser.finish();
    EXPECT_EQ(dump(p), dump(whole)) << "step " << step;
    EXPECT_EQ(p.junk_lines, 1u);
    EXPECT_EQ(p.stack_lines, 8u);
  }
  auto d = dump(whole);
  EXPECT_EQ(d["all;a;b"], 1u + 2 + 4 + 6 + 7);
  EXPECT_EQ(d["all;a;bc"], 3u);
  EXPECT_EQ(d["all;a;b;c"], 1u + 4 + 6 + 7);
  EXPECT_EQ(d["all;a;b;c;d"], 4u + 7);
  EXPECT_EQ(d["all;a;b;c;d;e"], 7u);
  EXPECT_EQ(d["all;z"], 8u);
}

TEST(FoldedParser, AddFoldedMatchesTheTextParser) {
  Profile text = parse_folded("svc;main;work 5\nsvc;main 2\nsvc;main;work;leaf 3\n");
  Profile lines;
  lines.add_folded("svc;main;work", 5);
  lines.add_folded("svc;main", 2);
  lines.add_folded("svc;main;work;leaf", 3);
  lines.add_folded("", 9);
  EXPECT_EQ(dump(lines), dump(text));
  EXPECT_EQ(lines.stack_lines, 3u);
  EXPECT_EQ(lines.junk_lines, 1u);
}

TEST(FoldedParser, IgnoresAByteOrderMark) {
  auto d = dump(parse_folded("\xEF\xBB\xBFmain;a 1\nmain;b 2\n"));
  EXPECT_EQ(d["all;main"], 3u);
  EXPECT_EQ(d.size(), 4u);
}

TEST(FoldedParser, InputOrderDoesNotMatter) {
  Profile sorted = parse_folded("a;b 1\na;b;c 2\na;c 3\nb;a 4\n");
  Profile shuffled = parse_folded("b;a 4\na;c 3\na;b;c 2\na;b 1\n");
  EXPECT_EQ(dump(sorted), dump(shuffled));
}

TEST(FoldedParser, MemoryFollowsDistinctStacksNotSamples) {
  std::string text;
  for (int i = 0; i < 10000; ++i) text += "main;loop;work;leaf 1\nmain;loop;io 1\n";
  Profile p = parse_folded(text);
  EXPECT_EQ(p.total_count(), 20000u);
  EXPECT_EQ(p.node_count(), 6u);  // all, main, loop, work, leaf, io
  EXPECT_EQ(p.name_count(), 6u);
}

TEST(FoldedParser, TotalsSaturateInsteadOfWrapping) {
  Profile p = parse_folded("a 18446744073709551615\na 5\nb 1\n");
  EXPECT_EQ(p.total_count(), UINT64_MAX);
  EXPECT_EQ(p.junk_lines, 0u);
}

TEST(FoldedParser, ReadsFilesAndReportsMissingOnes) {
  auto missing = read_folded_file("/nonexistent/x.folded");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, ErrorKind::io);
  EXPECT_NE(missing.error().message.find("/nonexistent/x.folded"), std::string::npos);
  auto p = read_folded_file(std::string(LOADPROF_SOURCE_DIR) + "/tests/flamegraph/data/simple.folded");
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_GT(p->total_count(), 0u);
}

}  // namespace
}  // namespace loadprof::flamegraph

namespace loadprof::flamegraph {
namespace {

TEST(FoldedParser, FractionalCountsAreKeptToThreeDecimals) {
  // Integers before the first fraction are rescaled with it; integer input keeps scale 1.
  Profile p = parse_folded("main;a 1\nmain;b 2.5\nmain;c 0.125\nmain;a 2.0\nmain;d 0.00049\nmain;e 1.0005\n");
  EXPECT_EQ(p.junk_lines, 0u);
  EXPECT_EQ(p.stack_lines, 6u);
  EXPECT_EQ(p.count_scale(), Profile::kFractionScale);
  auto d = dump(p);
  EXPECT_EQ(d["all;main;a"], 3000u);
  EXPECT_EQ(d["all;main;b"], 2500u);
  EXPECT_EQ(d["all;main;c"], 125u);
  EXPECT_EQ(d["all;main;d"], 0u);     // below half a thousandth
  EXPECT_EQ(d["all;main;e"], 1001u);  // rounded half up
  EXPECT_EQ(p.total_count(), 6626u);

  Profile whole = parse_folded("main;a 3\nmain;b 2.000\n");
  EXPECT_EQ(whole.count_scale(), 1u);  // a zero fraction is an integer
  EXPECT_EQ(whole.total_count(), 5u);

  // Not numbers: still junk, named in the warning.
  Profile junk = parse_folded("main;a 1.\nmain;b .5\nmain;c 1.2.3\nmain;d 1e3\n");
  EXPECT_EQ(junk.stack_lines, 0u);
  EXPECT_EQ(junk.junk_lines, 4u);
}

TEST(FoldedParser, JunkOfABinaryFileIsDescribedWithoutRawBytes) {
  EXPECT_EQ(describe_junk({2, "this is not folded"}), "line 2: 'this is not folded'");
  EXPECT_EQ(describe_junk({3, "caf\xC3\xA9\tx"}), "line 3: 'caf\xC3\xA9\\tx'");
  EXPECT_EQ(describe_junk({1, std::string("\x7f"
                                          "ELF\x02\x01\x01\0\0\0",
                                          10)}),
            "line 1: binary data '\\x7fELF\\x02\\x01\\x01\\x00\\x00\\x00'");
  std::string forty_escaped;
  for (int i = 0; i < 40; ++i) forty_escaped += "\\x01";
  EXPECT_EQ(describe_junk({7, std::string(100, '\x01')}), "line 7: binary data '" + forty_escaped + "'...");
  for (char c : describe_junk({9, "\xff\xfe\x80 bad utf-8"})) EXPECT_GE(static_cast<unsigned char>(c), 0x20);
}

}  // namespace
}  // namespace loadprof::flamegraph
