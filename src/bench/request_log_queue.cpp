// The request log's way from the driver into the capture (request_log_queue.h).
#include "request_log_queue.h"

#include <algorithm>
#include <limits>

namespace loadprof::bench::detail {

capture::RequestRecord to_capture(const load::RequestRecord& r) {
  capture::RequestRecord c;
  c.intended_start_ns = static_cast<uint64_t>(std::max<int64_t>(r.intended_ns, 0));
  c.actual_start_ns = static_cast<uint64_t>(std::max<int64_t>(r.start_ns, 0));
  c.connect_ns = static_cast<uint64_t>(std::max<int64_t>(r.connect_ns, 0));
  c.first_byte_ns = static_cast<uint64_t>(std::max<int64_t>(r.first_byte_ns, 0));
  c.end_ns = static_cast<uint64_t>(std::max<int64_t>(r.end_ns, 0));
  c.status = r.status;
  c.error_class = static_cast<uint8_t>(r.error);
  c.bytes = static_cast<uint32_t>(std::min<uint64_t>(r.bytes_in, std::numeric_limits<uint32_t>::max()));
  c.connection_id = r.connection_id;
  c.local_port = r.local_port;
  c.stage = r.stage;
  c.step = static_cast<uint16_t>(std::min<uint32_t>(r.scenario_step, std::numeric_limits<uint16_t>::max()));
  return c;
}

void RequestLogQueue::consume(std::span<const load::RequestRecord> records) {
  std::lock_guard<std::mutex> lock(mutex_);
  size_t room = pending_.size() < max_records_ ? max_records_ - pending_.size() : 0;
  size_t take = std::min(room, records.size());
  for (size_t i = 0; i < take; ++i) pending_.push_back(to_capture(records[i]));
  dropped_ += records.size() - take;
  received_ += records.size();
}

void RequestLogQueue::drain_into(capture::CaptureWriter& writer) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    spare_.swap(pending_);
  }
  for (const auto& r : spare_) writer.add_request(r);
  std::lock_guard<std::mutex> lock(mutex_);
  written_ += spare_.size();
  spare_.clear();
}

uint64_t RequestLogQueue::written() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return written_;
}

uint64_t RequestLogQueue::received() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return received_;
}

uint64_t RequestLogQueue::dropped() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return dropped_;
}

}  // namespace loadprof::bench::detail
