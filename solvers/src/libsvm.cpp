#include "deepsolve/solvers/libsvm.hpp"

#include <charconv>
#include <climits>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <vector>

#include "deepsolve/learned/atomic_file.hpp"

namespace deepsolve::solvers {
namespace libsvm_detail {

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

std::string quoted(std::string_view text) {
  constexpr std::size_t kMax = 40;
  if (text.size() > kMax) return "'" + std::string(text.substr(0, kMax)) + "...'";
  return "'" + std::string(text) + "'";
}

class LineError {
 public:
  LineError(const std::string& path, std::int64_t line) : path_(path), line_(line) {}
  [[noreturn]] void fail(const std::string& what) const {
    throw std::runtime_error(path_ + ":" + std::to_string(line_) + ": " + what);
  }

 private:
  const std::string& path_;
  std::int64_t line_;
};

double parse_number(const LineError& at, std::string_view text, const char* what) {
  double value = 0.0;
  const char* first = text.data();
  const char* last = text.data() + text.size();
  if (first != last && *first == '+' && last - first > 1 && first[1] != '-') ++first;
  const auto [end, error] = std::from_chars(first, last, value);
  if (error == std::errc::result_out_of_range && end == last) {
    // Beyond double's range: 1e999 is not finite, 1e-999 is zero.
    const std::size_t e = text.find_first_of("eE");
    if (e != std::string_view::npos && e + 1 < text.size() && text[e + 1] == '-') return 0.0;
    at.fail(std::string(what) + " " + quoted(text) + " is not finite (beyond the range of double)");
  }
  if (error != std::errc() || end != last || text.empty())
    at.fail(std::string(what) + " " + quoted(text) + " is not a number");
  if (!std::isfinite(value)) at.fail(std::string(what) + " " + quoted(text) + " is not finite");
  return value;
}

std::int64_t parse_index(const LineError& at, std::string_view text) {
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty())
    at.fail("the index " + quoted(text) + " is not a positive integer");
  if (value < 1) at.fail("the index " + quoted(text) + " is not positive (indices are 1-based)");
  if (value > INT_MAX) at.fail("the index " + quoted(text) + " is beyond 2^31 - 1");
  return value;
}

}  // namespace libsvm_detail

LibsvmData read_libsvm(const std::string& path, Eigen::Index num_features) {
  using namespace libsvm_detail;
  if (num_features < 0)
    throw std::invalid_argument("read_libsvm: the feature count must be >= 0, got " +
                                std::to_string(num_features));
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status))
    throw std::runtime_error(path + ": cannot open LIBSVM file (" +
                             (ec ? ec.message() : std::string("no such file")) + ")");
  if (!std::filesystem::is_regular_file(status))
    throw std::runtime_error(path + ": not a regular file; a LIBSVM file is expected");
  const std::string text = learned::read_whole_file(path, "LIBSVM file");

  std::vector<Eigen::Triplet<double, int>> entries;
  std::vector<double> labels;
  std::int64_t width = 0;
  std::int64_t line_number = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    ++line_number;
    std::size_t eol = text.find('\n', pos);
    if (eol == std::string::npos) eol = text.size();
    std::string_view line(text.data() + pos, eol - pos);
    pos = eol + 1;
    const std::size_t hash = line.find('#');
    if (hash != std::string_view::npos) line = line.substr(0, hash);
    const LineError at(path, line_number);
    std::size_t i = 0;
    auto next_field = [&](std::string_view& field) {
      while (i < line.size() && is_blank(line[i])) ++i;
      const std::size_t start = i;
      while (i < line.size() && !is_blank(line[i])) ++i;
      field = line.substr(start, i - start);
      return !field.empty();
    };
    std::string_view field;
    if (!next_field(field)) continue;  // blank or comment-only line
    const int row = static_cast<int>(labels.size());
    if (labels.size() >= static_cast<std::size_t>(INT_MAX)) at.fail("more than 2^31 - 1 samples");
    labels.push_back(parse_number(at, field, "the label"));
    std::int64_t previous = 0;
    bool first_feature = true;
    while (next_field(field)) {
      const std::size_t colon = field.find(':');
      if (colon == std::string_view::npos)
        at.fail("the field " + quoted(field) + " has no ':' (index:value expected)");
      const std::string_view key = field.substr(0, colon);
      const std::string_view value_text = field.substr(colon + 1);
      if (key == "qid") {
        if (!first_feature) at.fail("qid: must come right after the label");
        continue;
      }
      first_feature = false;
      const std::int64_t index = parse_index(at, key);
      if (index <= previous)
        at.fail("the index " + std::to_string(index) + " is not above the previous one (" +
                std::to_string(previous) + "); indices must increase along a line");
      if (num_features > 0 && index > num_features)
        at.fail("the index " + std::to_string(index) + " is beyond the " +
                std::to_string(num_features) + " features asked for");
      previous = index;
      const double value = parse_number(at, value_text, "the value");
      entries.emplace_back(row, static_cast<int>(index - 1), value);
      if (index > width) width = index;
    }
  }
  if (labels.empty()) throw std::runtime_error(path + ": no sample (an empty LIBSVM file)");
  LibsvmData data;
  const Eigen::Index cols = num_features > 0 ? num_features : static_cast<Eigen::Index>(width);
  data.X.resize(static_cast<Eigen::Index>(labels.size()), cols);
  data.X.setFromTriplets(entries.begin(), entries.end());
  data.X.makeCompressed();
  data.y =
      Eigen::Map<const Eigen::VectorXd>(labels.data(), static_cast<Eigen::Index>(labels.size()));
  return data;
}

}  // namespace deepsolve::solvers
