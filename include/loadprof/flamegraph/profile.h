// A profile is the merged frame tree of folded stacks ("root;...;leaf COUNT",
// Brendan Gregg's format, the only contract between collapsing and rendering).
// The folded parser streams its input and keeps only the distinct frame names
// and tree nodes, so memory follows the number of distinct stacks, not the
// number of samples or the size of the file.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "loadprof/util/result.h"

namespace loadprof::flamegraph {

using NodeId = uint32_t;
inline constexpr NodeId kRootNode = 0;
inline constexpr NodeId kNoNode = UINT32_MAX;
// The root frame spans every sample, as flamegraph.pl's "all".
inline constexpr std::string_view kRootName = "all";

// A line of input that is not "STACK COUNT"; the first few are kept for the message.
struct JunkLine {
  uint64_t line_number = 0;  // 1-based
  std::string text;          // truncated to 120 bytes
};

// "line 2: 'text'" for a message; a line with control bytes or invalid UTF-8
// (a binary file given as folded text) becomes "line 1: binary data
// '\x7fELF\x02...'": an escaped excerpt, never the raw bytes.
std::string describe_junk(const JunkLine& junk);

class Profile {
 public:
  Profile();
  Profile(Profile&&) noexcept;
  Profile& operator=(Profile&&) noexcept;
  ~Profile();

  // The child of `parent` named `name`, created (with total 0) when absent.
  // `parent_is_new`: the caller created `parent` since it last looked, so it
  // has no children yet and the lookup can be skipped.
  NodeId child(NodeId parent, std::string_view name, bool parent_is_new = false);
  // The child of `parent` named `name`, or kNoNode.
  NodeId find_child(NodeId parent, std::string_view name) const;
  // Adds `count` to every frame of the stack `path` (root-first node ids
  // ending at the leaf) and to the root. Totals saturate instead of wrapping.
  void add_to_path(const NodeId* path, size_t depth, uint64_t count);
  // Convenience for tests and importers: frames root-first, without "all".
  void add_stack(const std::vector<std::string_view>& frames, uint64_t count);
  // One folded stack already split from its count ("proc;main;work"), as
  // capture::FoldedLine holds it: split at every ';'. An empty stack is junk.
  void add_folded(std::string_view stack, uint64_t count);

  size_t node_count() const { return parent_.size(); }
  NodeId parent(NodeId node) const { return parent_[node]; }
  std::string_view name(NodeId node) const { return names_[name_id_[node]]; }
  uint32_t name_id(NodeId node) const { return name_id_[node]; }
  uint64_t total(NodeId node) const { return total_[node]; }
  uint32_t depth(NodeId node) const { return depth_[node]; }
  // Samples (or ns, bytes: whatever the counts are) in the whole profile,
  // in units of 1/count_scale().
  uint64_t total_count() const { return total_[kRootNode]; }
  // Totals are counts times this: 1, or kFractionScale once a fractional
  // count ("a;b 2.5", as some tools write weights) was read. Integer input
  // keeps 1, so its totals are the counts themselves.
  uint64_t count_scale() const { return count_scale_; }
  static constexpr uint64_t kFractionScale = 1000;  // three decimals kept
  // Multiplies every total by `factor` (saturating) and the scale with it.
  void rescale_counts(uint64_t factor);
  size_t name_count() const { return names_.size(); }
  std::string_view name_by_id(uint32_t id) const { return names_[id]; }

  // What the parser saw.
  uint64_t stack_lines = 0;             // lines that parsed as "STACK COUNT"
  uint64_t junk_lines = 0;              // non-blank lines that did not; not in the tree
  uint64_t blank_lines = 0;             // empty or whitespace-only; ignored
  std::vector<JunkLine> junk_examples;  // the first kMaxJunkExamples junk lines
  static constexpr size_t kMaxJunkExamples = 5;

 private:
  uint32_t intern(std::string_view name, uint64_t hash);
  void grow_names();
  void index_child(NodeId node);
  void grow_children();
  NodeId lookup_child(NodeId parent, uint32_t name_id) const;

  uint64_t count_scale_ = 1;
  // Nodes, structure of arrays.
  std::vector<NodeId> parent_;
  std::vector<uint32_t> name_id_;
  std::vector<uint64_t> total_;
  std::vector<uint32_t> depth_;
  // Children as sibling lists: a frame seen for the first time is appended,
  // touching no table. Parents with kIndexedChildren children or more are
  // also indexed in child_table_, so wide nodes are not walked.
  static constexpr uint32_t kIndexedChildren = 8;
  std::vector<NodeId> first_child_;
  std::vector<NodeId> next_sibling_;
  std::vector<uint32_t> child_count_;
  size_t indexed_nodes_ = 0;
  // Distinct names; the text lives in arena blocks owned here.
  std::vector<std::string_view> names_;
  std::vector<uint64_t> name_hash_;
  std::vector<std::unique_ptr<char[]>> arena_;
  size_t arena_used_ = 0, arena_size_ = 0;
  // Open-addressing tables (power-of-two sized). A slot carries its key, so a
  // probe touches one cache line, not the node or name arrays.
  struct NameSlot {
    uint32_t id = kNoNode;  // kNoNode: empty
    uint32_t hash_high = 0;
  };
  struct ChildSlot {
    NodeId parent = kNoNode;
    uint32_t name_id = 0;
    NodeId node = kNoNode;  // kNoNode: empty
  };
  std::vector<NameSlot> name_table_;    // name ids by name hash
  std::vector<ChildSlot> child_table_;  // children of wide parents by (parent, name id)
};

// Streaming parser of folded text into a Profile. Feed any chunking of the
// input; lines may span chunks. Rules:
//  - a line is STACK, whitespace, COUNT at its end: a non-negative integer
//    that fits 64 bits, or a decimal like 2.5 (three decimals kept, the
//    profile's count_scale() becomes kFractionScale); CR before LF is
//    ignored; the stack is split at every ';'
//    (the folded format writes a ';' inside a name as ':', as stackcollapse
//    does), frames keep their spaces and any UTF-8 bytes;
//  - blank lines are skipped; any other line that does not parse (no count,
//    bad count, empty stack) is counted as junk and left out;
//  - consecutive lines that share a prefix (sorted input, the normal case)
//    reuse the prefix's nodes without hashing it again.
class FoldedParser {
 public:
  explicit FoldedParser(Profile& profile) : profile_(profile) {}
  void feed(std::string_view chunk);
  void finish();

 private:
  void line(std::string_view text);
  void junk(std::string_view text);

  Profile& profile_;
  std::string pending_;  // an incomplete last line
  uint64_t line_number_ = 0;
  std::string prev_stack_;
  std::vector<NodeId> prev_nodes_;
  std::vector<size_t> prev_ends_;
};

// Whole-buffer parse.
Profile parse_folded(std::string_view text);
// Reads a folded file in chunks ("-" is stdin). Errors: ErrorKind::io when it
// cannot be opened or read.
[[nodiscard]] Result<Profile> read_folded_file(const std::string& path);

}  // namespace loadprof::flamegraph
