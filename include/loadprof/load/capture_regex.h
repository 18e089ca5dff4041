// Regular expressions for scenario captures, on PCRE2 (docs/scenarios.md,
// "Regex captures"). Chosen over std::regex, which recurses once per character
// and overflowed the stack on a 15 kB body, and over RE2 for two reasons:
// partial matching (PCRE2_PARTIAL_HARD) says exactly when a match depends on
// bytes past the kept part of a truncated body, and the Perl syntax keeps the
// lookarounds and backreferences scenarios written for ECMAScript regexes use.
// Backtracking is bounded: the interpreter keeps its frames on the heap (never
// the stack) under a heap limit, the JIT runs on its own stack of fixed size,
// and a match limit caps the work of any one search; a search that hits a
// bound fails that capture (counted), it never ends the process. Matching
// allocates nothing once a thread's Scratch has seen the largest pattern.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "loadprof/util/result.h"

struct pcre2_real_code_8;
struct pcre2_real_match_data_8;
struct pcre2_real_match_context_8;
struct pcre2_real_jit_stack_8;

namespace loadprof::load {

class CaptureRegex {
 public:
  // Bounds of one search (see the header comment).
  static constexpr uint32_t kMatchLimit = 100'000;      // backtracking steps (~0.4 ms at most with the JIT)
  static constexpr uint32_t kHeapLimitKiB = 16 * 1024;  // interpreter frames
  static constexpr size_t kJitStackBytes = 1 << 20;     // JIT backtracking stack

  // Per-thread state for searching: match data, limits and the JIT stack.
  class Scratch {
   public:
    Scratch();
    ~Scratch();
    Scratch(Scratch&& o) noexcept;
    Scratch& operator=(Scratch&& o) noexcept;
    Scratch(const Scratch&) = delete;
    Scratch& operator=(const Scratch&) = delete;

   private:
    friend class CaptureRegex;
    pcre2_real_match_data_8* data_ = nullptr;
    pcre2_real_match_context_8* context_ = nullptr;
    pcre2_real_jit_stack_8* jit_stack_ = nullptr;
  };

  enum class Outcome {
    match,      // `value` holds the group's match (or the whole match without a group)
    no_match,   // nothing matched (or the group took no part in the match)
    truncated,  // `more_follows` and the match could depend on the bytes not seen
    limit,      // the search hit a bound: treated as no match, counted apart
  };

  // Compiles a pattern with at most one capturing group. The error (usage) is
  // "bad regex at offset N: <reason>" or names the group count.
  static Result<std::shared_ptr<const CaptureRegex>> compile(std::string_view pattern);
  ~CaptureRegex();
  CaptureRegex(const CaptureRegex&) = delete;
  CaptureRegex& operator=(const CaptureRegex&) = delete;

  // Leftmost match in `subject`. more_follows: the subject is the first part
  // of a longer text; a match that reaches its end (or could) is `truncated`.
  Outcome search(Scratch& scratch, std::string_view subject, bool more_follows,
                 std::string_view& value) const;

 private:
  CaptureRegex() = default;
  pcre2_real_code_8* code_ = nullptr;
  bool group_ = false;
};

}  // namespace loadprof::load
