// Replays the folded parser's fuzz corpus (tests/flamegraph/corpus) in the
// normal test suite: every input keeps the invariants of invariants.h and
// renders an SVG that xmllint accepts.
#include <gtest/gtest.h>

#include <filesystem>

#include "invariants.h"
#include "svg_frames.h"

namespace loadprof::flamegraph {
namespace {

TEST(Corpus, EveryInputKeepsTheInvariants) {
  const std::filesystem::path dir = std::string(LOADPROF_SOURCE_DIR) + "/tests/flamegraph/corpus";
  size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    ++files;
    std::string input = testing::read_text_file(entry.path());
    SCOPED_TRACE(entry.path().string());
    for (size_t chunk : {1u, 3u, 4096u}) EXPECT_EQ(testing::check_invariants(input, chunk), "");
    std::string svg = render_svg(parse_folded(input), {});
    const std::string out = ::testing::TempDir() + "corpus_" + entry.path().filename().string() + ".svg";
    testing::write_text_file(out, svg);
    EXPECT_EQ(testing::run_shell("xmllint --noout --nonet '" + out + "'"), 0) << "not well-formed: " << out;
  }
  EXPECT_GE(files, 10u) << "the corpus is missing";
}

}  // namespace
}  // namespace loadprof::flamegraph
