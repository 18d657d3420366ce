#include "common/output.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <stdexcept>

#include "deepsolve/learned/atomic_file.hpp"

namespace deepsolve::examples {

namespace {

// A cell with a comma, a quote or a line break is quoted, its quotes doubled.
std::string csv_cell(const std::string& cell) {
  if (cell.find_first_of(",\"\r\n") == std::string::npos) return cell;
  std::string out = "\"";
  for (char c : cell) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string csv_line(const std::vector<std::string>& cells) {
  std::string line;
  for (std::size_t i = 0; i < cells.size(); ++i) line += (i ? "," : "") + csv_cell(cells[i]);
  return line + "\n";
}

}  // namespace

std::string json_text(const nlohmann::json& j) {
  return j.dump(2) + "\n";
}

void write_json(const std::string& path, const nlohmann::json& j) {
  deepsolve::learned::write_file_atomically(path, json_text(j));
}

Csv::Csv(const std::vector<std::string>& header)
    : columns_(header.size()), text_(csv_line(header)) {}

Csv& Csv::row(const std::vector<std::string>& cells) {
  if (cells.size() != columns_)
    throw std::invalid_argument("Csv::row: " + std::to_string(cells.size()) +
                                " cells, the header has " + std::to_string(columns_));
  text_ += csv_line(cells);
  return *this;
}

std::string Csv::number(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.10g", v);
  return buffer;
}

void Csv::write(const std::string& path) const {
  deepsolve::learned::write_file_atomically(path, text_);
}

}  // namespace deepsolve::examples
