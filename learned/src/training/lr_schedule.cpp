#include "deepsolve/learned/training/lr_schedule.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <map>
#include <stdexcept>

#include "deepsolve/learned/training/metrics_log.hpp"

namespace deepsolve::learned {

namespace {

constexpr double kPi = 3.14159265358979323846;

const char* kind_name(LrSchedule::Kind kind) {
  switch (kind) {
    case LrSchedule::Kind::step:
      return "step";
    case LrSchedule::Kind::exponential:
      return "exponential";
    case LrSchedule::Kind::cosine:
      return "cosine";
    case LrSchedule::Kind::constant:
      break;
  }
  return "constant";
}

// The keys each kind takes, warmup included.
std::vector<std::string> keys_of(LrSchedule::Kind kind) {
  switch (kind) {
    case LrSchedule::Kind::step:
      return {"every", "gamma", "warmup"};
    case LrSchedule::Kind::exponential:
      return {"gamma", "warmup"};
    case LrSchedule::Kind::cosine:
      return {"min", "warmup"};
    case LrSchedule::Kind::constant:
      break;
  }
  return {"warmup"};
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

[[noreturn]] void fail(const std::string& text, const std::string& why) {
  throw std::invalid_argument("learning-rate schedule '" + text + "': " + why);
}

double parse_number(const std::string& text, const std::string& key, const std::string& value) {
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(value.c_str(), &end);
  if (value.empty() || end != value.c_str() + value.size() || errno == ERANGE || !std::isfinite(v))
    fail(text, key + "=" + value + " is not a finite number");
  return v;
}

std::int64_t parse_count(const std::string& text, const std::string& key, const std::string& value,
                         std::int64_t minimum) {
  errno = 0;
  char* end = nullptr;
  const long long v = std::strtoll(value.c_str(), &end, 10);
  if (value.empty() || end != value.c_str() + value.size() || errno == ERANGE || v < minimum)
    fail(text, key + "=" + value + " is not an integer >= " + std::to_string(minimum));
  return v;
}

void validate(const LrSchedule& s, const std::string& text) {
  if (s.every < 1) fail(text, "every=" + std::to_string(s.every) + " is not an integer >= 1");
  if (!(s.gamma > 0.0) || !std::isfinite(s.gamma))
    fail(text, "gamma=" + shortest_double(s.gamma) + " is not positive and finite");
  if (!(s.min_lr >= 0.0) || !std::isfinite(s.min_lr))
    fail(text, "min=" + shortest_double(s.min_lr) + " is not >= 0 and finite");
  if (s.warmup < 0) fail(text, "warmup=" + std::to_string(s.warmup) + " is negative");
}

}  // namespace

std::vector<std::string> lr_schedule_names() {
  return {"constant", "step", "exponential", "cosine"};
}

LrSchedule parse_lr_schedule(const std::string& text) {
  const auto colon = text.find(':');
  const std::string name = text.substr(0, colon);
  LrSchedule s;
  bool found = false;
  for (auto kind : {LrSchedule::Kind::constant, LrSchedule::Kind::step,
                    LrSchedule::Kind::exponential, LrSchedule::Kind::cosine})
    if (name == kind_name(kind)) {
      s.kind = kind;
      found = true;
    }
  if (!found)
    fail(text, "unknown schedule '" + name + "' (valid: " + join(lr_schedule_names()) + ")");

  std::map<std::string, std::string> values;
  if (colon != std::string::npos) {
    const std::string rest = text.substr(colon + 1);
    const auto valid = keys_of(s.kind);
    std::size_t begin = 0;
    while (true) {
      const auto comma = rest.find(',', begin);
      const std::string item =
          rest.substr(begin, comma == std::string::npos ? comma : comma - begin);
      const auto eq = item.find('=');
      if (eq == std::string::npos || eq == 0) fail(text, "'" + item + "' is not key=value");
      const std::string key = item.substr(0, eq);
      bool known = false;
      for (const auto& k : valid) known = known || k == key;
      if (!known)
        fail(text, "unknown key '" + key + "' for " + name + " (valid: " + join(valid) + ")");
      if (!values.emplace(key, item.substr(eq + 1)).second)
        fail(text, "key '" + key + "' given twice");
      if (comma == std::string::npos) break;
      begin = comma + 1;
    }
  }
  for (const auto& [key, value] : values) {
    if (key == "every") s.every = parse_count(text, key, value, 1);
    if (key == "gamma") s.gamma = parse_number(text, key, value);
    if (key == "min") s.min_lr = parse_number(text, key, value);
    if (key == "warmup") s.warmup = parse_count(text, key, value, 0);
  }
  if (s.kind == LrSchedule::Kind::step && values.count("every") == 0)
    fail(text, "step needs every=K (epochs between reductions)");
  if (s.kind == LrSchedule::Kind::exponential && values.count("gamma") == 0)
    fail(text, "exponential needs gamma=G (the factor per epoch)");
  validate(s, text);
  return s;
}

std::string to_string(const LrSchedule& s) {
  std::string out = kind_name(s.kind);
  std::string sep = ":";
  const auto add = [&](const std::string& key, const std::string& value) {
    out += sep + key + "=" + value;
    sep = ",";
  };
  if (s.kind == LrSchedule::Kind::step) add("every", std::to_string(s.every));
  if (s.kind == LrSchedule::Kind::step || s.kind == LrSchedule::Kind::exponential)
    add("gamma", shortest_double(s.gamma));
  if (s.kind == LrSchedule::Kind::cosine) add("min", shortest_double(s.min_lr));
  if (s.warmup > 0) add("warmup", std::to_string(s.warmup));
  return out;
}

bool is_constant(const LrSchedule& s) {
  return s.kind == LrSchedule::Kind::constant && s.warmup == 0;
}

double scheduled_lr(const LrSchedule& s, double base_lr, std::int64_t epoch, std::int64_t epochs) {
  validate(s, to_string(s));
  if (epoch < 1 || epoch > epochs)
    throw std::invalid_argument("scheduled_lr: epoch " + std::to_string(epoch) + " is outside 1.." +
                                std::to_string(epochs));
  const auto e = static_cast<double>(epoch - 1);  // epochs before this one
  double lr = base_lr;
  switch (s.kind) {
    case LrSchedule::Kind::step:
      lr = base_lr * std::pow(s.gamma, static_cast<double>((epoch - 1) / s.every));
      break;
    case LrSchedule::Kind::exponential:
      lr = base_lr * std::pow(s.gamma, e);
      break;
    case LrSchedule::Kind::cosine:
      if (epochs > 1)
        lr = s.min_lr + (base_lr - s.min_lr) *
                            (1.0 + std::cos(kPi * e / static_cast<double>(epochs - 1))) / 2.0;
      break;
    case LrSchedule::Kind::constant:
      break;
  }
  if (epoch <= s.warmup) lr *= static_cast<double>(epoch) / static_cast<double>(s.warmup + 1);
  return lr;
}

}  // namespace deepsolve::learned
