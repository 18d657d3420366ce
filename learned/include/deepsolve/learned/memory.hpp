// Refusing sizes that are bound to fail: a program asked for a grid, batch or window that cannot
// fit would otherwise grind (or swap) for minutes before the kernel's OOM killer ends it without a
// word. Every module estimates what it will allocate and checks it here first, with one message
// format: the size asked for, the estimate and what is available.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <stdexcept>
#include <string>

namespace deepsolve::learned {

/// A size refused because its estimated memory exceeds what is available. An invalid_argument:
/// the size asked for is wrong for this machine, as a negative one is for any.
class MemoryEstimateError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

/// Memory this process can still get, and where the figure comes from.
struct AvailableMemory {
  std::uint64_t bytes = 0;
  /// Where `bytes` was read, e.g. "MemAvailable + SwapFree in /proc/meminfo" or "the cgroup's
  /// memory.max"; used in messages.
  std::string source;
  bool known = false;  ///< false: nothing could be read (not Linux); checks then pass
};

/// The memory available for new allocations: MemAvailable + SwapFree of /proc/meminfo (what can
/// be had before the OOM killer steps in), else sysconf's available pages; lowered to the room
/// left under a cgroup v2 memory.max. The environment variable DEEPSOLVE_MEMORY_AVAILABLE
/// (bytes, or with a K/M/G/T suffix, powers of 1024) replaces the figure: a lower one to keep a
/// job inside a share of a node, "unlimited" to turn every check off.
AvailableMemory available_memory();

/// "1.5 GiB", "512 MiB", "12 KiB", "100 B".
std::string format_bytes(std::uint64_t bytes);

/// The product of `factors`; throws std::overflow_error naming `what` when it does not fit in
/// 64 bits (sizes multiplied by element counts are checked with it before anything is compared).
std::uint64_t checked_product(std::initializer_list<std::uint64_t> factors,
                              const std::string& what);

/// Throws MemoryEstimateError "<what> needs about <estimate> (<how>), more than the <available>
/// available (<source>); <advice>" when `estimate_bytes` exceeds `available.bytes` (an unknown
/// figure passes). `what` names the size asked for ("a 3D grid of 1200x1200x1200 cells"), `how`
/// how the estimate was made ("~110 bytes per cell: ..."), `advice` what to change (may be
/// empty).
void check_memory(const std::string& what, std::uint64_t estimate_bytes, const std::string& how,
                  const std::string& advice, const AvailableMemory& available);

/// The same against available_memory(); an estimate under 16 MiB passes without reading it.
void check_memory(const std::string& what, std::uint64_t estimate_bytes, const std::string& how,
                  const std::string& advice = "");

}  // namespace deepsolve::learned
