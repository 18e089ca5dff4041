// Frame tree and streaming folded parser (see profile.h).
#include "loadprof/flamegraph/profile.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "loadprof/util/fd.h"

namespace loadprof::flamegraph {
namespace {

constexpr size_t kArenaBlockBytes = 1 << 20;
constexpr size_t kReadChunkBytes = 1 << 20;

// Word-at-a-time string hash (multiply-xorshift); only needs to spread names
// over the open-addressing tables, not to be cryptographic.
inline uint64_t mix(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  return h;
}

inline uint64_t hash_bytes(std::string_view s) {
  uint64_t h = 0x9e3779b97f4a7c15ULL ^ s.size();
  const char* p = s.data();
  size_t n = s.size();
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    h = (h ^ w) * 0x100000001b3ULL;
    h = (h << 29) | (h >> 35);
    p += 8;
    n -= 8;
  }
  uint64_t w = 0;
  std::memcpy(&w, p, n);
  h = (h ^ w) * 0x100000001b3ULL;
  return mix(h);
}

inline uint64_t hash_child(NodeId parent, uint32_t name_id) {
  return mix((static_cast<uint64_t>(parent) << 32 | name_id) * 0x9e3779b97f4a7c15ULL);
}

inline uint64_t saturating_add(uint64_t a, uint64_t b) {
  uint64_t r = a + b;
  return r < a ? UINT64_MAX : r;
}

inline uint64_t saturating_mul(uint64_t a, uint64_t b) {
  return b != 0 && a > UINT64_MAX / b ? UINT64_MAX : a * b;
}

inline bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }
inline bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Decimal digits to a number; false on overflow.
bool parse_digits(std::string_view digits, uint64_t& out) {
  out = 0;
  for (char c : digits) {
    const uint64_t d = static_cast<uint64_t>(c - '0');
    if (out > (UINT64_MAX - d) / 10) return false;
    out = out * 10 + d;
  }
  return true;
}

// The fraction ".ddd..." in thousandths, rounded half up (may be 1000).
uint64_t thousandths(std::string_view digits) {
  uint64_t v = 0;
  for (size_t i = 0; i < 3; ++i)
    v = v * 10 + (i < digits.size() ? static_cast<uint64_t>(digits[i] - '0') : 0);
  if (digits.size() > 3 && digits[3] >= '5') ++v;
  return v;
}

// Length of the valid UTF-8 sequence at s[i] (a multi-byte one), or 0.
size_t utf8_sequence(std::string_view s, size_t i) {
  const auto b = static_cast<unsigned char>(s[i]);
  size_t n = b >= 0xF0 && b <= 0xF4 ? 4 : b >= 0xE0 ? 3 : b >= 0xC2 && b <= 0xDF ? 2 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k)
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
  return n;
}

}  // namespace

std::string describe_junk(const JunkLine& junk) {
  constexpr size_t kExcerptBytes = 40;
  const std::string_view text = junk.text;
  // Escapes text[0, limit): tabs and CRs as \t \r, other control bytes and
  // invalid UTF-8 as \xNN (those make the line binary).
  auto escape = [&](size_t limit, bool& binary) {
    std::string out;
    for (size_t i = 0; i < text.size() && i < limit;) {
      const auto b = static_cast<unsigned char>(text[i]);
      size_t n = b >= 0x80 ? utf8_sequence(text, i) : 0;
      if (b >= 0x20 && b < 0x7F) {
        out.push_back(static_cast<char>(b));
        n = 1;
      } else if (n > 0) {
        out.append(text.substr(i, n));
      } else if (b == '\t' || b == '\r') {
        out += b == '\t' ? "\\t" : "\\r";
        n = 1;
      } else {
        static const char kHex[] = "0123456789abcdef";
        out += "\\x";
        out.push_back(kHex[b >> 4]);
        out.push_back(kHex[b & 15]);
        binary = true;
        n = 1;
      }
      i += n;
    }
    return out;
  };
  bool binary = false;
  std::string shown = escape(text.size(), binary);
  const std::string line = "line " + std::to_string(junk.line_number) + ": ";
  if (!binary) return line + "'" + shown + "'";
  return line + "binary data '" + escape(kExcerptBytes, binary) +
         (text.size() > kExcerptBytes ? "'..." : "'");
}

Profile::Profile() {
  name_table_.resize(1024);
  child_table_.resize(1024);
  uint32_t root_name = intern(kRootName, hash_bytes(kRootName));
  parent_.push_back(kNoNode);
  name_id_.push_back(root_name);
  total_.push_back(0);
  depth_.push_back(0);
  first_child_.push_back(kNoNode);
  next_sibling_.push_back(kNoNode);
  child_count_.push_back(0);
}

Profile::Profile(Profile&&) noexcept = default;
Profile& Profile::operator=(Profile&&) noexcept = default;
Profile::~Profile() = default;

uint32_t Profile::intern(std::string_view name, uint64_t hash) {
  const uint32_t high = static_cast<uint32_t>(hash >> 32);
  size_t mask = name_table_.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    const NameSlot& slot = name_table_[i];
    if (slot.id == kNoNode) break;
    if (slot.hash_high == high && names_[slot.id] == name) return slot.id;
  }
  if ((names_.size() + 1) * 2 > name_table_.size()) grow_names();
  if (arena_used_ + name.size() > arena_size_) {
    size_t size = std::max(kArenaBlockBytes, name.size());
    arena_.push_back(std::make_unique<char[]>(size));
    arena_size_ = size;
    arena_used_ = 0;
  }
  char* text = arena_.back().get() + arena_used_;
  if (!name.empty()) std::memcpy(text, name.data(), name.size());
  arena_used_ += name.size();
  uint32_t id = static_cast<uint32_t>(names_.size());
  names_.emplace_back(text, name.size());
  name_hash_.push_back(hash);
  mask = name_table_.size() - 1;
  size_t i = hash & mask;
  while (name_table_[i].id != kNoNode) i = (i + 1) & mask;
  name_table_[i] = {id, high};
  return id;
}

void Profile::grow_names() {
  std::vector<NameSlot> table(name_table_.size() * 2);
  size_t mask = table.size() - 1;
  for (uint32_t id = 0; id < names_.size(); ++id) {
    size_t i = name_hash_[id] & mask;
    while (table[i].id != kNoNode) i = (i + 1) & mask;
    table[i] = {id, static_cast<uint32_t>(name_hash_[id] >> 32)};
  }
  name_table_.swap(table);
}

void Profile::index_child(NodeId node) {
  size_t mask = child_table_.size() - 1;
  size_t i = hash_child(parent_[node], name_id_[node]) & mask;
  while (child_table_[i].node != kNoNode) i = (i + 1) & mask;
  child_table_[i] = {parent_[node], name_id_[node], node};
  if (++indexed_nodes_ * 2 > child_table_.size()) grow_children();
}

void Profile::grow_children() {
  std::vector<ChildSlot> table(child_table_.size() * 2);
  size_t mask = table.size() - 1;
  for (const ChildSlot& slot : child_table_) {
    if (slot.node == kNoNode) continue;
    size_t i = hash_child(slot.parent, slot.name_id) & mask;
    while (table[i].node != kNoNode) i = (i + 1) & mask;
    table[i] = slot;
  }
  child_table_.swap(table);
}

NodeId Profile::lookup_child(NodeId parent, uint32_t name_id) const {
  if (child_count_[parent] < kIndexedChildren) {
    for (NodeId c = first_child_[parent]; c != kNoNode; c = next_sibling_[c]) {
      if (name_id_[c] == name_id) return c;
    }
    return kNoNode;
  }
  size_t mask = child_table_.size() - 1;
  for (size_t i = hash_child(parent, name_id) & mask;; i = (i + 1) & mask) {
    const ChildSlot& slot = child_table_[i];
    if (slot.node == kNoNode) return kNoNode;
    if (slot.parent == parent && slot.name_id == name_id) return slot.node;
  }
}

NodeId Profile::child(NodeId parent, std::string_view name, bool parent_is_new) {
  uint32_t name_id = intern(name, hash_bytes(name));
  if (!parent_is_new) {
    NodeId found = lookup_child(parent, name_id);
    if (found != kNoNode) return found;
  }
  NodeId node = static_cast<NodeId>(parent_.size());
  parent_.push_back(parent);
  name_id_.push_back(name_id);
  total_.push_back(0);
  depth_.push_back(depth_[parent] + 1);
  first_child_.push_back(kNoNode);
  child_count_.push_back(0);
  next_sibling_.push_back(first_child_[parent]);
  first_child_[parent] = node;
  uint32_t count = ++child_count_[parent];
  if (count == kIndexedChildren) {
    // The parent just became wide: index all its children, this one included.
    for (NodeId c = first_child_[parent]; c != kNoNode; c = next_sibling_[c]) index_child(c);
  } else if (count > kIndexedChildren) {
    index_child(node);
  }
  return node;
}

NodeId Profile::find_child(NodeId parent, std::string_view name) const {
  uint64_t hash = hash_bytes(name);
  const uint32_t high = static_cast<uint32_t>(hash >> 32);
  size_t mask = name_table_.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    const NameSlot& slot = name_table_[i];
    if (slot.id == kNoNode) return kNoNode;
    if (slot.hash_high == high && names_[slot.id] == name) return lookup_child(parent, slot.id);
  }
}

void Profile::rescale_counts(uint64_t factor) {
  for (auto& t : total_) t = saturating_mul(t, factor);
  count_scale_ = saturating_mul(count_scale_, factor);
}

void Profile::add_to_path(const NodeId* path, size_t depth, uint64_t count) {
  total_[kRootNode] = saturating_add(total_[kRootNode], count);
  for (size_t i = 0; i < depth; ++i) total_[path[i]] = saturating_add(total_[path[i]], count);
}

void Profile::add_stack(const std::vector<std::string_view>& frames, uint64_t count) {
  std::vector<NodeId> path;
  NodeId node = kRootNode;
  for (auto f : frames) {
    node = child(node, f);
    path.push_back(node);
  }
  add_to_path(path.data(), path.size(), count);
  ++stack_lines;
}

void Profile::add_folded(std::string_view stack, uint64_t count) {
  if (stack.empty()) {
    ++junk_lines;
    return;
  }
  std::vector<std::string_view> frames;
  size_t pos = 0;
  while (true) {
    size_t semi = stack.find(';', pos);
    frames.push_back(stack.substr(pos, semi == std::string_view::npos ? std::string_view::npos : semi - pos));
    if (semi == std::string_view::npos) break;
    pos = semi + 1;
  }
  add_stack(frames, count);
}

void FoldedParser::feed(std::string_view chunk) {
  if (!pending_.empty()) {
    const char* nl = static_cast<const char*>(std::memchr(chunk.data(), '\n', chunk.size()));
    if (!nl) {
      pending_.append(chunk);
      return;
    }
    size_t n = nl - chunk.data();
    pending_.append(chunk.data(), n);
    line(pending_);
    pending_.clear();
    chunk.remove_prefix(n + 1);
  }
  while (!chunk.empty()) {
    const char* nl = static_cast<const char*>(std::memchr(chunk.data(), '\n', chunk.size()));
    if (!nl) {
      pending_.assign(chunk);
      return;
    }
    size_t n = nl - chunk.data();
    line(chunk.substr(0, n));
    chunk.remove_prefix(n + 1);
  }
}

void FoldedParser::finish() {
  if (!pending_.empty()) {
    std::string last;
    last.swap(pending_);
    line(last);
  }
}

void FoldedParser::junk(std::string_view text) {
  ++profile_.junk_lines;
  if (profile_.junk_examples.size() < Profile::kMaxJunkExamples) {
    profile_.junk_examples.push_back({line_number_, std::string(text.substr(0, 120))});
  }
}

void FoldedParser::line(std::string_view text) {
  ++line_number_;
  std::string_view s = text;
  // A UTF-8 byte order mark (editors on Windows) is not part of the first frame.
  if (line_number_ == 1 && s.starts_with("\xEF\xBB\xBF")) s.remove_prefix(3);
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  if (s.empty()) {
    // Whitespace-only lines carry nothing; a trailing newline is not junk.
    ++profile_.blank_lines;
    return;
  }
  // COUNT: the number after the last blank, DIGITS or DIGITS.DIGITS.
  size_t begin = s.size();
  while (begin > 0 && is_digit(s[begin - 1])) --begin;
  std::string_view whole = s.substr(begin), fraction;
  if (begin > 0 && s[begin - 1] == '.' && !whole.empty()) {
    fraction = whole;
    const size_t dot = begin - 1;
    begin = dot;
    while (begin > 0 && is_digit(s[begin - 1])) --begin;
    whole = s.substr(begin, dot - begin);
  }
  uint64_t count = 0;
  if (whole.empty() || begin == 0 || !is_blank(s[begin - 1]) || whole.size() > 20 ||
      !parse_digits(whole, count)) {
    junk(text);
    return;
  }
  const uint64_t frac = thousandths(fraction);
  if (frac != 0 && profile_.count_scale() == 1) profile_.rescale_counts(Profile::kFractionScale);
  if (profile_.count_scale() != 1)
    count = saturating_add(saturating_mul(count, profile_.count_scale()), frac);
  std::string_view stack = s.substr(0, begin);
  while (!stack.empty() && is_blank(stack.back())) stack.remove_suffix(1);
  if (stack.empty()) {
    junk(text);
    return;
  }
  ++profile_.stack_lines;

  // Frames shared with the previous line: its nodes are reused as they are.
  size_t common =
      std::mismatch(stack.begin(), stack.end(), prev_stack_.begin(), prev_stack_.end()).first - stack.begin();
  size_t k = 0;
  while (k < prev_ends_.size()) {
    size_t end = prev_ends_[k];
    if (end < common || (end == common && (end == stack.size() || stack[end] == ';'))) {
      ++k;
    } else {
      break;
    }
  }
  prev_nodes_.resize(k);
  prev_ends_.resize(k);
  NodeId node = k ? prev_nodes_[k - 1] : kRootNode;
  size_t pos = k ? prev_ends_[k - 1] + 1 : 0;
  if (!(k && prev_ends_[k - 1] == stack.size())) {
    // Once a frame is new, every frame below it is new: no lookups for them.
    bool fresh = false;
    while (true) {
      const char* base = stack.data();
      const char* semi = static_cast<const char*>(std::memchr(base + pos, ';', stack.size() - pos));
      size_t end = semi ? static_cast<size_t>(semi - base) : stack.size();
      const NodeId before = static_cast<NodeId>(profile_.node_count());
      node = profile_.child(node, stack.substr(pos, end - pos), fresh);
      fresh = node >= before;
      prev_nodes_.push_back(node);
      prev_ends_.push_back(end);
      if (!semi) break;
      pos = end + 1;
    }
  }
  prev_stack_.assign(stack);
  profile_.add_to_path(prev_nodes_.data(), prev_nodes_.size(), count);
}

Profile parse_folded(std::string_view text) {
  Profile profile;
  FoldedParser parser(profile);
  parser.feed(text);
  parser.finish();
  return profile;
}

Result<Profile> read_folded_file(const std::string& path) {
  UniqueFd owned;
  int fd = STDIN_FILENO;
  if (path != "-") {
    owned = UniqueFd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!owned.valid()) return errno_error(ErrorKind::io, "open " + path, errno);
    fd = owned.get();
  }
  Profile profile;
  FoldedParser parser(profile);
  auto buffer = std::make_unique<char[]>(kReadChunkBytes);
  while (true) {
    ssize_t n = ::read(fd, buffer.get(), kReadChunkBytes);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error(ErrorKind::io, "read " + path, errno);
    }
    if (n == 0) break;
    parser.feed(std::string_view(buffer.get(), static_cast<size_t>(n)));
  }
  parser.finish();
  return profile;
}

}  // namespace loadprof::flamegraph
