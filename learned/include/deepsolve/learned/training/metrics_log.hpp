// A table of per-epoch metrics (one row per epoch, numeric columns), written as CSV or JSON.
//
// The whole table is rewritten through write_file_atomically after every epoch, so the file on
// disk is always complete, and a resumed run continues the same table: the trainer stores the
// CSV text in its checkpoint and restores it, so rows written after the checkpoint by a run that
// was then killed are dropped and written again, once.
//
// CSV: a header line of column names, then one line per row, values in the shortest form that
// reads back to the same double ("nan" for a missing value). JSON: an array of objects
// [{"epoch": 1, "train_loss": 0.5, ...}, ...], with null for a missing value.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace deepsolve::learned {

class MetricsLog {
 public:
  MetricsLog() = default;
  explicit MetricsLog(std::vector<std::string> columns);

  const std::vector<std::string>& columns() const { return columns_; }
  const std::vector<std::vector<double>>& rows() const { return rows_; }
  std::size_t size() const { return rows_.size(); }

  /// Appends a row; throws std::invalid_argument unless it has one value per column.
  void add(std::vector<double> row);
  /// Keeps the first `n` rows.
  void truncate(std::size_t n);
  /// The value of `column` in row `row`; throws std::out_of_range for an unknown column or row.
  double at(std::size_t row, const std::string& column) const;

  std::string to_csv() const;
  std::string to_json() const;
  /// Parses what to_csv wrote; throws std::invalid_argument naming the line that is malformed.
  static MetricsLog from_csv(const std::string& text);

  /// Writes JSON when `path` ends in ".json", CSV otherwise, atomically. Throws std::runtime_error
  /// naming the path when it cannot.
  void save(const std::string& path) const;

 private:
  std::vector<std::string> columns_;
  std::vector<std::vector<double>> rows_;
};

/// The shortest decimal text that reads back as the same double ("nan", "inf", "-inf").
std::string shortest_double(double value);

}  // namespace deepsolve::learned
