#include "deepsolve/learned/training/metrics_log.hpp"

#include <charconv>
#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include "deepsolve/learned/atomic_file.hpp"

namespace deepsolve::learned {

std::string shortest_double(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, value);
  return std::string(buf, r.ptr);
}

namespace {

double parse_double(const std::string& text, std::size_t line) {
  if (text == "nan") return std::numeric_limits<double>::quiet_NaN();
  if (text == "inf") return std::numeric_limits<double>::infinity();
  if (text == "-inf") return -std::numeric_limits<double>::infinity();
  double v = 0.0;
  const auto r = std::from_chars(text.data(), text.data() + text.size(), v);
  if (r.ec != std::errc() || r.ptr != text.data() + text.size())
    throw std::invalid_argument("metrics CSV line " + std::to_string(line) + ": '" + text +
                                "' is not a number");
  return v;
}

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> out;
  std::string item;
  std::istringstream in(line);
  while (std::getline(in, item, ',')) out.push_back(item);
  if (!line.empty() && line.back() == ',') out.emplace_back();
  return out;
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

MetricsLog::MetricsLog(std::vector<std::string> columns) : columns_(std::move(columns)) {
  for (const auto& c : columns_)
    if (c.empty() || c.find_first_of(",\n\r\"") != std::string::npos)
      throw std::invalid_argument("MetricsLog: bad column name '" + c + "'");
}

void MetricsLog::add(std::vector<double> row) {
  if (row.size() != columns_.size())
    throw std::invalid_argument("MetricsLog: a row of " + std::to_string(row.size()) +
                                " values for " + std::to_string(columns_.size()) + " columns");
  rows_.push_back(std::move(row));
}

void MetricsLog::truncate(std::size_t n) {
  if (n < rows_.size()) rows_.resize(n);
}

double MetricsLog::at(std::size_t row, const std::string& column) const {
  for (std::size_t c = 0; c < columns_.size(); ++c)
    if (columns_[c] == column) return rows_.at(row).at(c);
  throw std::out_of_range("MetricsLog: no column '" + column + "'");
}

std::string MetricsLog::to_csv() const {
  std::string out;
  for (std::size_t c = 0; c < columns_.size(); ++c) out += (c ? "," : "") + columns_[c];
  out += "\n";
  for (const auto& row : rows_) {
    for (std::size_t c = 0; c < row.size(); ++c) out += (c ? "," : "") + shortest_double(row[c]);
    out += "\n";
  }
  return out;
}

std::string MetricsLog::to_json() const {
  std::string out = "[";
  for (std::size_t r = 0; r < rows_.size(); ++r) {
    out += r ? ",\n {" : "\n {";
    for (std::size_t c = 0; c < columns_.size(); ++c) {
      const double v = rows_[r][c];
      out += (c ? ", " : "") + json_string(columns_[c]) + ": " +
             (std::isfinite(v) ? shortest_double(v) : std::string("null"));
    }
    out += "}";
  }
  out += rows_.empty() ? "]\n" : "\n]\n";
  return out;
}

MetricsLog MetricsLog::from_csv(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  if (!std::getline(in, line)) return MetricsLog();
  MetricsLog log(split(line));
  std::size_t number = 1;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty()) continue;
    const auto items = split(line);
    if (items.size() != log.columns_.size())
      throw std::invalid_argument("metrics CSV line " + std::to_string(number) + " has " +
                                  std::to_string(items.size()) + " values, the header " +
                                  std::to_string(log.columns_.size()));
    std::vector<double> row;
    for (const auto& item : items) row.push_back(parse_double(item, number));
    log.rows_.push_back(std::move(row));
  }
  return log;
}

void MetricsLog::save(const std::string& path) const {
  const bool json = path.size() >= 5 && path.compare(path.size() - 5, 5, ".json") == 0;
  write_file_atomically(path, json ? to_json() : to_csv());
}

}  // namespace deepsolve::learned
