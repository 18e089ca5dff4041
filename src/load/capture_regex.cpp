// PCRE2 behind CaptureRegex: compile once at scenario load (JIT when the
// platform allows it, the heap-framed interpreter otherwise), search on the
// driver threads with per-thread match data and bounded work.
#define PCRE2_CODE_UNIT_WIDTH 8
#include "loadprof/load/capture_regex.h"

#include <pcre2.h>

#include <utility>

namespace loadprof::load {

CaptureRegex::Scratch::Scratch() {
  // Two pairs: the whole match and the one group a capture may have.
  data_ = pcre2_match_data_create(2, nullptr);
  context_ = pcre2_match_context_create(nullptr);
  if (context_) {
    pcre2_set_match_limit(context_, kMatchLimit);
    pcre2_set_heap_limit(context_, kHeapLimitKiB);
    jit_stack_ = pcre2_jit_stack_create(32 * 1024, kJitStackBytes, nullptr);
    if (jit_stack_) pcre2_jit_stack_assign(context_, nullptr, jit_stack_);
  }
}

CaptureRegex::Scratch::~Scratch() {
  pcre2_match_data_free(data_);
  pcre2_match_context_free(context_);
  pcre2_jit_stack_free(jit_stack_);
}

CaptureRegex::Scratch::Scratch(Scratch&& o) noexcept
    : data_(std::exchange(o.data_, nullptr)),
      context_(std::exchange(o.context_, nullptr)),
      jit_stack_(std::exchange(o.jit_stack_, nullptr)) {}

CaptureRegex::Scratch& CaptureRegex::Scratch::operator=(Scratch&& o) noexcept {
  std::swap(data_, o.data_);
  std::swap(context_, o.context_);
  std::swap(jit_stack_, o.jit_stack_);
  return *this;
}

CaptureRegex::~CaptureRegex() { pcre2_code_free(code_); }

Result<std::shared_ptr<const CaptureRegex>> CaptureRegex::compile(std::string_view pattern) {
  int err = 0;
  PCRE2_SIZE offset = 0;
  // Bytes, not UTF-8: a body need not be valid UTF-8, and a capture is bytes.
  pcre2_code* code =
      pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), 0, &err, &offset, nullptr);
  if (!code) {
    PCRE2_UCHAR msg[256];
    if (pcre2_get_error_message(err, msg, sizeof msg) < 0) msg[0] = 0;
    return make_error(ErrorKind::usage, "bad regex at offset " + std::to_string(offset) + ": " +
                                            reinterpret_cast<const char*>(msg));
  }
  std::shared_ptr<CaptureRegex> re(new CaptureRegex());
  re->code_ = code;
  uint32_t groups = 0;
  pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &groups);
  if (groups > 1)
    return make_error(ErrorKind::usage, "at most one capturing group (its match is the value), found " +
                                            std::to_string(groups) + " (use (?:...) for grouping)");
  re->group_ = groups == 1;
  // Complete and partial modes, since a truncated body is searched with PCRE2_PARTIAL_HARD. When the JIT
  // is unavailable (or the pattern says (*NO_JIT)) pcre2_match interprets, under the same bounds.
  (void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE | PCRE2_JIT_PARTIAL_HARD);
  return std::shared_ptr<const CaptureRegex>(std::move(re));
}

CaptureRegex::Outcome CaptureRegex::search(Scratch& scratch, std::string_view subject, bool more_follows,
                                           std::string_view& value) const {
  value = {};
  if (!scratch.data_ || !scratch.context_) return Outcome::limit;  // out of memory when the thread started
  uint32_t options = more_follows ? PCRE2_PARTIAL_HARD : 0;
  // An empty subject still needs a valid pointer.
  auto* text = reinterpret_cast<PCRE2_SPTR>(subject.data() ? subject.data() : "");
  int rc = pcre2_match(code_, text, subject.size(), 0, options, scratch.data_, scratch.context_);
  if (rc == PCRE2_ERROR_NOMATCH) return Outcome::no_match;
  if (rc == PCRE2_ERROR_PARTIAL) return Outcome::truncated;
  if (rc < 0) return Outcome::limit;  // match, heap or JIT stack limit (no other error is possible here)
  PCRE2_SIZE* ov = pcre2_get_ovector_pointer(scratch.data_);
  int pair = group_ ? 1 : 0;
  if (rc <= pair) return Outcome::no_match;  // the group did not take part
  PCRE2_SIZE from = ov[2 * pair], to = ov[2 * pair + 1];
  if (from == PCRE2_UNSET || to == PCRE2_UNSET || from > to || to > subject.size()) return Outcome::no_match;
  value = subject.substr(from, to - from);
  return Outcome::match;
}

}  // namespace loadprof::load
