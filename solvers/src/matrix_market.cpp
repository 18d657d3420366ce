// Matrix Market reading and writing (matrix_market.hpp): a line-by-line parser that checks every
// field and names the line of each defect, and writers through the atomic file writer.
#include "deepsolve/solvers/matrix_market.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cinttypes>
#include <climits>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <vector>

#include "deepsolve/learned/atomic_file.hpp"
#include "deepsolve/learned/memory.hpp"

namespace deepsolve::solvers {

// A named namespace: the library is built in unity batches, where anonymous-namespace helpers of
// different files share one translation unit.
namespace matrix_market_detail {

constexpr const char* kBannerSyntax =
    "'%%MatrixMarket matrix <coordinate|array> <real|integer|pattern> "
    "<general|symmetric|skew-symmetric>'";
// Sizes are bounded by Eigen's int indices of sparse matrices (also for dense reads, so that a
// file reads the same way both ways and products of sizes never overflow 64 bits).
constexpr std::int64_t kMaxSize = INT_MAX;

enum class Field { real, integer, pattern };
enum class Symmetry { general, symmetric, skew };

/// What the banner says.
struct Banner {
  bool vector = false;  ///< "vector" object: read as an n x 1 matrix
  bool array = false;   ///< array (dense, column-major) or coordinate
  Field field = Field::real;
  Symmetry symmetry = Symmetry::general;
};

/// A file's contents: array values in file order, or coordinate entries with the symmetric
/// partners already added.
struct Contents {
  Banner banner;
  std::int64_t rows = 0;
  std::int64_t cols = 0;
  std::vector<double> values;                   ///< array format
  std::vector<Eigen::Triplet<double>> entries;  ///< coordinate format (0-based)
};

bool is_blank_char(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/// The whitespace-separated fields of `line` into `fields` (its capacity reused line after line).
void split_fields(std::string_view line, std::vector<std::string_view>& fields) {
  fields.clear();
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && is_blank_char(line[i])) ++i;
    const std::size_t start = i;
    while (i < line.size() && !is_blank_char(line[i])) ++i;
    if (i > start) fields.push_back(line.substr(start, i - start));
  }
}

std::string lower_case(std::string_view word) {
  std::string out(word);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

/// A field quoted for a message, cut to 40 characters.
std::string quoted(std::string_view text) {
  const std::size_t limit = 40;
  return "'" + std::string(text.substr(0, limit)) + (text.size() > limit ? "...'" : "'");
}

/// Walks the lines of a file's text, numbering them from 1, skipping comment and blank lines
/// when asked.
class LineReader {
 public:
  LineReader(const std::string& path, std::string_view text) : path_(path), text_(text) {}

  /// The next line (without its '\n' and '\r'), or false at the end of the text.
  bool next_raw(std::string_view& line) {
    if (pos_ >= text_.size()) return false;
    const std::size_t end = std::min(text_.find('\n', pos_), text_.size());
    line = text_.substr(pos_, end - pos_);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    pos_ = end + 1;
    ++number_;
    return true;
  }
  /// The next line that is neither a comment nor blank, split into fields.
  bool next_data(std::vector<std::string_view>& fields) {
    std::string_view line;
    while (next_raw(line)) {
      split_fields(line, fields);
      if (!fields.empty() && fields[0].front() != '%') return true;
    }
    return false;
  }
  /// The number of the line last read (the last line of the file once the end is reached).
  std::int64_t number() const { return number_; }

  [[noreturn]] void fail(const std::string& what) const {
    throw std::runtime_error(path_ + ":" + std::to_string(std::max<std::int64_t>(number_, 1)) +
                             ": " + what);
  }

 private:
  const std::string& path_;
  std::string_view text_;
  std::size_t pos_ = 0;
  std::int64_t number_ = 0;
};

std::int64_t parse_integer(const LineReader& lines, std::string_view text, const char* what) {
  std::int64_t value = 0;
  const char* first = text.data();
  const char* last = text.data() + text.size();
  if (first != last && *first == '+') ++first;
  const auto [end, error] = std::from_chars(first, last, value);
  if (error == std::errc::result_out_of_range)
    lines.fail(std::string(what) + " " + quoted(text) + " is out of range");
  if (error != std::errc() || end != last)
    lines.fail(std::string(what) + " " + quoted(text) + " is not an integer");
  return value;
}

double parse_value(const LineReader& lines, std::string_view text, Field field) {
  if (field == Field::integer)
    return static_cast<double>(parse_integer(lines, text, "the value (integer field)"));
  double value = 0.0;
  const char* first = text.data();
  const char* last = text.data() + text.size();
  if (first != last && *first == '+' && last - first > 1 && first[1] != '-') ++first;
  const auto [end, error] = std::from_chars(first, last, value);
  // Out of range: a magnitude beyond double (1e999) or below its smallest subnormal (1e-999);
  // from_chars leaves the value unset then, so decide by the exponent's sign.
  if (error == std::errc::result_out_of_range && end == last) {
    const std::string lower = lower_case(text);
    const std::size_t e = lower.find('e');
    if (e != std::string::npos && e + 1 < lower.size() && lower[e + 1] == '-') return 0.0;
    lines.fail("the value " + quoted(text) + " is not finite (beyond the range of double)");
  }
  if (error != std::errc() || end != last)
    lines.fail("the value " + quoted(text) + " is not a number");
  if (!std::isfinite(value)) lines.fail("the value " + quoted(text) + " is not finite");
  return value;
}

Banner parse_banner(LineReader& lines) {
  std::string_view line;
  if (!lines.next_raw(line))
    lines.fail("empty file; a Matrix Market file starts with the banner " +
               std::string(kBannerSyntax));
  // A UTF-8 byte-order mark, as some Windows editors write one.
  if (line.substr(0, 3) == "\xEF\xBB\xBF") line.remove_prefix(3);
  std::vector<std::string_view> words;
  split_fields(line, words);
  if (words.empty() || lower_case(words[0]) != "%%matrixmarket")
    lines.fail("not a Matrix Market file: the first line must be the banner " +
               std::string(kBannerSyntax) + ", found " + quoted(line));
  if (words.size() < 5)
    lines.fail("the banner has " + std::to_string(words.size() - 1) +
               " of its 4 words (object, format, field, symmetry): " + quoted(line));
  if (words.size() > 5) lines.fail("text after the banner's 4 words: " + quoted(words[5]));

  Banner banner;
  const std::string object = lower_case(words[1]);
  if (object == "vector")
    banner.vector = true;
  else if (object != "matrix")
    lines.fail("unknown object " + quoted(words[1]) + " in the banner (matrix or vector)");

  const std::string format = lower_case(words[2]);
  if (format == "array")
    banner.array = true;
  else if (format != "coordinate")
    lines.fail("unknown format " + quoted(words[2]) + " in the banner (coordinate or array)");

  const std::string field = lower_case(words[3]);
  if (field == "real" || field == "double")
    banner.field = Field::real;
  else if (field == "integer")
    banner.field = Field::integer;
  else if (field == "pattern")
    banner.field = Field::pattern;
  else if (field == "complex")
    lines.fail("complex matrices are not supported (the solvers are real)");
  else
    lines.fail("unknown field " + quoted(words[3]) +
               " in the banner (real, integer or pattern; complex is not supported)");
  if (banner.field == Field::pattern && banner.array)
    lines.fail("the pattern field is for coordinate files only, not array");

  const std::string symmetry = lower_case(words[4]);
  if (symmetry == "general")
    banner.symmetry = Symmetry::general;
  else if (symmetry == "symmetric" || symmetry == "hermitian")
    banner.symmetry = Symmetry::symmetric;
  else if (symmetry == "skew-symmetric")
    banner.symmetry = Symmetry::skew;
  else
    lines.fail("unknown symmetry " + quoted(words[4]) +
               " in the banner (general, symmetric or skew-symmetric)");
  if (banner.vector && banner.symmetry != Symmetry::general)
    lines.fail("a vector's symmetry must be general, not " + quoted(words[4]));
  if (banner.symmetry == Symmetry::skew && banner.field == Field::pattern)
    lines.fail("a pattern file cannot be skew-symmetric (its entries have no sign)");
  return banner;
}

std::int64_t parse_size(const LineReader& lines, std::string_view text, const char* what) {
  const std::int64_t value = parse_integer(lines, text, what);
  if (value < 0) lines.fail(std::string(what) + " " + quoted(text) + " is negative");
  if (value > kMaxSize)
    lines.fail(std::string(what) + " " + quoted(text) + " exceeds " + std::to_string(kMaxSize));
  return value;
}

/// The number of values an array file lists.
std::int64_t array_entry_count(const Contents& c) {
  switch (c.banner.symmetry) {
    case Symmetry::symmetric:
      return c.rows * (c.rows + 1) / 2;
    case Symmetry::skew:
      return c.rows * (c.rows - 1) / 2;
    default:
      return c.rows * c.cols;
  }
}

/// Reads the size line; returns the number of entry lines it declares.
std::int64_t parse_size_line(LineReader& lines, Contents& c) {
  std::vector<std::string_view> fields;
  const Banner& b = c.banner;
  const char* syntax = b.vector ? (b.array ? "'n'" : "'n entries'")
                                : (b.array ? "'rows columns'" : "'rows columns entries'");
  if (!lines.next_data(fields))
    lines.fail("the file ends before the size line " + std::string(syntax));
  const std::size_t expected = (b.vector ? 1 : 2) + (b.array ? 0 : 1);
  if (fields.size() != expected)
    lines.fail("the size line must be " + std::string(syntax) + ", found " +
               std::to_string(fields.size()) + " fields");
  std::size_t next = 0;
  c.rows = parse_size(lines, fields[next++], "the row count");
  c.cols = b.vector ? 1 : parse_size(lines, fields[next++], "the column count");
  if (b.symmetry != Symmetry::general && c.rows != c.cols)
    lines.fail("a symmetric or skew-symmetric matrix must be square, the size line says " +
               std::to_string(c.rows) + " x " + std::to_string(c.cols));
  if (b.array) return array_entry_count(c);
  // Not bounded by rows x columns: repeated positions are allowed (and summed).
  return parse_size(lines, fields[next], "the entry count");
}

std::int64_t parse_index(const LineReader& lines, std::string_view text, const char* what,
                         std::int64_t size) {
  const std::int64_t index = parse_integer(lines, text, what);
  if (index < 1 || index > size)
    lines.fail(std::string(what) + " " + std::to_string(index) + " is outside 1.." +
               std::to_string(size));
  return index - 1;
}

void parse_coordinate_entry(const LineReader& lines, const std::vector<std::string_view>& fields,
                            Contents& c) {
  const Banner& b = c.banner;
  const std::size_t wanted = (b.vector ? 1 : 2) + (b.field == Field::pattern ? 0 : 1);
  const char* syntax = b.vector
                           ? (b.field == Field::pattern ? "'index'" : "'index value'")
                           : (b.field == Field::pattern ? "'row column'" : "'row column value'");
  if (fields.size() < wanted)
    lines.fail("an entry must be " + std::string(syntax) + ", found " +
               std::to_string(fields.size()) + " field" + (fields.size() == 1 ? "" : "s"));
  if (fields.size() > wanted)
    lines.fail("text after the entry " + std::string(syntax) + ": " + quoted(fields[wanted]));
  const std::int64_t i = parse_index(lines, fields[0], "the row index", c.rows);
  const std::int64_t j = b.vector ? 0 : parse_index(lines, fields[1], "the column index", c.cols);
  const double value = b.field == Field::pattern ? 1.0 : parse_value(lines, fields.back(), b.field);
  if (b.symmetry == Symmetry::symmetric && i < j)
    lines.fail("entry (" + std::to_string(i + 1) + ", " + std::to_string(j + 1) +
               ") is above the diagonal; a symmetric file stores the lower triangle only");
  if (b.symmetry == Symmetry::skew && i <= j)
    lines.fail("entry (" + std::to_string(i + 1) + ", " + std::to_string(j + 1) +
               ") is not below the diagonal; a skew-symmetric file stores the strict lower "
               "triangle only");
  const int row = static_cast<int>(i), col = static_cast<int>(j);
  c.entries.emplace_back(row, col, value);
  if (b.symmetry == Symmetry::symmetric && i != j) c.entries.emplace_back(col, row, value);
  if (b.symmetry == Symmetry::skew) c.entries.emplace_back(col, row, -value);
}

Contents parse(const std::string& path, std::string_view text) {
  LineReader lines(path, text);
  Contents c;
  c.banner = parse_banner(lines);
  const std::int64_t declared = parse_size_line(lines, c);
  const std::int64_t size_line = lines.number();
  // Reserve no more than the text could hold (an entry takes two characters or more), so that a
  // size line declaring billions of entries in a small file fails on its count, not on memory.
  const auto room = static_cast<std::int64_t>(text.size() / 2 + 1);
  if (c.banner.array)
    c.values.reserve(static_cast<std::size_t>(std::min(declared, room)));
  else
    c.entries.reserve(static_cast<std::size_t>(
        std::min(declared * (c.banner.symmetry == Symmetry::general ? 1 : 2), room)));

  std::vector<std::string_view> fields;
  std::int64_t found = 0;
  while (lines.next_data(fields)) {
    if (found == declared)
      lines.fail("more entries than the " + std::to_string(declared) + " the size line (line " +
                 std::to_string(size_line) + ") declares: " + quoted(fields[0]));
    if (c.banner.array) {
      if (fields.size() > 1)
        lines.fail("an array file lists one value per line; text after the value: " +
                   quoted(fields[1]));
      c.values.push_back(parse_value(lines, fields[0], c.banner.field));
    } else {
      parse_coordinate_entry(lines, fields, c);
    }
    ++found;
  }
  if (found < declared)
    lines.fail("the file ends after " + std::to_string(found) + " of the " +
               std::to_string(declared) + " entries the size line (line " +
               std::to_string(size_line) + ") declares");
  if (!c.banner.array && c.entries.size() > static_cast<std::size_t>(INT_MAX))
    lines.fail("more than " + std::to_string(INT_MAX) + " entries with their symmetric partners");
  return c;
}

Contents read_file(const std::string& path) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status))
    throw std::runtime_error(path + ": cannot open Matrix Market file (" +
                             (ec ? ec.message() : std::string("no such file")) + ")");
  if (!std::filesystem::is_regular_file(status))
    throw std::runtime_error(
        path + ": not a regular file (" +
        (std::filesystem::is_directory(status) ? "a folder" : "a device, FIFO or socket") +
        "); a Matrix Market file is expected");
  const std::string text = learned::read_whole_file(path, "Matrix Market file");
  return parse(path, text);
}

Eigen::MatrixXd to_dense(const std::string& path, Contents& c) {
  if (!c.banner.array) {
    // rows x columns < 2^62 (each is below 2^31); 8 bytes each may exceed 64 bits: saturate.
    const std::uint64_t entries = static_cast<std::uint64_t>(c.rows) * c.cols;
    const std::uint64_t bytes =
        entries > UINT64_MAX / sizeof(double) ? UINT64_MAX : entries * sizeof(double);
    learned::check_memory(path + ": the dense form of a " + std::to_string(c.rows) + " x " +
                              std::to_string(c.cols) + " coordinate matrix",
                          bytes, "8 bytes per entry", "read it with read_matrix_market_sparse");
  }
  Eigen::MatrixXd m = Eigen::MatrixXd::Zero(c.rows, c.cols);
  if (!c.banner.array) {
    for (const auto& t : c.entries) m(t.row(), t.col()) += t.value();
    return m;
  }
  // Column-major: all rows of a general matrix, or rows j.. (j+1.. when skew) of column j.
  std::size_t k = 0;
  const Symmetry s = c.banner.symmetry;
  for (Eigen::Index j = 0; j < c.cols; ++j) {
    const Eigen::Index first = s == Symmetry::general ? 0 : (s == Symmetry::skew ? j + 1 : j);
    for (Eigen::Index i = first; i < c.rows; ++i) {
      const double v = c.values[k++];
      m(i, j) = v;
      if (s == Symmetry::symmetric) m(j, i) = v;
      if (s == Symmetry::skew) m(j, i) = -v;
    }
  }
  return m;
}

void check_finite_for_writing(const std::string& path, Eigen::Index row, Eigen::Index col,
                              double value) {
  if (!std::isfinite(value))
    throw std::invalid_argument(path + ": cannot write entry (" + std::to_string(row + 1) + ", " +
                                std::to_string(col + 1) + ") = " + std::to_string(value) +
                                " (not finite; no Matrix Market reader would take it)");
}

/// `value` as printf's "%.17g" would write it (enough digits to read back exactly), without the
/// locale.
void append_value(std::string& out, double value) {
  char buffer[32];
  const auto result =
      std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::general, 17);
  out.append(buffer, result.ptr);
}

void append_index(std::string& out, Eigen::Index index) {
  char buffer[24];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, index);
  out.append(buffer, result.ptr);
}

}  // namespace matrix_market_detail

Eigen::MatrixXd read_matrix_market_dense(const std::string& path) {
  matrix_market_detail::Contents c = matrix_market_detail::read_file(path);
  return matrix_market_detail::to_dense(path, c);
}

Eigen::SparseMatrix<double> read_matrix_market_sparse(const std::string& path) {
  matrix_market_detail::Contents c = matrix_market_detail::read_file(path);
  // A column index per column and (value, row) per entry, twice while setFromTriplets
  // transposes: a size line of billions of columns is refused before it is allocated.
  const std::uint64_t bytes =
      (static_cast<std::uint64_t>(c.cols) + 1) * sizeof(int) +
      2 * static_cast<std::uint64_t>(c.banner.array ? c.values.size() : c.entries.size()) *
          (sizeof(double) + sizeof(int));
  learned::check_memory(
      path + ": a sparse " + std::to_string(c.rows) + " x " + std::to_string(c.cols) + " matrix",
      bytes, "4 bytes per column and 24 per entry");
  Eigen::SparseMatrix<double> m(c.rows, c.cols);
  if (c.banner.array)
    m = matrix_market_detail::to_dense(path, c).sparseView();
  else
    m.setFromTriplets(c.entries.begin(), c.entries.end());  // sums repeated positions
  m.makeCompressed();
  return m;
}

void write_matrix_market(const std::string& path, const Eigen::MatrixXd& matrix) {
  std::string out = "%%MatrixMarket matrix array real general\n% written by deepsolve\n" +
                    std::to_string(matrix.rows()) + " " + std::to_string(matrix.cols()) + "\n";
  out.reserve(out.size() + static_cast<std::size_t>(matrix.size()) * 24);
  for (Eigen::Index j = 0; j < matrix.cols(); ++j)
    for (Eigen::Index i = 0; i < matrix.rows(); ++i) {
      matrix_market_detail::check_finite_for_writing(path, i, j, matrix(i, j));
      matrix_market_detail::append_value(out, matrix(i, j));
      out.push_back('\n');
    }
  learned::write_file_atomically(path, out);
}

void write_matrix_market(const std::string& path, const Eigen::SparseMatrix<double>& matrix) {
  std::string body;
  body.reserve(static_cast<std::size_t>(matrix.nonZeros()) * 40);
  std::int64_t count = 0;
  for (Eigen::Index j = 0; j < matrix.outerSize(); ++j)
    for (Eigen::SparseMatrix<double>::InnerIterator it(matrix, j); it; ++it) {
      matrix_market_detail::check_finite_for_writing(path, it.row(), it.col(), it.value());
      matrix_market_detail::append_index(body, it.row() + 1);
      body.push_back(' ');
      matrix_market_detail::append_index(body, it.col() + 1);
      body.push_back(' ');
      matrix_market_detail::append_value(body, it.value());
      body.push_back('\n');
      ++count;
    }
  const std::string header =
      "%%MatrixMarket matrix coordinate real general\n% written by "
      "deepsolve\n" +
      std::to_string(matrix.rows()) + " " + std::to_string(matrix.cols()) + " " +
      std::to_string(count) + "\n";
  learned::write_file_atomically(path, {header, body});
}

}  // namespace deepsolve::solvers
