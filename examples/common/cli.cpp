#include "common/cli.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <stdexcept>

#include "deepsolve/learned/atomic_file.hpp"

namespace deepsolve::examples {

std::string join(const std::vector<std::string>& items, const char* separator) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : separator) + s;
  return out;
}

std::vector<std::string> split_list(const std::string& text, bool keep_empty) {
  std::vector<std::string> out;
  std::string item;
  std::istringstream in(text);
  while (std::getline(in, item, ',')) {
    const auto b = item.find_first_not_of(" \t"), e = item.find_last_not_of(" \t");
    if (b == std::string::npos) {
      if (keep_empty) out.emplace_back();
      continue;
    }
    out.push_back(item.substr(b, e - b + 1));
  }
  return out;
}

std::string format_number(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

std::string one_line(std::string s) {
  for (char& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

std::string quote_command(const std::vector<std::string>& args) {
  std::string out;
  for (const auto& a : args) {
    if (!out.empty()) out += ' ';
    const bool plain = !a.empty() && a.find_first_not_of(
                                         "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                         "0123456789-_./=:,+@%") == std::string::npos;
    if (plain) {
      out += a;
      continue;
    }
    out += '\'';
    for (char c : a) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    out += '\'';
  }
  return out;
}

std::string command_record(const std::vector<std::string>& args) {
  if (args.empty()) return "";
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  return rest.empty() ? args[0] : args[0] + " " + quote_command(rest);
}

void check(bool ok, const std::string& message) {
  if (!ok) throw std::invalid_argument(message);
}

void check_at_least(const std::string& option, std::int64_t value, std::int64_t min) {
  check(value >= min,
        option + " must be at least " + std::to_string(min) + ", got " + std::to_string(value));
}

void check_non_negative(const std::string& option, std::int64_t value) {
  check(value >= 0, option + " must be >= 0, got " + std::to_string(value));
}

void check_positive_finite(const std::string& option, double value) {
  check(value > 0.0 && std::isfinite(value),
        option + " must be positive and finite, got " + format_number(value));
}

void check_choice(const std::string& option, const std::string& kind, const std::string& value,
                  const std::vector<std::string>& valid) {
  check(std::find(valid.begin(), valid.end(), value) != valid.end(),
        option + ": unknown " + kind + " '" + value + "' (valid: " + join(valid) + ")");
}

void setup_app(CLI::App& app, std::size_t column_width, const std::string& footer) {
  app.set_help_flag("-h,--help", "Print this help and exit");
  app.get_formatter()->column_width(column_width);
  app.footer(footer);
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
}

std::string parse(CLI::App& app, const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::CallForHelp&) {
    return app.help();
  } catch (const CLI::ParseError& e) {
    throw std::invalid_argument(std::string(e.what()) + " (see --help)");
  }
  return "";
}

OutputFiles& OutputFiles::add(const std::string& option, const std::string& path) {
  if (!path.empty()) files_.emplace_back(option, path);
  return *this;
}

void OutputFiles::check_distinct() const {
  for (std::size_t i = 0; i < files_.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      check(files_[i].second != files_[j].second,
            files_[j].first + " and " + files_[i].first + " name the same file");
}

void OutputFiles::check_writable() const {
  for (const auto& [option, path] : files_) deepsolve::learned::check_output_path(path, option);
}

void print_error(const std::string& program, const std::string& message) {
  std::fflush(stdout);
  std::fprintf(stderr, "%s: error: %s\n", program.c_str(), one_line(message).c_str());
  std::fflush(stderr);
}

}  // namespace deepsolve::examples
