// Named settings as text ("lr" -> "0.1"), the options of everything chosen by name (the
// optimizer and loss registries): parsed from a command line or a configuration file, merged over
// a registered entry's defaults, and read back typed with errors that name the owner, the setting
// and the value. Text keeps the registries' options listable (each setting with its default) and
// storable with a run's metadata.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace deepsolve::learned {

/// Setting name -> value as text ("0.1", "1e-3", "true", "norm").
using Settings = std::map<std::string, std::string>;

/// "lr=0.1, momentum=0.9" (separated by commas and/or whitespace) -> settings. Throws
/// std::invalid_argument, starting with `what`, for an item without '=' or a setting given twice.
Settings parse_settings(const std::string& text, const std::string& what = "settings");

/// Shortest text that reads back as the same double ("0.1", "1e-08"): a number as a setting.
std::string format_number(double value);

/// "a, b, c": the keys of `settings`, in order.
std::string join_keys(const Settings& settings);

/// `given` merged over `defaults`, read back typed. A key of `given` that is not among the
/// defaults throws std::invalid_argument "<owner>: unknown setting 'k' (valid: ...)"; a bad
/// value "<owner>: setting <key>: <what is wrong>".
class SettingsReader {
 public:
  SettingsReader(std::string owner, const Settings& defaults, const Settings& given = {});

  /// A finite number.
  double number(const std::string& key) const;
  double nonnegative(const std::string& key) const;
  double positive(const std::string& key) const;
  /// In [0, 1).
  double below_one(const std::string& key) const;
  /// In [0, 1].
  double unit(const std::string& key) const;
  /// An integer >= minimum.
  std::int64_t integer(const std::string& key, std::int64_t minimum) const;
  /// true/false, 1/0, yes/no, on/off.
  bool boolean(const std::string& key) const;
  const std::string& text(const std::string& key) const;
  /// Every setting, merged.
  const Settings& values() const { return values_; }

  [[noreturn]] void fail(const std::string& key, const std::string& what) const;

 private:
  std::string owner_;
  Settings values_;
};

}  // namespace deepsolve::learned
