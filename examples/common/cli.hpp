// What the example programs' command lines share: CLI11 set up and parsed the same way, the checks
// that name the offending option, the output files checked before any work starts, and the one
// error line every example ends with ("<program>: error: ...").
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace CLI {
class App;
}

namespace deepsolve::examples {

/// "a, b, c".
std::string join(const std::vector<std::string>& items, const char* separator = ", ");
/// "a,b, c" -> {a, b, c}, each item without surrounding blanks. With `keep_empty` an empty item
/// stays (so that the caller can name it in an error), otherwise it is dropped.
std::vector<std::string> split_list(const std::string& text, bool keep_empty = false);
/// `v` as `operator<<` prints it (6 significant digits), for messages.
std::string format_number(double v);
/// `s` with its line breaks as blanks and no trailing blanks: error messages are one line.
std::string one_line(std::string s);
/// The command line as one string a POSIX shell reads back as the same arguments (for the
/// records a run writes: JSON, model metadata).
std::string quote_command(const std::vector<std::string>& args);
/// The command line of a program with commands, for the same records: args[0] is "<program>
/// <command>" (kept as the two words it is), then the arguments, quoted as quote_command does.
std::string command_record(const std::vector<std::string>& args);

/// Throws std::invalid_argument(message) unless `ok`.
void check(bool ok, const std::string& message);
/// "<option> must be at least <min>, got <value>".
void check_at_least(const std::string& option, std::int64_t value, std::int64_t min);
/// "<option> must be >= 0, got <value>".
void check_non_negative(const std::string& option, std::int64_t value);
/// "<option> must be positive and finite, got <value>".
void check_positive_finite(const std::string& option, double value);
/// "<option>: unknown <kind> '<value>' (valid: a, b, c)" unless `value` is one of `valid`.
void check_choice(const std::string& option, const std::string& kind, const std::string& value,
                  const std::vector<std::string>& valid);

/// -h/--help, the width of the option column, the text after the options, and the last of a
/// repeated option wins (as in most Unix tools).
void setup_app(CLI::App& app, std::size_t column_width, const std::string& footer);
/// Parses `args` (args[0] is the program name). Returns the help text when --help was asked for,
/// "" otherwise. Throws std::invalid_argument "<CLI11's message> (see --help)".
std::string parse(CLI::App& app, const std::vector<std::string>& args);

/// The files a run will write, each with the option that names it.
class OutputFiles {
 public:
  /// Adds `path` as written by `option`; an empty path (option not given) is ignored.
  OutputFiles& add(const std::string& option, const std::string& path);
  /// Throws std::invalid_argument "<a> and <b> name the same file" when two options name one path.
  void check_distinct() const;
  /// deepsolve::learned::check_output_path on each (a folder, a missing or read-only folder is
  /// refused with the option and the path): called before any work starts, so that a bad path
  /// fails at once, not after the run.
  void check_writable() const;

 private:
  std::vector<std::pair<std::string, std::string>> files_;
};

/// Flushes stdout, then prints "<program>: error: <message on one line>" to stderr.
void print_error(const std::string& program, const std::string& message);

}  // namespace deepsolve::examples
