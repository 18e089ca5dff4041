// BodySearch: the marker is found inside one piece by a plain search; across a
// seam by searching the carried tail joined with the next piece's head.
#include "loadprof/load/body_search.h"

#include <algorithm>
#include <cstring>

namespace loadprof::load {

void BodySearch::start(std::string_view marker) {
  if (!window_) window_ = std::make_unique<char[]>(2 * kMaxMarkerBytes);
  marker_ = marker.substr(0, kMaxMarkerBytes);
  carry_ = 0;
  body_bytes_ = 0;
  found_ = marker_.empty();
}

void BodySearch::on_body(const char* data, size_t len) {
  body_bytes_ += len;
  if (found_ || len == 0) return;
  std::string_view piece(data, len);
  size_t keep = marker_.size() - 1;  // a marker cannot lie within fewer bytes
  if (carry_) {
    // The seam: carry + the piece's first keep bytes, so a match there straddles both.
    size_t head = std::min(len, keep);
    std::memcpy(window_.get() + carry_, data, head);
    if (std::string_view(window_.get(), carry_ + head).find(marker_) != std::string_view::npos) {
      found_ = true;
      return;
    }
  }
  if (piece.find(marker_) != std::string_view::npos) {
    found_ = true;
    return;
  }
  // New carry: the last `keep` bytes of carry + piece.
  if (len >= keep) {
    std::memcpy(window_.get(), data + len - keep, keep);
    carry_ = keep;
  } else {
    if (!carry_) std::memcpy(window_.get(), data, len);  // else already there, copied for the seam
    size_t total = carry_ + len;
    size_t drop = total > keep ? total - keep : 0;
    std::memmove(window_.get(), window_.get() + drop, total - drop);
    carry_ = total - drop;
  }
}

}  // namespace loadprof::load
