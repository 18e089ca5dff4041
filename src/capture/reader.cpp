// .lpc reader. Walks the chunk stream, verifies each header and payload
// checksum, decompresses and decodes known chunk types, skips unknown ones,
// and stops at the first damaged chunk, keeping everything before it.
// Garbage (no valid file header, or no complete chunk at all) is an error
// naming the offset; damage after at least one good chunk is a truncated read.
#include "loadprof/capture/reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <new>

#include "capture/bytes.h"
#include "capture/codec.h"
#include "capture/crc32c.h"
#include "capture/format.h"
#include "loadprof/util/fd.h"
#include "loadprof/util/units.h"

namespace loadprof::capture {
namespace {

Error corrupt(const std::string& what, uint64_t offset) {
  return make_error(ErrorKind::corrupt_input,
                    "not a readable loadprof capture: " + what + " at offset " + std::to_string(offset));
}

struct DctxDeleter {
  void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
};

// Parses the file header; returns its size.
Result<size_t> read_file_header(std::string_view bytes) {
  if (bytes.empty()) return corrupt("empty file", 0);
  size_t magic_len = std::min(bytes.size(), sizeof kMagic);
  if (std::memcmp(bytes.data(), kMagic, magic_len) != 0) return corrupt("bad magic (not an .lpc file)", 0);
  if (bytes.size() < kFileHeaderSize) return corrupt("file ends inside the file header", bytes.size());
  ByteReader r(bytes);
  r.skip(sizeof kMagic);
  uint8_t major = r.u8();
  uint16_t minor = r.u16le();
  uint16_t header_size = r.u16le();
  if (major != kFormatMajor) {
    return corrupt("unsupported format version " + std::to_string(major) + "." + std::to_string(minor) +
                       " (this reader knows " + std::to_string(kFormatMajor) + ".x)",
                   3);
  }
  if (header_size < kFileHeaderSize || header_size > kMaxFileHeaderSize) {
    return corrupt("bad file header size " + std::to_string(header_size), 6);
  }
  if (bytes.size() < header_size) return corrupt("file ends inside the file header", bytes.size());
  uint32_t stored_crc = ByteReader(bytes.substr(header_size - 4, 4)).u32le();
  if (crc32c(bytes.substr(0, header_size - 4)) != stored_crc) {
    return corrupt("file header checksum mismatch", header_size - 4);
  }
  return size_t(header_size);
}

bool is_event_chunk(uint16_t type) {
  switch (ChunkType(type)) {
    case ChunkType::cpu_samples:
    case ChunkType::offcpu:
    case ChunkType::io_events:
    case ChunkType::mmap_events:
    case ChunkType::cpu_accounting:
    case ChunkType::requests:
    case ChunkType::resources:
      return true;
    default:
      return false;
  }
}

constexpr uint64_t kSecondNs = 1'000'000'000;

// The in-memory size of one decoded record of a chunk type (with the index
// entry processes and threads also get; a drop counter is a map node).
uint64_t record_bytes(uint16_t type) {
  switch (ChunkType(type)) {
    case ChunkType::metadata:
      return sizeof(Metadata);
    case ChunkType::clock_sync:
      return sizeof(ClockSync);
    case ChunkType::processes:
      return sizeof(Process) + 48;
    case ChunkType::threads:
      return sizeof(Thread) + 48;
    case ChunkType::mappings:
      return sizeof(Mapping);
    case ChunkType::frames:
      return sizeof(Frame);
    case ChunkType::stacks:
      return sizeof(Stack);
    case ChunkType::cpu_samples:
      return sizeof(CpuSample);
    case ChunkType::offcpu:
      return sizeof(OffCpuInterval);
    case ChunkType::cpu_accounting:
      return sizeof(CpuAccounting);
    case ChunkType::requests:
      return sizeof(RequestRecord);
    case ChunkType::resources:
      return sizeof(ResourceSample);
    case ChunkType::sockets:
      return sizeof(SocketRecord);
    case ChunkType::offcpu_wakers:
      return sizeof(OffCpuWaker);
    case ChunkType::drops:
      return 128;
    case ChunkType::unwind:
      return sizeof(UnwindModule);
    case ChunkType::end:
      return sizeof(EndInfo);
    case ChunkType::load_run:
      return sizeof(LoadRun);
    case ChunkType::cpu_accounting_extra:
      return 0;  // joined into the accounting rows already counted; nothing kept of its own
    case ChunkType::stack_symbols:
      return 0;  // replaces the frame list of a stack already counted (its heap below)
    case ChunkType::io_events:
      return sizeof(IoSyscallRecord);  // the larger of its two records
    case ChunkType::allocations:
      return sizeof(AllocEvent);
    case ChunkType::mmap_events:
      return sizeof(MmapRecord);
    case ChunkType::load_histograms:
    case ChunkType::strings:
      return 64;  // reserved: skipped by this reader; a guess for when they decode
  }
  return 64;
}

// Heap bytes a record can hold per payload byte it came from: a string's
// bytes (its length prefix makes it one byte longer than its heap block
// less the allocator's header: at most 2x); a stack's frame list (a 4-byte
// id per varint of >= 1 byte); a metadata's probe list (a 32-byte string per
// >= 1-byte entry); a drop counter's map nodes (~120 bytes per >= 2-byte
// entry). Event records hold nothing on the heap.
uint64_t heap_bytes_per_payload_byte(uint16_t type) {
  switch (ChunkType(type)) {
    case ChunkType::metadata:
      return 34;
    case ChunkType::drops:
    case ChunkType::unwind:
      return 64;
    case ChunkType::stacks:
    case ChunkType::stack_symbols:
      return 4;
    case ChunkType::load_run:
      return 8;  // a stage span (16 bytes) per >= 2 payload bytes; strings take less
    case ChunkType::cpu_samples:
    case ChunkType::offcpu:
    case ChunkType::cpu_accounting:
    case ChunkType::requests:
    case ChunkType::resources:
    case ChunkType::clock_sync:
      return 0;
    default:
      return 2;
  }
}

// An upper estimate of what decoding a chunk costs: its records (every record
// takes at least one payload byte, so a header's count beyond the payload
// cannot be real), their heap, and the payload bytes decompressed.
uint64_t decoded_cost_bytes(uint16_t type, uint64_t record_count, uint64_t payload_bytes) {
  uint64_t records = std::min(record_count, payload_bytes) * record_bytes(type);
  return records + payload_bytes * (1 + heap_bytes_per_payload_byte(type));
}

class ChunkReader {
 public:
  ChunkReader(std::string_view bytes, const ReadOptions& options)
      : bytes_(bytes), options_(options), window_known_(!options.window_from_start) {
    dctx_.reset(ZSTD_createDCtx());
    bound_ = options.max_decoded_bytes != 0 ? options.max_decoded_bytes : decoded_bytes_bound(bytes.size());
  }

  Result<Capture> run() {
    LOADPROF_TRY(header_size, read_file_header(bytes_));
    uint64_t offset = header_size;
    while (offset < bytes_.size()) {
      std::string why;
      uint64_t next = 0;
      if (!read_chunk(offset, next, why)) {
        // Not damage to recover from: the file asks for more than its size
        // can honestly hold, and what came before it is suspect too.
        if (over_bound_) {
          Error e = corrupt(why, offset);
          e.message += "; if the capture is genuine, lift the bound with --max-memory SIZE or unlimited";
          return e;
        }
        if (complete_chunks() == 0) {
          return corrupt("no complete chunk: " + why, offset);
        }
        capture_.read_info.truncated = true;
        capture_.read_info.damage_offset = offset;
        capture_.read_info.damage = why;
        return std::move(capture_);
      }
      offset = next;
    }
    if (complete_chunks() == 0) {
      return corrupt("no chunk after the file header (file ends)", offset);
    }
    return std::move(capture_);
  }

 private:
  uint64_t complete_chunks() const {
    const ReadInfo& i = capture_.read_info;
    return i.chunks_read + i.chunks_skipped_unknown + i.chunks_skipped_window;
  }

  // Reads the chunk at `offset`; on success sets `next` to the following chunk.
  bool read_chunk(uint64_t offset, uint64_t& next, std::string& why) {
    std::string_view rest = bytes_.substr(offset);
    if (rest.size() < sizeof kChunkMarker) {
      why = "file ends inside a chunk header";
      return false;
    }
    if (std::memcmp(rest.data(), kChunkMarker, sizeof kChunkMarker) != 0) {
      why = "bad chunk marker";
      return false;
    }
    if (rest.size() < kChunkHeaderSize) {
      why = "file ends inside a chunk header";
      return false;
    }
    ByteReader r(rest);
    r.skip(sizeof kChunkMarker);
    ChunkHeader h;
    h.header_size = r.u16le();
    if (h.header_size < kChunkHeaderSize || h.header_size > kMaxChunkHeaderSize) {
      why = "bad chunk header size " + std::to_string(h.header_size);
      return false;
    }
    if (rest.size() < h.header_size) {
      why = "file ends inside a chunk header";
      return false;
    }
    h.type = r.u16le();
    h.flags = r.u32le();
    h.record_count = r.u32le();
    h.uncompressed_size = r.u32le();
    h.stored_size = r.u32le();
    h.time_min_ns = r.u64le();
    h.time_max_ns = r.u64le();
    h.payload_crc = r.u32le();
    // Header fields added by later minor versions sit between here and the CRC.
    uint32_t header_crc = ByteReader(rest.substr(h.header_size - 4, 4)).u32le();
    if (crc32c(rest.substr(0, h.header_size - 4)) != header_crc) {
      why = "chunk header checksum mismatch";
      return false;
    }
    uint64_t available = rest.size() - h.header_size;
    if (h.stored_size > available) {
      why = "file ends inside the payload of a " + std::string(chunk_type_name(h.type)) + " chunk (" +
            std::to_string(available) + " of " + std::to_string(h.stored_size) + " bytes)";
      return false;
    }
    std::string_view stored = rest.substr(h.header_size, h.stored_size);
    if (crc32c(stored) != h.payload_crc) {
      why = std::string(chunk_type_name(h.type)) + " chunk payload checksum mismatch";
      return false;
    }
    next = offset + h.header_size + h.stored_size;

    if (!chunk_type_known(h.type) || (h.flags & kChunkFlagsMustUnderstand & ~kChunkFlagsKnown) != 0) {
      ++capture_.read_info.chunks_skipped_unknown;
      return true;
    }
    if (windowed() && is_event_chunk(h.type) && !(h.time_min_ns == 0 && h.time_max_ns == 0) &&
        (h.time_max_ns < window_lo(h.type) || h.time_min_ns > options_.window_end_ns)) {
      ++capture_.read_info.chunks_skipped_window;  // checked intact above, never decompressed
      return true;
    }
    // The header's sizes first (damage), then what decoding would cost.
    if (h.flags & kChunkFlagZstd) {
      if (h.uncompressed_size > kMaxChunkPayloadBytes) {
        why = "chunk claims " + std::to_string(h.uncompressed_size) + " uncompressed bytes";
        return false;
      }
      unsigned long long frame_size = ZSTD_getFrameContentSize(stored.data(), stored.size());
      if (frame_size != h.uncompressed_size) {
        why = std::string(chunk_type_name(h.type)) + " chunk: zstd frame size does not match the header";
        return false;
      }
    } else if (h.uncompressed_size != h.stored_size) {
      why = "stored chunk with mismatched sizes";
      return false;
    }
    uint64_t cost = decoded_cost_bytes(h.type, h.record_count, h.uncompressed_size);
    uint64_t& decoded = capture_.read_info.decoded_bytes;
    if (cost > bound_ - std::min(bound_, decoded)) {
      over_bound_ = true;
      why = "a " + std::string(chunk_type_name(h.type)) + " chunk claims " + std::to_string(h.record_count) +
            " records in " + std::to_string(h.uncompressed_size) +
            " bytes: decoding would take more than the " + std::to_string(bound_) +
            " bytes of memory allowed for a " + std::to_string(bytes_.size()) + "-byte file";
      return false;
    }
    decoded += cost;
    std::string_view payload = stored;
    if (h.flags & kChunkFlagZstd) {
      try {
        buffer_.resize(h.uncompressed_size);
      } catch (const std::bad_alloc&) {
        why = "out of memory for a " + std::to_string(h.uncompressed_size) + "-byte chunk";
        return false;
      }
      size_t n =
          ZSTD_decompressDCtx(dctx_.get(), buffer_.data(), buffer_.size(), stored.data(), stored.size());
      if (ZSTD_isError(n) || n != h.uncompressed_size) {
        why = std::string(chunk_type_name(h.type)) +
              " chunk: zstd: " + (ZSTD_isError(n) ? ZSTD_getErrorName(n) : "short frame");
        return false;
      }
      payload = std::string_view(buffer_.data(), n);
    }
    std::string decode_why;
    DecodeStatus status = DecodeStatus::malformed;
    size_before_ = event_count(h.type);
    io_syscalls_before_ = capture_.io_syscalls.size();
    io_devices_before_ = capture_.io_devices.size();
    try {
      status = decode_chunk(h.type, payload, h.record_count, capture_, index_, decode_why);
    } catch (const std::bad_alloc&) {  // a crafted chunk may claim more than memory holds
      decode_why = "out of memory";
    }
    switch (status) {
      case DecodeStatus::ok:
        ++capture_.read_info.chunks_read;
        if (!window_known_ && ChunkType(h.type) == ChunkType::metadata) place_window();
        if (windowed() && is_event_chunk(h.type)) {
          apply_window(h.type);
          // Only the records kept stay in memory.
          uint64_t kept = event_count(h.type) - std::min(event_count(h.type), size_before_);
          decoded -= cost - std::min(cost, decoded_cost_bytes(h.type, kept, h.uncompressed_size));
        }
        return true;
      case DecodeStatus::unsupported_version:
        ++capture_.read_info.chunks_skipped_unknown;
        return true;
      case DecodeStatus::malformed:
        why = "malformed " + std::string(chunk_type_name(h.type)) + " chunk: " + decode_why;
        return false;
    }
    return false;
  }

  size_t event_count(uint16_t type) const {
    switch (ChunkType(type)) {
      case ChunkType::cpu_samples:
        return capture_.cpu_samples.size();
      case ChunkType::offcpu:
        return capture_.offcpu.size();
      case ChunkType::io_events:
        return capture_.io_syscalls.size() + capture_.io_devices.size();
      case ChunkType::allocations:
        return capture_.allocs.size();
      case ChunkType::mmap_events:
        return capture_.mmaps.size();
      case ChunkType::cpu_accounting:
        return capture_.cpu_accounting.size();
      case ChunkType::requests:
        return capture_.requests.size();
      case ChunkType::resources:
        return capture_.resources.size();
      default:
        return 0;
    }
  }

  bool windowed() const {
    return window_known_ && (options_.window_start_ns != 0 || options_.window_end_ns != UINT64_MAX);
  }

  // A window given from the capture's start becomes monotonic times once the
  // metadata says when that was.
  void place_window() {
    window_known_ = true;
    const uint64_t start = capture_.metadata.start_monotonic_ns;
    const auto shift = [start](uint64_t t) { return t > UINT64_MAX - start ? UINT64_MAX : t + start; };
    options_.window_start_ns = shift(options_.window_start_ns);
    if (options_.window_end_ns != UINT64_MAX) options_.window_end_ns = shift(options_.window_end_ns);
  }

  // Accounting rows are stamped with the start of their second: a row touches
  // the window when its second does.
  uint64_t window_lo(uint16_t type) const {
    if (ChunkType(type) != ChunkType::cpu_accounting) return options_.window_start_ns;
    return options_.window_start_ns >= kSecondNs ? options_.window_start_ns - kSecondNs + 1 : 0;
  }

  bool overlaps(uint64_t lo, uint64_t hi) const {
    return hi >= options_.window_start_ns && lo <= options_.window_end_ns;
  }

  // Drops the records of the chunk just decoded that lie outside the window
  // (they were appended at the end of their vector).
  template <class T, class Keep>
  void keep_tail(std::vector<T>& records, size_t from, Keep keep) {
    from = std::min(from, records.size());
    records.erase(std::remove_if(records.begin() + from, records.end(), [&](const T& r) { return !keep(r); }),
                  records.end());
  }
  void apply_window(uint16_t type) {
    switch (ChunkType(type)) {
      case ChunkType::cpu_samples:
        keep_tail(capture_.cpu_samples, size_before_,
                  [&](const CpuSample& s) { return overlaps(s.time_ns, s.time_ns); });
        break;
      case ChunkType::offcpu:
        keep_tail(capture_.offcpu, size_before_, [&](const OffCpuInterval& o) {
          return overlaps(o.start_ns, std::max(o.start_ns, o.end_ns));
        });
        break;
      case ChunkType::io_events:
        keep_tail(capture_.io_syscalls, io_syscalls_before_, [&](const IoSyscallRecord& r) {
          return overlaps(r.start_ns, std::max(r.start_ns, r.end_ns));
        });
        keep_tail(capture_.io_devices, io_devices_before_, [&](const IoDeviceRecord& r) {
          return overlaps(r.start_ns, std::max(r.start_ns, r.end_ns));
        });
        break;
      case ChunkType::cpu_accounting:
        keep_tail(capture_.cpu_accounting, size_before_,
                  [&](const CpuAccounting& a) { return overlaps(a.second_ns, a.second_ns + kSecondNs - 1); });
        break;
      case ChunkType::requests:
        keep_tail(capture_.requests, size_before_, [&](const RequestRecord& q) {
          return overlaps(q.intended_start_ns, std::max({q.intended_start_ns, q.actual_start_ns, q.end_ns}));
        });
        break;
      case ChunkType::mmap_events:
        keep_tail(capture_.mmaps, size_before_,
                  [&](const MmapRecord& m) { return overlaps(m.start_ns, std::max(m.start_ns, m.end_ns)); });
        break;
      case ChunkType::resources:
        keep_tail(capture_.resources, size_before_, [&](const ResourceSample& r) {
          return overlaps(r.time_ns - std::min(r.time_ns, r.interval_ns), r.time_ns);
        });
        break;
      default:
        break;
    }
  }

  std::string_view bytes_;
  ReadOptions options_;
  bool window_known_ = true;  // false until the metadata places a window_from_start
  uint64_t bound_ = 0;
  bool over_bound_ = false;
  size_t size_before_ = 0;
  size_t io_syscalls_before_ = 0;  // io_events: where the chunk's records start in each vector
  size_t io_devices_before_ = 0;
  std::unique_ptr<ZSTD_DCtx, DctxDeleter> dctx_;
  std::string buffer_;
  Capture capture_;
  DecodeIndex index_;
};

}  // namespace

uint64_t decoded_bytes_bound(uint64_t file_bytes) {
  if (file_bytes > (kNoDecodedBytesBound - kDecodedBytesBase) / kDecodedBytesPerFileByte)
    return kNoDecodedBytesBound;
  return kDecodedBytesBase + kDecodedBytesPerFileByte * file_bytes;
}

Result<uint64_t> parse_max_decoded_bytes(std::string_view text) {
  if (text == "unlimited") return kNoDecodedBytesBound;
  auto size = parse_size_bytes(text);
  if (!size.ok() || *size == 0) {
    return make_error(ErrorKind::usage,
                      "--max-memory: '" + std::string(text) + "' is not a size (like 8GiB) or 'unlimited'");
  }
  return *size;
}

bool looks_like_capture(std::string_view first_bytes) {
  // "LPC" followed by a binary major version byte: folded text ("LPC;main 3")
  // or any other text never has a control character there.
  return first_bytes.size() >= 4 && std::memcmp(first_bytes.data(), kMagic, sizeof kMagic) == 0 &&
         uint8_t(first_bytes[3]) < 0x20;
}

Result<Capture> read_capture_bytes(std::string_view bytes, const ReadOptions& options) {
  if (options.window_start_ns > options.window_end_ns) {
    return make_error(ErrorKind::usage, "time window ends before it starts");
  }
  ChunkReader reader(bytes, options);
  return reader.run();
}

Result<Capture> read_capture(const std::string& path, const ReadOptions& options) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return errno_error(ErrorKind::io, "open " + path, errno);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return errno_error(ErrorKind::io, "stat " + path, errno);
  if (S_ISDIR(st.st_mode)) return make_error(ErrorKind::io, "read " + path + ": Is a directory");
  std::string bytes;
  if (S_ISREG(st.st_mode)) bytes.reserve(size_t(st.st_size));
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error(ErrorKind::io, "read " + path, errno);
    }
    if (n == 0) break;
    bytes.append(buf, size_t(n));
  }
  auto result = read_capture_bytes(bytes, options);
  if (!result.ok()) return result.error().context(path);
  return result;
}

}  // namespace loadprof::capture
