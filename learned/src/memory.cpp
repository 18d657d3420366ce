#include "deepsolve/learned/memory.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <limits>
#include <optional>
#include <sstream>
#include <stdexcept>

namespace deepsolve::learned {

namespace {

constexpr std::uint64_t kAlwaysFits = std::uint64_t(16) << 20;
constexpr std::uint64_t kUnlimited = std::numeric_limits<std::uint64_t>::max();

/// "key: value kB" lines of /proc/meminfo, in bytes.
std::optional<std::uint64_t> meminfo(const std::string& wanted) {
  std::ifstream in("/proc/meminfo");
  std::string key;
  std::uint64_t kib = 0;
  while (in >> key >> kib) {
    if (key == wanted + ":") return kib * 1024;
    in.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
  }
  return std::nullopt;
}

/// A number from a one-line file; nullopt when missing or "max".
std::optional<std::uint64_t> number_file(const std::string& path) {
  std::ifstream in(path);
  std::string text;
  if (!(in >> text) || text.empty() || !std::isdigit(static_cast<unsigned char>(text[0])))
    return std::nullopt;
  return std::strtoull(text.c_str(), nullptr, 10);
}

std::uint64_t stat_entry(const std::string& path, const std::string& wanted) {
  std::ifstream in(path);
  std::string key;
  std::uint64_t value = 0;
  while (in >> key >> value)
    if (key == wanted) return value;
  return 0;
}

/// The cgroup's limit minus its usage (page cache counted as free: the kernel reclaims it before
/// it kills), for cgroup v2 and v1; kUnlimited when there is no limit.
std::uint64_t cgroup_room() {
  std::uint64_t room = kUnlimited;
  auto consider = [&room](const std::string& dir, const char* limit_file, const char* usage_file,
                          const char* cache_key) {
    const auto limit = number_file(dir + "/" + limit_file);
    const auto usage = number_file(dir + "/" + usage_file);
    // v1 writes "no limit" as a huge page-aligned number.
    if (!limit || !usage || *limit >= (std::uint64_t(1) << 62)) return;
    const std::uint64_t cache = stat_entry(dir + "/memory.stat", cache_key);
    const std::uint64_t used = usage > cache ? *usage - cache : 0;
    room = std::min(room, *limit > used ? *limit - used : 0);
  };
  std::ifstream in("/proc/self/cgroup");
  std::string line;
  while (std::getline(in, line)) {
    const auto first = line.find(':'), second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    const std::string controllers = line.substr(first + 1, second - first - 1);
    const std::string path = line.substr(second + 1);
    if (line.compare(0, first, "0") == 0 && controllers.empty())
      consider("/sys/fs/cgroup" + path, "memory.max", "memory.current", "file");
    else if (controllers == "memory")
      consider("/sys/fs/cgroup/memory" + path, "memory.limit_in_bytes", "memory.usage_in_bytes",
               "total_cache");
  }
  // Inside a cgroup namespace the process's own group is the mount's root.
  consider("/sys/fs/cgroup", "memory.max", "memory.current", "file");
  consider("/sys/fs/cgroup/memory", "memory.limit_in_bytes", "memory.usage_in_bytes",
           "total_cache");
  return room;
}

std::optional<std::uint64_t> parse_size(const std::string& text) {
  if (text.empty() || !std::isdigit(static_cast<unsigned char>(text[0]))) return std::nullopt;
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  std::string suffix(end);
  if (!suffix.empty() && (suffix.back() == 'B' || suffix.back() == 'b')) suffix.pop_back();
  if (suffix.size() == 2 && (suffix[1] == 'i' || suffix[1] == 'I')) suffix.pop_back();
  double scale = 1.0;
  if (suffix.size() == 1) {
    const std::string units = "KMGT";
    const auto at = units.find(static_cast<char>(std::toupper(suffix[0])));
    if (at == std::string::npos) return std::nullopt;
    for (std::size_t i = 0; i <= at; ++i) scale *= 1024.0;
  } else if (!suffix.empty()) {
    return std::nullopt;
  }
  const double bytes = value * scale;
  if (!(bytes >= 0.0) || bytes >= 1.8e19) return std::nullopt;
  return static_cast<std::uint64_t>(bytes);
}

}  // namespace

AvailableMemory available_memory() {
  AvailableMemory a;
  if (const char* env = std::getenv("DEEPSOLVE_MEMORY_AVAILABLE"); env && *env) {
    const std::string text = env;
    if (text == "unlimited") return a;  // known = false: every check passes
    const auto bytes = parse_size(text);
    if (!bytes)
      throw std::invalid_argument("DEEPSOLVE_MEMORY_AVAILABLE='" + text +
                                  "' is not a size (bytes, or e.g. 8G, 512M; or unlimited)");
    a.bytes = *bytes;
    a.source = "DEEPSOLVE_MEMORY_AVAILABLE";
    a.known = true;
    return a;
  }
  if (const auto avail = meminfo("MemAvailable")) {
    const std::uint64_t swap = meminfo("SwapFree").value_or(0);
    a.bytes = *avail + swap;
    a.source =
        swap > 0 ? "MemAvailable + SwapFree in /proc/meminfo" : "MemAvailable in /proc/meminfo";
    a.known = true;
  } else {
    const long pages = ::sysconf(_SC_AVPHYS_PAGES), page = ::sysconf(_SC_PAGESIZE);
    if (pages > 0 && page > 0) {
      a.bytes = static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page);
      a.source = "free physical pages (sysconf)";
      a.known = true;
    }
  }
  const std::uint64_t room = cgroup_room();
  if (room != kUnlimited && (!a.known || room < a.bytes)) {
    a.bytes = room;
    a.source = "the room left under the cgroup's memory limit";
    a.known = true;
  }
  return a;
}

std::string format_bytes(std::uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024.0 && unit < 6) value /= 1024.0, ++unit;
  std::ostringstream s;
  if (unit == 0)
    s << bytes << " B";
  else
    s << std::fixed << std::setprecision(value < 10.0 ? 1 : 0) << value << " " << units[unit];
  return s.str();
}

std::uint64_t checked_product(std::initializer_list<std::uint64_t> factors,
                              const std::string& what) {
  std::uint64_t product = 1;
  for (const std::uint64_t f : factors)
    if (__builtin_mul_overflow(product, f, &product))
      throw std::overflow_error(what + ": the size overflows 64-bit arithmetic");
  return product;
}

void check_memory(const std::string& what, std::uint64_t estimate_bytes, const std::string& how,
                  const std::string& advice, const AvailableMemory& available) {
  if (!available.known || estimate_bytes <= available.bytes) return;
  std::string message = what + " needs about " + format_bytes(estimate_bytes);
  if (!how.empty()) message += " (" + how + ")";
  message +=
      ", more than the " + format_bytes(available.bytes) + " available (" + available.source + ")";
  if (!advice.empty()) message += "; " + advice;
  throw MemoryEstimateError(message);
}

void check_memory(const std::string& what, std::uint64_t estimate_bytes, const std::string& how,
                  const std::string& advice) {
  // Small sizes cannot fail for want of memory; they skip reading /proc (grids are built often).
  if (estimate_bytes < kAlwaysFits) return;
  check_memory(what, estimate_bytes, how, advice, available_memory());
}

}  // namespace deepsolve::learned
