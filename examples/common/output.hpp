// The examples' machine-readable outputs: JSON records (nlohmann-json) and CSV tables, written
// with deepsolve::learned::write_file_atomically (a reader sees the old file or the whole new one).
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <vector>

namespace deepsolve::examples {

/// `j` indented by 2, with a final newline.
std::string json_text(const nlohmann::json& j);
/// Writes json_text(j) to `path`.
void write_json(const std::string& path, const nlohmann::json& j);

/// A CSV table (RFC 4180): a header, then rows of as many cells.
class Csv {
 public:
  explicit Csv(const std::vector<std::string>& header);
  /// Appends a row; throws std::invalid_argument when it has another number of cells.
  Csv& row(const std::vector<std::string>& cells);
  /// A number with 10 significant digits (`%.10g`): enough to compare with the JSON.
  static std::string number(double v);
  const std::string& text() const { return text_; }
  void write(const std::string& path) const;

 private:
  std::size_t columns_;
  std::string text_;
};

}  // namespace deepsolve::examples
