// Off-CPU reasons from the kernel stack at switch-out.
#include "offcpu_classify.h"

#include <array>

namespace loadprof::collect {
namespace {

using capture::OffCpuReason;

bool contains(std::string_view s, std::string_view part) { return s.find(part) != std::string_view::npos; }
bool starts(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// The reason one frame stands for, if any. Checked leaf first: the innermost
// frame that says something decides (a page fault inside a read is a page fault).
bool frame_reason(std::string_view f, OffCpuReason& out) {
  if (contains(f, "page_fault") || f == "handle_mm_fault" || f == "do_user_addr_fault" ||
      f == "filemap_fault" || f == "__do_fault") {
    out = OffCpuReason::page_fault;
  } else if (contains(f, "futex")) {
    out = OffCpuReason::lock;
  } else if (starts(f, "pipe_") || starts(f, "anon_pipe_") || f == "wait_for_partner") {
    out = OffCpuReason::pipe;
  } else if (starts(f, "sk_") || starts(f, "sock_") || starts(f, "tcp_") || starts(f, "udp_") ||
             starts(f, "inet_") || starts(f, "unix_") || starts(f, "__sys_recv") || starts(f, "__sys_send") ||
             starts(f, "__sys_accept") || starts(f, "__sys_connect") || contains(f, "skb_recv") ||
             starts(f, "__skb_wait")) {
    out = OffCpuReason::network;
  } else if (f == "io_schedule" || f == "io_schedule_timeout" || starts(f, "blk_") || starts(f, "ext4_") ||
             starts(f, "jbd2") || starts(f, "xfs_") || starts(f, "btrfs_") || contains(f, "fsync") ||
             contains(f, "fdatasync") || starts(f, "folio_wait") || starts(f, "__folio_lock") ||
             starts(f, "wait_on_page") || starts(f, "submit_bio") || f == "file_write_and_wait_range" ||
             starts(f, "filemap_fdatawait") || starts(f, "__filemap_fdatawait")) {
    out = OffCpuReason::disk;
  } else if (contains(f, "nanosleep") || f == "msleep" || starts(f, "__x64_sys_pause")) {
    // Not schedule_hrtimeout*: poll/epoll/select wait on events with it (other).
    out = OffCpuReason::sleep;
  } else {
    return false;
  }
  return true;
}

}  // namespace

std::string_view kernel_function_name(std::string_view text) {
  if (starts(text, "0x")) return text;
  const size_t end = text.find_first_of("+ ");
  return end == std::string_view::npos ? text : text.substr(0, end);
}

size_t offcpu_scheduler_frames(const std::vector<std::string>& fs) {
  for (size_t i = 0; i < fs.size(); ++i) {
    if (fs[i] == "__schedule") return i + 1;
  }
  size_t i = 0;
  while (i < fs.size() &&
         (starts(fs[i], "bpf_") || starts(fs[i], "__bpf") || starts(fs[i], "__traceiter") ||
          starts(fs[i], "__probestub") || contains(fs[i], "trace_call_bpf") || starts(fs[i], "0x"))) {
    ++i;
  }
  return i;
}

capture::OffCpuReason classify_offcpu(unsigned task_state, const std::vector<std::string>& fs) {
  if (task_state == 0) return OffCpuReason::runqueue;  // still runnable: preempted
  OffCpuReason reason = OffCpuReason::other;
  for (const auto& f : fs) {
    if (frame_reason(f, reason)) return reason;
  }
  return OffCpuReason::other;
}

}  // namespace loadprof::collect
