// The version string written into captures and reports.
#pragma once

namespace loadprof {
inline constexpr const char* kVersion = "0.1.0";
}
