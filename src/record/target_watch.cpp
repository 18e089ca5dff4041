// Target states from /proc/PID/stat and /proc/PID/task/*/stat, and the
// warnings worded from them.
#include "target_watch.h"

#include <dirent.h>
#include <signal.h>
#include <string.h>

#include <cstdio>

#include "loadprof/util/procfs.h"

namespace loadprof::record {
namespace {

constexpr uint64_t kPfKthread = 0x00200000;  // include/linux/sched.h
constexpr uint32_t kMaxThreadsRead = 512;    // a check stays cheap on a process with many threads

std::string seconds(uint64_t ns) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f s", static_cast<double>(ns) / 1e9);
  return b;
}

std::string who(uint32_t pid, const std::string& command) {
  return "pid " + std::to_string(pid) + (command.empty() ? "" : " (" + command + ")");
}

void count_state(char state, TargetSnapshot& s) {
  ++s.threads;
  switch (state) {
    case 'R':
      ++s.running;
      break;
    case 'D':
      ++s.disk;
      break;
    case 'T':
    case 't':
      ++s.stopped;
      break;
    case 'Z':
    case 'X':
      ++s.zombie;
      break;
    default:
      ++s.sleeping;  // S, I, and anything newer
  }
}

TargetSnapshot read_snapshot(uint32_t pid) {
  TargetSnapshot s;
  auto stat = procfs::read(static_cast<pid_t>(pid), "stat");
  char state = 0;
  uint64_t flags = 0;
  if (!stat.ok() || !parse_stat_state(*stat, &state, &flags)) {
    s.gone = true;
    return s;
  }
  s.kernel_thread = (flags & kPfKthread) != 0;
  const std::string dir = "/proc/" + std::to_string(pid) + "/task";
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
      if (s.threads >= kMaxThreadsRead) break;
      auto t = procfs::read(static_cast<pid_t>(pid), std::string("task/") + e->d_name + "/stat");
      char ts = 0;
      uint64_t tf = 0;
      if (t.ok() && parse_stat_state(*t, &ts, &tf)) count_state(ts, s);
    }
    closedir(d);
  }
  if (s.threads == 0) count_state(state, s);
  if (state == 'Z' || state == 'X') s.gone = s.threads == s.zombie;
  return s;
}

}  // namespace

bool parse_stat_state(std::string_view text, char* state, uint64_t* flags) {
  size_t close = text.rfind(')');
  if (close == std::string_view::npos || close + 2 >= text.size()) return false;
  std::string_view rest = text.substr(close + 2);
  *state = rest[0];
  // Fields after the state: ppid pgrp session tty_nr tpgid flags.
  size_t pos = 0;
  for (int field = 0; field < 6; ++field) {
    pos = rest.find(' ', pos);
    if (pos == std::string_view::npos) return false;
    ++pos;
  }
  uint64_t v = 0;
  bool any = false;
  for (; pos < rest.size() && rest[pos] >= '0' && rest[pos] <= '9'; ++pos, any = true)
    v = v * 10 + static_cast<uint64_t>(rest[pos] - '0');
  if (!any) return false;
  *flags = v;
  return true;
}

void TargetWatch::add(uint32_t pid, std::string command, bool launched) {
  Root r;
  r.pid = pid;
  r.command = std::move(command);
  r.launched = launched;
  roots_.push_back(std::move(r));
}

void TargetWatch::check(uint64_t now_ns, bool launched_too) {
  for (auto& r : roots_)
    if (!r.gone && (launched_too || !r.launched)) observe(r.pid, read_snapshot(r.pid), now_ns);
}

void TargetWatch::observe(uint32_t pid, const TargetSnapshot& s, uint64_t now_ns) {
  for (auto& r : roots_) {
    if (r.pid != pid || r.gone) continue;
    if (s.gone) {
      r.gone = true;
      r.gone_ns = now_ns;
      return;
    }
    ++r.checks;
    r.kernel_thread |= s.kernel_thread;
    if (s.running == 0 && s.disk == 0) ++r.idle_checks;
    if (s.threads > 0 && s.stopped == s.threads) {
      if (++r.stopped_checks == 1) r.stopped_first_ns = now_ns;
      r.stopped_last_ns = now_ns;
    }
    r.last = s;
  }
}

std::vector<std::string> TargetWatch::notes(
    uint64_t samples, uint64_t start_ns, uint64_t stopped_ns, const capture::EndInfo& end,
    const std::function<const capture::Process*(uint32_t)>& process) const {
  std::vector<std::string> out;
  const uint64_t span_ns = end.end_ns > start_ns ? end.end_ns - start_ns : 0;
  if (samples == 0) {
    for (const auto& r : roots_) {
      std::string why;
      const capture::Process* p = process ? process(r.pid) : nullptr;
      const std::string name = who(r.pid, p && !p->command.empty() ? p->command : r.command);
      if (r.kernel_thread) {
        why = name +
              " is a kernel thread: it has no user space (no user stacks to sample), and it was not on "
              "a CPU when the samples were taken";
      } else if (r.checks == 0) {
        why = name + " was gone before it could be sampled";
      } else if (r.stopped_checks == r.checks) {
        why = name +
              " was stopped (state T: SIGSTOP, Ctrl-Z or a debugger) the whole time: a stopped process "
              "takes no CPU time (continue it with kill -CONT " +
              std::to_string(r.pid) + ")";
      } else if (r.idle_checks == r.checks) {
        why = name + " was idle: its " + std::to_string(r.last.threads) + " thread" +
              (r.last.threads == 1 ? " was" : "s were") +
              (r.stopped_checks ? " sleeping or stopped" : " sleeping") +
              " at every check, and a sleeping process takes no CPU time for the cpu probe to "
              "sample; record it while it works (put load on it)";
      } else {
        why = name + " was running at " + std::to_string(r.checks - r.idle_checks) + " of " +
              std::to_string(r.checks) + " checks, yet no sample of it was kept (see the lost counts)";
      }
      out.push_back("no CPU samples were recorded: " + why);
    }
  }
  for (const auto& r : roots_) {
    const capture::Process* p = process ? process(r.pid) : nullptr;
    const std::string name = who(r.pid, p && !p->command.empty() ? p->command : r.command);
    if (p && p->exit_ns && *p->exit_ns >= start_ns && *p->exit_ns < stopped_ns) {
      const uint64_t at = *p->exit_ns - start_ns;
      const uint64_t stopped_at = stopped_ns - start_ns;
      const bool ended_it =
          end.target_exited_ns.has_value() && stopped_at - std::min(stopped_at, at) < 500'000'000;
      const bool by_user = end.interrupted;  // Ctrl-C ended it: the user's doing
      const bool crashed = p->exit_signal && *p->exit_signal != SIGINT && *p->exit_signal != SIGTERM;
      std::string how = p->exit_signal
                            ? std::string("was killed by signal ") + std::to_string(*p->exit_signal) + " (" +
                                  strsignal(*p->exit_signal) + ")"
                        : p->exit_code ? "exited with status " + std::to_string(*p->exit_code)
                                       : std::string("exited");
      if (by_user && !crashed) continue;
      if (!ended_it) {
        out.push_back(name + " " + how + " at " + seconds(at) + " of the " + seconds(span_ns) +
                      " recording: the rest of the capture has no samples of it");
      } else if (!r.launched || crashed) {
        // An attached service that went away, or a command that crashed: not the normal end of a run.
        out.push_back(name + " " + how + " at " + seconds(at) + " into the recording, which ended with it" +
                      (r.launched ? "" : " (an attached target is expected to outlive the recording)"));
      }
    }
    // (An empty capture of a process stopped throughout already said so above.)
    if (r.stopped_checks >= 2 && !(samples == 0 && r.stopped_checks == r.checks)) {
      out.push_back(name + " was stopped (state T: SIGSTOP, Ctrl-Z or a debugger) from " +
                    seconds(r.stopped_first_ns - std::min(r.stopped_first_ns, start_ns)) + " to " +
                    seconds(r.stopped_last_ns - std::min(r.stopped_last_ns, start_ns)) +
                    ": it took no CPU time then");
    }
  }
  return out;
}

}  // namespace loadprof::record
