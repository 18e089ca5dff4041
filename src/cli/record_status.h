// The status line of `loadprof record` on a terminal: targets, elapsed time,
// samples, lost, and how to stop, redrawn in place (\r) about once a second
// on stderr. Absent when stderr is not a terminal (piped, redirected). When
// a launched command holds the terminal (its output would run through a
// redrawn line), one line says how Ctrl-C works instead, and nothing is redrawn.
#pragma once

#include <string>

#include "loadprof/record/recorder.h"

namespace loadprof::cli {

class RecordStatusLine {
 public:
  // fd: where to draw (stderr); targets: "pid 1234,5678" or "'./server'".
  RecordStatusLine(int fd, std::string targets);
  ~RecordStatusLine();  // erases a line still drawn
  bool active() const { return tty_; }
  void update(const record::RecordProgress& progress);
  void clear();

  // The text of one status line (tests; no terminal needed).
  static std::string text(const std::string& targets, const record::RecordProgress& progress);

 private:
  void write_all(const std::string& s);
  int fd_;
  bool tty_;
  std::string targets_;
  bool drawn_ = false;
  bool said_terminal_ = false;
};

// One line on where the recorder's own CPU went (printed with -v):
// "recorder CPU 312.4 ms: open 31.2, attach 8.0, ... ms; first second 190.0 ms, then 2.41 ms/s; ..."
std::string recorder_cost_text(const record::RecorderCost& cost);

}  // namespace loadprof::cli
