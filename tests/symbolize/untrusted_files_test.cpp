// Files a target names are not trusted (the recorder runs as root): a FIFO at
// the perf map path or in place of a library or debug file must not block
// symbolization, a symlink to /dev/zero must not be followed, a perf map owned
// by another user is refused, a huge one is capped, and a container's files
// are read through its own root. Each symbolization runs in a forked child
// with a deadline and an address-space limit, so the old behaviour (block
// forever, read /dev/zero until memory runs out) fails the test instead of
// hanging or exhausting the machine.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <exception>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "fixture_process.h"
#include "loadprof/symbolize/symbolizer.h"

namespace loadprof::symbolize {
namespace {

constexpr uint64_t kAnonStart = 0x7f0000000000;
constexpr uint64_t kAnonEnd = 0x7f0000100000;
constexpr int kDeadlineMs = 10'000;

// A process to symbolize for: `sleep` as root, or under argv of our choice.
class Target {
 public:
  explicit Target(std::vector<std::string> argv = {"sleep", "120"}) {
    pid_ = fork();
    if (pid_ == 0) {
      std::vector<char*> args;
      for (auto& a : argv) args.push_back(a.data());
      args.push_back(nullptr);
      execvp(args[0], args.data());
      _exit(127);
    }
  }
  ~Target() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
};

struct Outcome {
  bool timed_out = false;
  bool crashed = false;
  std::string function;
  uint64_t refused = 0;
  uint64_t truncated = 0;
  std::string warnings;
  long max_rss_kib = 0;
  int64_t elapsed_ms = 0;
};

// The child's part: symbolize and write the outcome to fd.
void symbolize_and_report(uint32_t pid, uint64_t ip, const std::vector<capture::Mapping>& maps,
                          const SymbolizerOptions& options, int fd) {
  auto s = Symbolizer::create(options);
  if (maps.empty()) {
    capture::Mapping m;
    m.pid = pid;
    m.start = kAnonStart;
    m.end = kAnonEnd;
    m.path = "//anon";
    m.executable = true;
    s->add_mapping(m);
  }
  for (const auto& m : maps) s->add_mapping(m);
  std::vector<capture::Frame> frames;
  s->symbolize_user(pid, 10, ip, false, frames);
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  std::ostringstream out;
  out << (frames.empty() ? std::string("(none)") : frames.back().function) << "\n"
      << s->stats().perf_maps_refused << "\n"
      << s->stats().perf_maps_truncated << "\n"
      << ru.ru_maxrss << "\n";
  for (const auto& w : s->take_warnings()) out << w << "\n";
  std::string text = out.str();
  (void)!write(fd, text.data(), text.size());
}

// Symbolizes ip of pid (the anonymous region above, or the given mappings)
// in a forked child limited to 1 GiB of address space; kills it at the deadline.
Outcome symbolize_in_child(uint32_t pid, uint64_t ip, const std::vector<capture::Mapping>& maps = {},
                           SymbolizerOptions options = {}) {
  int fds[2];
  if (pipe(fds) != 0) return {};
  auto started = std::chrono::steady_clock::now();
  pid_t child = fork();
  if (child == 0) {
    close(fds[0]);
    rlimit as{1ull << 30, 1ull << 30};
    setrlimit(RLIMIT_AS, &as);
    // Never back into gtest from the child (out of memory is a crash here).
    std::set_terminate([] { _exit(3); });
    try {
      symbolize_and_report(pid, ip, maps, options, fds[1]);
    } catch (...) {
      _exit(3);
    }
    _exit(0);
  }
  close(fds[1]);
  Outcome o;
  std::string text;
  auto deadline = started + std::chrono::milliseconds(kDeadlineMs);
  for (;;) {
    auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      o.timed_out = true;
      kill(child, SIGKILL);
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char buf[4096];
    ssize_t n = read(fds[0], buf, sizeof buf);
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  close(fds[0]);
  int status = 0;
  waitpid(child, &status, 0);
  o.elapsed_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started)
          .count();
  if (o.timed_out) return o;
  o.crashed = !WIFEXITED(status) || WEXITSTATUS(status) != 0;
  std::istringstream in(text);
  std::getline(in, o.function);
  in >> o.refused >> o.truncated >> o.max_rss_kib;
  in.ignore();
  std::ostringstream rest;
  rest << in.rdbuf();
  o.warnings = rest.str();
  return o;
}

std::string perf_map_path(pid_t pid) { return "/tmp/perf-" + std::to_string(pid) + ".map"; }

class PerfMapFile {
 public:
  explicit PerfMapFile(pid_t pid) : path_(perf_map_path(pid)) { std::filesystem::remove(path_); }
  ~PerfMapFile() { std::filesystem::remove(path_); }
  const std::string& path() const { return path_; }
  void write(const std::string& text, uid_t owner = 0) {
    std::ofstream(path_) << text;
    ASSERT_EQ(chown(path_.c_str(), owner, owner), 0);
  }

 private:
  std::string path_;
};

#define REQUIRE_ROOT()                                                      \
  do {                                                                      \
    if (geteuid() != 0) GTEST_SKIP() << "needs root (chown, mount, FIFOs)"; \
  } while (0)

TEST(SymbolizeUntrusted, PerfMapOfTheTargetsUserResolves) {
  REQUIRE_ROOT();
  Target target;
  PerfMapFile map(target.pid());
  map.write("7f0000001000 100 jitted_function\n");
  Outcome o = symbolize_in_child(target.pid(), kAnonStart + 0x1010);
  ASSERT_FALSE(o.timed_out);
  EXPECT_EQ(o.function, "jitted_function");
  EXPECT_EQ(o.refused, 0u);
}

TEST(SymbolizeUntrusted, FifoAtThePerfMapPathDoesNotBlock) {
  REQUIRE_ROOT();
  Target target;
  PerfMapFile map(target.pid());
  ASSERT_EQ(mkfifo(map.path().c_str(), 0666), 0);
  ASSERT_EQ(chown(map.path().c_str(), 65534, 65534), 0);  // owned by nobody
  Outcome o = symbolize_in_child(target.pid(), kAnonStart + 0x1010);
  ASSERT_FALSE(o.timed_out) << "symbolization blocked on the FIFO";
  EXPECT_LT(o.elapsed_ms, 2000);
  EXPECT_EQ(o.function, "[anon]+0x1010");
  EXPECT_EQ(o.refused, 1u);
  EXPECT_NE(o.warnings.find("FIFO"), std::string::npos) << o.warnings;
}

TEST(SymbolizeUntrusted, SymlinkToDevZeroIsRefused) {
  REQUIRE_ROOT();
  Target target;
  PerfMapFile map(target.pid());
  std::filesystem::create_symlink("/dev/zero", map.path());
  Outcome o = symbolize_in_child(target.pid(), kAnonStart + 0x1010);
  ASSERT_FALSE(o.timed_out) << "symbolization kept reading /dev/zero";
  ASSERT_FALSE(o.crashed) << "symbolization ran out of memory reading /dev/zero";
  EXPECT_EQ(o.function, "[anon]+0x1010");
  EXPECT_EQ(o.refused, 1u);
  EXPECT_NE(o.warnings.find("symbolic link"), std::string::npos) << o.warnings;
  EXPECT_LT(o.max_rss_kib, 64 * 1024);
}

TEST(SymbolizeUntrusted, PerfMapOwnedByAnotherUserIsRefused) {
  REQUIRE_ROOT();
  Target target;  // runs as root
  PerfMapFile map(target.pid());
  map.write("7f0000001000 100 planted_function\n", 65534);
  Outcome o = symbolize_in_child(target.pid(), kAnonStart + 0x1010);
  ASSERT_FALSE(o.timed_out);
  EXPECT_EQ(o.function, "[anon]+0x1010");
  EXPECT_EQ(o.refused, 1u);
  EXPECT_NE(o.warnings.find("owned by uid 65534"), std::string::npos) << o.warnings;
}

TEST(SymbolizeUntrusted, PerfMapOwnedByTheTargetsOwnUserIsRead) {
  REQUIRE_ROOT();
  // setpriv drops to nobody before exec: the target's uid is 65534.
  Target target({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "sleep", "120"});
  for (int i = 0; i < 200; ++i) {  // until the exec'ed sleep runs as nobody
    struct stat st {};
    if (stat(("/proc/" + std::to_string(target.pid())).c_str(), &st) == 0 && st.st_uid == 65534) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  PerfMapFile map(target.pid());
  map.write("7f0000001000 100 own_jit_function\n", 65534);
  Outcome o = symbolize_in_child(target.pid(), kAnonStart + 0x1010);
  ASSERT_FALSE(o.timed_out);
  EXPECT_EQ(o.function, "own_jit_function");
  EXPECT_EQ(o.refused, 0u);
}

TEST(SymbolizeUntrusted, OversizePerfMapIsCappedAndCounted) {
  REQUIRE_ROOT();
  Target target;
  PerfMapFile map(target.pid());
  map.write("7f0000001000 100 early_function\n");
  {
    // A sparse file: 80 MiB of holes (NUL bytes, no newline) and then a
    // line beyond the cap.
    int fd = open(map.path().c_str(), O_WRONLY);
    ASSERT_GE(fd, 0);
    std::string late = "\n7f0000002000 100 late_function\n";
    ASSERT_EQ(pwrite(fd, late.data(), late.size(), 80ll << 20), static_cast<ssize_t>(late.size()));
    close(fd);
  }
  Outcome early = symbolize_in_child(target.pid(), kAnonStart + 0x1010);
  ASSERT_FALSE(early.timed_out);
  EXPECT_EQ(early.function, "early_function");
  EXPECT_EQ(early.truncated, 1u);
  EXPECT_NE(early.warnings.find("only the first 64 MiB"), std::string::npos) << early.warnings;
  Outcome late = symbolize_in_child(target.pid(), kAnonStart + 0x2010);
  ASSERT_FALSE(late.timed_out);
  EXPECT_EQ(late.function, "[anon]+0x2010");
  EXPECT_EQ(late.truncated, 1u);
}

// A zombie (exited, not reaped) has no root or mount namespace to read any
// more: what the symbolizer noted while it lived (its first mapping) still
// lets its perf map and files be read from the host's tree it shared.
TEST(SymbolizeUntrusted, ZombieTargetStillResolvesWhatWasSeenAlive) {
  REQUIRE_ROOT();
  int go[2];
  ASSERT_EQ(pipe(go), 0);
  pid_t target = fork();
  if (target == 0) {
    close(go[1]);
    char c;
    (void)!read(go[0], &c, 1);
    _exit(0);
  }
  close(go[0]);
  PerfMapFile map(target);
  map.write("7f0000001000 100 jitted_before_exit\n");
  auto s = Symbolizer::create();
  capture::Mapping m;
  m.pid = static_cast<uint32_t>(target);
  m.start = kAnonStart;
  m.end = kAnonEnd;
  m.path = "//anon";
  s->add_mapping(m);  // alive here
  close(go[1]);       // now it exits; not reaped: a zombie
  std::string state;
  for (int i = 0; i < 500 && state != "Z"; ++i) {
    std::ifstream stat("/proc/" + std::to_string(target) + "/stat");
    std::string pid, comm;
    stat >> pid >> comm >> state;
    if (state != "Z") std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ASSERT_EQ(state, "Z");
  std::vector<capture::Frame> frames;
  s->symbolize_user(m.pid, 10, kAnonStart + 0x1010, false, frames);
  waitpid(target, nullptr, 0);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].function, "jitted_before_exit");
  EXPECT_EQ(s->stats().perf_maps_refused, 0u);
}

// A library path that is a FIFO (the process is gone or never mapped it, so
// only the path is left): libelf must never get it.
TEST(SymbolizeUntrusted, FifoInPlaceOfALibraryDoesNotBlock) {
  REQUIRE_ROOT();
  Target target;
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("loadprof-fifo-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::string lib = (dir / "libswapped.so").string();
  ASSERT_EQ(mkfifo(lib.c_str(), 0666), 0);
  capture::Mapping m;
  m.pid = static_cast<uint32_t>(target.pid());
  m.start = kAnonStart;
  m.end = kAnonEnd;
  m.path = lib;
  m.executable = true;
  Outcome o = symbolize_in_child(m.pid, kAnonStart + 0x1010, {m});
  std::filesystem::remove_all(dir);
  ASSERT_FALSE(o.timed_out) << "symbolization blocked opening a FIFO as an ELF file";
  EXPECT_EQ(o.function, "libswapped.so+0x1010");
}

// A stripped library whose .gnu_debuglink names a FIFO: the separate debug
// file is looked up by our callback, not by a blocking open() in libdwfl.
TEST(SymbolizeUntrusted, FifoInPlaceOfADebugFileDoesNotBlock) {
  REQUIRE_ROOT();
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("loadprof-dbgfifo-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::string lib = (dir / "liblinked.so").string();
  std::filesystem::copy_file(testing::fixture_library(), lib);
  ASSERT_EQ(
      std::system(("cd '" + dir.string() + "' && objcopy --only-keep-debug liblinked.so liblinked.debug" +
                   " && strip --strip-all liblinked.so" +
                   " && objcopy --add-gnu-debuglink=liblinked.debug liblinked.so && rm liblinked.debug")
                      .c_str()),
      0);
  ASSERT_EQ(mkfifo((dir / "liblinked.debug").c_str(), 0666), 0);
  testing::FixtureProcess fixture(lib);
  ASSERT_TRUE(fixture.ready());
  SymbolizerOptions options;
  options.debuginfo_path = ":.debug";
  Outcome o = symbolize_in_child(static_cast<uint32_t>(fixture.pid()), fixture.address("lib_work"),
                                 fixture.maps(0), options);
  std::filesystem::remove_all(dir);
  ASSERT_FALSE(o.timed_out) << "libdwfl blocked opening the FIFO debug file";
  EXPECT_EQ(o.function, "libns::lib_work(int)");  // from .dynsym, without the debug file
}

// A container: the target's /tmp is its own tmpfs and it is pid 1 of its pid
// namespace; its perf map is /proc/PID/root/tmp/perf-1.map, which the host's
// /tmp does not have.
TEST(SymbolizeUntrusted, PerfMapIsReadInTheTargetsMountAndPidNamespace) {
  REQUIRE_ROOT();
  Target launcher({"unshare", "--mount", "--pid", "--fork", "--propagation", "private", "sh", "-c",
                   "mount -t tmpfs none /tmp && exec sleep 120"});
  // The target is unshare's child, once it runs sleep.
  pid_t pid = 0;
  for (int i = 0; i < 300 && pid == 0; ++i) {
    std::ifstream children("/proc/" + std::to_string(launcher.pid()) + "/task/" +
                           std::to_string(launcher.pid()) + "/children");
    pid_t child = 0;
    if (children >> child) {
      std::ifstream comm("/proc/" + std::to_string(child) + "/comm");
      std::string name;
      if (comm >> name && name == "sleep") pid = child;
    }
    if (pid == 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_GT(pid, 0) << "unshare did not start sleep";
  std::string inside = "/proc/" + std::to_string(pid) + "/root/tmp/perf-1.map";
  std::ofstream(inside) << "7f0000001000 100 container_jit\n";
  ASSERT_TRUE(std::filesystem::exists(inside));
  PerfMapFile host_map(pid);  // the host's /tmp has another map under the host pid
  host_map.write("7f0000001000 100 host_file\n");
  Outcome o = symbolize_in_child(static_cast<uint32_t>(pid), kAnonStart + 0x1010);
  kill(pid, SIGKILL);  // pid 1 of its namespace: killing unshare alone would leave it
  ASSERT_FALSE(o.timed_out);
  EXPECT_EQ(o.function, "container_jit");
}

}  // namespace
}  // namespace loadprof::symbolize
