// The request log: one fixed-size record per request, written by the driver
// threads into their own single-producer rings and handed in batches to a
// sink on a separate thread. A full ring drops the record and counts it; the
// driver never waits for the sink. `bench` connects a sink that writes the
// capture; tests use a sink that keeps everything.
#pragma once

#include <cstdint>
#include <span>

namespace loadprof::load {

// expect: a scenario step's expectation or capture failed (the response itself was fine).
enum class ErrorClass : uint8_t { none = 0, connect, timeout, reset, read, status_4xx, status_5xx, expect };
inline constexpr int kErrorClassCount = 8;
const char* error_class_name(ErrorClass c);  // "connect", "timeout", ..., "4xx", "5xx", "expect"

struct RequestRecord {
  int64_t intended_ns = 0;     // CLOCK_MONOTONIC: when the schedule wanted it sent
  int64_t start_ns = 0;        // when it was actually sent (or the connect began)
  int64_t connect_ns = 0;      // time spent connecting for this request (0 on a reused connection)
  int64_t first_byte_ns = 0;   // first response byte (0 when none arrived)
  int64_t end_ns = 0;          // response complete or error
  uint64_t bytes_in = 0;       // response bytes received
  uint32_t bytes_out = 0;      // request bytes sent
  uint32_t connection_id = 0;  // unique within a run
  uint16_t status = 0;         // HTTP status, 0 when no response
  uint16_t local_port = 0;
  uint16_t stage = 0;          // stage index; 0xFFFF for warmup
  ErrorClass error = ErrorClass::none;
  uint8_t worker = 0;
  uint32_t scenario_step = 0;  // scenarios: index of the step in the scenario's steps
};

class RequestSink {
 public:
  virtual ~RequestSink() = default;
  // Called on the log thread, never on a driver thread, with records in each
  // thread's order. The span is only valid during the call.
  virtual void consume(std::span<const RequestRecord> records) = 0;
};

}  // namespace loadprof::load
