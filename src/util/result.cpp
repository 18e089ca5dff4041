// errno -> Error conversion.
#include "loadprof/util/result.h"

#include <cstring>

namespace loadprof {

Error errno_error(ErrorKind kind, const std::string& what, int err) {
  return Error{kind, what + ": " + std::strerror(err)};
}

}  // namespace loadprof
