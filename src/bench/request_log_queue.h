// Internal to bench: the request log's way into the capture. The load
// driver's log thread hands batches to consume(); the recorder's thread takes
// them at each flush and writes them (the capture writer has one thread). The
// queue holds at most a bound of records: beyond it, records are counted as
// dropped, never waited for.
#pragma once

#include <cstdint>
#include <mutex>
#include <span>
#include <vector>

#include "loadprof/capture/model.h"
#include "loadprof/capture/writer.h"
#include "loadprof/load/request_log.h"

namespace loadprof::bench::detail {

capture::RequestRecord to_capture(const load::RequestRecord& r);

class RequestLogQueue : public load::RequestSink {
 public:
  explicit RequestLogQueue(size_t max_records) : max_records_(max_records) {}
  void consume(std::span<const load::RequestRecord> records) override;
  // On the recorder's thread: writes every queued record.
  void drain_into(capture::CaptureWriter& writer);
  uint64_t written() const;
  uint64_t dropped() const;
  uint64_t received() const;  // every record handed over, dropped ones included

 private:
  const size_t max_records_;
  mutable std::mutex mutex_;
  std::vector<capture::RequestRecord> pending_;
  std::vector<capture::RequestRecord> spare_;  // the recorder thread's, swapped in under the lock
  uint64_t written_ = 0;
  uint64_t dropped_ = 0;
  uint64_t received_ = 0;
};

}  // namespace loadprof::bench::detail
