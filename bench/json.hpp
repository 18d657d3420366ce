// A minimal JSON value with a writer and a parser, enough for the benchmark result files (the
// benchmarks write them, bench_report reads them back). Numbers are doubles; objects keep their key
// order. Not a general-purpose library: no \u escapes beyond ASCII on output.
#pragma once

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace deepsolve::bench {

class Json {
 public:
  enum class Type { null, boolean, number, string, array, object };

  Json() = default;
  Json(std::nullptr_t) {}
  Json(bool b) : type_(Type::boolean), bool_(b) {}
  Json(double d) : type_(Type::number), number_(d) {}
  Json(int i) : Json(static_cast<double>(i)) {}
  Json(long i) : Json(static_cast<double>(i)) {}
  Json(long long i) : Json(static_cast<double>(i)) {}
  Json(unsigned long i) : Json(static_cast<double>(i)) {}
  Json(const char* s) : type_(Type::string), string_(s) {}
  Json(std::string s) : type_(Type::string), string_(std::move(s)) {}

  static Json array() {
    Json j;
    j.type_ = Type::array;
    return j;
  }
  static Json object() {
    Json j;
    j.type_ = Type::object;
    return j;
  }

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::null; }
  bool is_number() const { return type_ == Type::number; }
  bool is_string() const { return type_ == Type::string; }
  bool is_array() const { return type_ == Type::array; }
  bool is_object() const { return type_ == Type::object; }

  double number() const {
    if (type_ == Type::boolean) return bool_ ? 1.0 : 0.0;
    if (type_ != Type::number) throw std::runtime_error("JSON value is not a number");
    return number_;
  }
  bool boolean() const {
    if (type_ != Type::boolean) throw std::runtime_error("JSON value is not a boolean");
    return bool_;
  }
  const std::string& string() const {
    if (type_ != Type::string) throw std::runtime_error("JSON value is not a string");
    return string_;
  }
  const std::vector<Json>& items() const { return items_; }
  const std::vector<std::pair<std::string, Json>>& members() const { return members_; }

  /// Appends to an array (a null value becomes an array).
  Json& push(Json v) {
    if (type_ == Type::null) type_ = Type::array;
    items_.push_back(std::move(v));
    return items_.back();
  }
  /// Sets or replaces a member of an object (a null value becomes an object).
  Json& set(const std::string& key, Json v) {
    if (type_ == Type::null) type_ = Type::object;
    for (auto& [k, m] : members_)
      if (k == key) return m = std::move(v);
    members_.emplace_back(key, std::move(v));
    return members_.back().second;
  }
  /// The member `key`, or nullptr.
  const Json* find(const std::string& key) const {
    for (const auto& [k, m] : members_)
      if (k == key) return &m;
    return nullptr;
  }
  const Json& operator[](const std::string& key) const {
    if (const Json* m = find(key)) return *m;
    throw std::runtime_error("JSON object has no member '" + key + "'");
  }
  double number_or(const std::string& key, double fallback) const {
    const Json* m = find(key);
    return m && (m->is_number() || m->type_ == Type::boolean) ? m->number() : fallback;
  }
  std::string string_or(const std::string& key, const std::string& fallback) const {
    const Json* m = find(key);
    return m && m->is_string() ? m->string() : fallback;
  }

  std::string dump(int indent = 2) const {
    std::string out;
    write(out, indent, 0);
    out += '\n';
    return out;
  }

  static Json parse(const std::string& text) {
    std::size_t pos = 0;
    Json v = parse_value(text, pos);
    skip_space(text, pos);
    if (pos != text.size()) fail(text, pos, "trailing characters");
    return v;
  }

 private:
  static void write_string(std::string& out, const std::string& s) {
    out += '"';
    for (char c : s) {
      switch (c) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\t':
          out += "\\t";
          break;
        case '\r':
          out += "\\r";
          break;
        default:
          if (static_cast<unsigned char>(c) < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
          } else {
            out += c;
          }
      }
    }
    out += '"';
  }

  void write(std::string& out, int indent, int depth) const {
    const std::string pad(static_cast<std::size_t>(indent * (depth + 1)), ' ');
    const std::string close_pad(static_cast<std::size_t>(indent * depth), ' ');
    switch (type_) {
      case Type::null:
        out += "null";
        break;
      case Type::boolean:
        out += bool_ ? "true" : "false";
        break;
      case Type::number: {
        if (!std::isfinite(number_)) {
          out += "null";
        } else {
          char buf[32];
          std::snprintf(buf, sizeof buf, "%.17g", number_);
          out += buf;
        }
        break;
      }
      case Type::string:
        write_string(out, string_);
        break;
      case Type::array: {
        out += '[';
        for (std::size_t i = 0; i < items_.size(); ++i) {
          out += i ? ",\n" : "\n";
          out += pad;
          items_[i].write(out, indent, depth + 1);
        }
        if (!items_.empty()) out += "\n" + close_pad;
        out += ']';
        break;
      }
      case Type::object: {
        out += '{';
        for (std::size_t i = 0; i < members_.size(); ++i) {
          out += i ? ",\n" : "\n";
          out += pad;
          write_string(out, members_[i].first);
          out += ": ";
          members_[i].second.write(out, indent, depth + 1);
        }
        if (!members_.empty()) out += "\n" + close_pad;
        out += '}';
        break;
      }
    }
  }

  [[noreturn]] static void fail(const std::string& text, std::size_t pos, const char* what) {
    (void)text;
    throw std::runtime_error(std::string("JSON parse error at offset ") + std::to_string(pos) +
                             ": " + what);
  }
  static void skip_space(const std::string& t, std::size_t& p) {
    while (p < t.size() && (t[p] == ' ' || t[p] == '\n' || t[p] == '\t' || t[p] == '\r')) ++p;
  }
  static bool consume(const std::string& t, std::size_t& p, const char* word) {
    const std::string w(word);
    if (t.compare(p, w.size(), w) != 0) return false;
    p += w.size();
    return true;
  }
  static std::string parse_string(const std::string& t, std::size_t& p) {
    if (p >= t.size() || t[p] != '"') fail(t, p, "expected a string");
    ++p;
    std::string s;
    while (p < t.size() && t[p] != '"') {
      char c = t[p++];
      if (c != '\\') {
        s += c;
        continue;
      }
      if (p >= t.size()) fail(t, p, "unterminated escape");
      c = t[p++];
      switch (c) {
        case 'n':
          s += '\n';
          break;
        case 't':
          s += '\t';
          break;
        case 'r':
          s += '\r';
          break;
        case 'b':
          s += '\b';
          break;
        case 'f':
          s += '\f';
          break;
        case 'u': {
          if (p + 4 > t.size()) fail(t, p, "short \\u escape");
          const unsigned code = static_cast<unsigned>(std::stoul(t.substr(p, 4), nullptr, 16));
          p += 4;
          if (code < 0x80) {
            s += static_cast<char>(code);
          } else if (code < 0x800) {
            s += static_cast<char>(0xC0 | (code >> 6));
            s += static_cast<char>(0x80 | (code & 0x3F));
          } else {
            s += static_cast<char>(0xE0 | (code >> 12));
            s += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
            s += static_cast<char>(0x80 | (code & 0x3F));
          }
          break;
        }
        default:
          s += c;
      }
    }
    if (p >= t.size()) fail(t, p, "unterminated string");
    ++p;
    return s;
  }
  static Json parse_value(const std::string& t, std::size_t& p) {
    skip_space(t, p);
    if (p >= t.size()) fail(t, p, "unexpected end");
    const char c = t[p];
    if (c == '{') {
      ++p;
      Json obj = object();
      skip_space(t, p);
      if (p < t.size() && t[p] == '}') return ++p, obj;
      for (;;) {
        skip_space(t, p);
        std::string key = parse_string(t, p);
        skip_space(t, p);
        if (p >= t.size() || t[p] != ':') fail(t, p, "expected ':'");
        ++p;
        obj.members_.emplace_back(std::move(key), parse_value(t, p));
        skip_space(t, p);
        if (p < t.size() && t[p] == ',') {
          ++p;
          continue;
        }
        if (p < t.size() && t[p] == '}') return ++p, obj;
        fail(t, p, "expected ',' or '}'");
      }
    }
    if (c == '[') {
      ++p;
      Json arr = array();
      skip_space(t, p);
      if (p < t.size() && t[p] == ']') return ++p, arr;
      for (;;) {
        arr.items_.push_back(parse_value(t, p));
        skip_space(t, p);
        if (p < t.size() && t[p] == ',') {
          ++p;
          continue;
        }
        if (p < t.size() && t[p] == ']') return ++p, arr;
        fail(t, p, "expected ',' or ']'");
      }
    }
    if (c == '"') return Json(parse_string(t, p));
    if (consume(t, p, "true")) return Json(true);
    if (consume(t, p, "false")) return Json(false);
    if (consume(t, p, "null")) return Json();
    const char* begin = t.c_str() + p;
    char* end = nullptr;
    const double d = std::strtod(begin, &end);
    if (end == begin) fail(t, p, "unexpected character");
    p += static_cast<std::size_t>(end - begin);
    return Json(d);
  }

  Type type_ = Type::null;
  bool bool_ = false;
  double number_ = 0.0;
  std::string string_;
  std::vector<Json> items_;
  std::vector<std::pair<std::string, Json>> members_;
};

}  // namespace deepsolve::bench
