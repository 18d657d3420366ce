// Named settings as text; see settings.hpp.
#include "deepsolve/learned/settings.hpp"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <utility>

namespace deepsolve::learned {

Settings parse_settings(const std::string& text, const std::string& what) {
  Settings out;
  std::string item;
  auto flush = [&] {
    if (item.empty()) return;
    const auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0)
      throw std::invalid_argument(what + ": '" + item + "' is not KEY=VALUE");
    const std::string key = item.substr(0, eq);
    if (out.count(key)) throw std::invalid_argument(what + ": " + key + " given twice");
    out[key] = item.substr(eq + 1);
    item.clear();
  };
  for (char c : text) {
    if (c == ',' || c == ' ' || c == '\t' || c == '\n')
      flush();
    else
      item += c;
  }
  flush();
  return out;
}

std::string format_number(double value) {
  char buffer[64];
  for (int digits = 1; digits <= 17; ++digits) {
    std::snprintf(buffer, sizeof buffer, "%.*g", digits, value);
    if (std::strtod(buffer, nullptr) == value) break;
  }
  return buffer;
}

std::string join_keys(const Settings& settings) {
  std::string out;
  for (const auto& kv : settings) out += (out.empty() ? "" : ", ") + kv.first;
  return out;
}

SettingsReader::SettingsReader(std::string owner, const Settings& defaults, const Settings& given)
    : owner_(std::move(owner)), values_(defaults) {
  for (const auto& kv : given) {
    if (!defaults.count(kv.first))
      throw std::invalid_argument(owner_ + ": unknown setting '" + kv.first +
                                  "' (valid: " + join_keys(defaults) + ")");
    values_[kv.first] = kv.second;
  }
}

double SettingsReader::number(const std::string& key) const {
  const std::string& t = text(key);
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(t.c_str(), &end);
  if (t.empty() || end != t.c_str() + t.size() || errno == ERANGE || !std::isfinite(v))
    fail(key, "expected a finite number, got '" + t + "'");
  return v;
}

double SettingsReader::nonnegative(const std::string& key) const {
  const double v = number(key);
  if (v < 0.0) fail(key, "must be >= 0, got " + text(key));
  return v;
}

double SettingsReader::positive(const std::string& key) const {
  const double v = number(key);
  if (!(v > 0.0)) fail(key, "must be > 0, got " + text(key));
  return v;
}

double SettingsReader::below_one(const std::string& key) const {
  const double v = number(key);
  if (v < 0.0 || v >= 1.0) fail(key, "must be in [0, 1), got " + text(key));
  return v;
}

double SettingsReader::unit(const std::string& key) const {
  const double v = number(key);
  if (v < 0.0 || v > 1.0) fail(key, "must be in [0, 1], got " + text(key));
  return v;
}

std::int64_t SettingsReader::integer(const std::string& key, std::int64_t minimum) const {
  const double v = number(key);
  if (v != std::floor(v) || std::fabs(v) > 9.0e15)
    fail(key, "expected an integer, got '" + text(key) + "'");
  if (v < static_cast<double>(minimum))
    fail(key, "must be >= " + std::to_string(minimum) + ", got " + text(key));
  return static_cast<std::int64_t>(v);
}

bool SettingsReader::boolean(const std::string& key) const {
  const std::string& t = text(key);
  if (t == "true" || t == "1" || t == "yes" || t == "on") return true;
  if (t == "false" || t == "0" || t == "no" || t == "off") return false;
  fail(key, "expected true or false, got '" + t + "'");
}

const std::string& SettingsReader::text(const std::string& key) const {
  const auto it = values_.find(key);
  if (it == values_.end()) fail(key, "not a setting of this entry (a bug in its registration)");
  return it->second;
}

void SettingsReader::fail(const std::string& key, const std::string& what) const {
  throw std::invalid_argument(owner_ + ": setting " + key + ": " + what);
}

}  // namespace deepsolve::learned
