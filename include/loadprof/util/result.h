// Errors as values: Result<T> holds a T or an Error with a kind that the CLI
// maps to an exit code (SPEC.md, "Exit codes"). Exceptions do not cross module
// boundaries.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace loadprof {

enum class ErrorKind {
  usage,          // bad flag, bad value, malformed input given on the command line (exit 2)
  corrupt_input,  // unreadable or corrupt file (exit 2)
  not_available,  // a contract feature not built yet (exit 2)
  permission,     // missing root / CAP_BPF / CAP_PERFMON (exit 3)
  target_gone,    // PID absent, host unresolvable, connection refused, exec failed (exit 4)
  io,             // an I/O failure while running (exit 2)
  internal,       // a bug or an unexpected system failure (exit 2)
};

struct Error {
  ErrorKind kind = ErrorKind::internal;
  std::string message;

  // Prefixes context: Error{...}.context("open x.lpc") -> "open x.lpc: <msg>".
  Error context(const std::string& what) const& { return {kind, what + ": " + message}; }
};

[[nodiscard]] inline Error make_error(ErrorKind kind, std::string message) {
  return Error{kind, std::move(message)};
}
// Error from errno: "<what>: <strerror(errno)>".
[[nodiscard]] Error errno_error(ErrorKind kind, const std::string& what, int err);

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { assert(ok()); return std::get<0>(v_); }
  const T& value() const& { assert(ok()); return std::get<0>(v_); }
  // By value: `for (auto& x : f().value())` must not dangle into a dead temporary.
  T value() && { assert(ok()); return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const { assert(!ok()); return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)) {}
  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const { assert(!ok()); return *error_; }

 private:
  std::optional<Error> error_;
};

}  // namespace loadprof

// Propagates an error: LOADPROF_TRY(x, expr) declares `x` from a Result or returns its error.
#define LOADPROF_CONCAT_(a, b) a##b
#define LOADPROF_CONCAT(a, b) LOADPROF_CONCAT_(a, b)
#define LOADPROF_TRY(var, expr)                                   \
  auto LOADPROF_CONCAT(res_, __LINE__) = (expr);                  \
  if (!LOADPROF_CONCAT(res_, __LINE__).ok())                      \
    return LOADPROF_CONCAT(res_, __LINE__).error();               \
  auto var = std::move(LOADPROF_CONCAT(res_, __LINE__)).value()
#define LOADPROF_CHECK(expr)                                      \
  do {                                                            \
    auto res_check_ = (expr);                                     \
    if (!res_check_.ok()) return res_check_.error();              \
  } while (0)
