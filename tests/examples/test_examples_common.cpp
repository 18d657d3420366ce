// examples/common: the command-line helpers, the output-path checks, CSV and JSON text, and (when
// built with libpng and Cairo) PNG images and line plots read back with libpng.
#include <gtest/gtest.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <iterator>
#include <set>
#include <stdexcept>
#include <string>

#include "../support/expect_error.hpp"
#include "../support/temp_dir.hpp"
#include "common/cli.hpp"
#include "common/output.hpp"
#ifdef DEEPSOLVE_EXAMPLES_GRAPHICS
#include "common/image.hpp"
#include "common/plot.hpp"
#endif

namespace ex = deepsolve::examples;

using deepsolve_test::expect_error;
using deepsolve_test::TempDir;

TEST(ExamplesCommon, QuoteCommandQuotesForAPosixShell) {
  EXPECT_EQ(ex::quote_command({"train_dcdm", "--out", "a.pt"}), "train_dcdm --out a.pt");
  EXPECT_EQ(ex::quote_command({"x", "", "a b", "it's"}), "x '' 'a b' 'it'\\''s'");
}

TEST(ExamplesCommon, OneLineAndLists) {
  EXPECT_EQ(ex::one_line("a\nb\r\nc \n"), "a b  c");
  EXPECT_EQ(ex::join({"a", "b", "c"}), "a, b, c");
  EXPECT_EQ(ex::split_list(" a, b ,,c"), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(ex::split_list("a,,b", true), (std::vector<std::string>{"a", "", "b"}));
}

TEST(ExamplesCommon, ChecksNameTheOption) {
  expect_error([] { ex::check_at_least("--size", 0, 1); }, "--size must be at least 1, got 0");
  expect_error([] { ex::check_non_negative("--max-it", -2); }, "--max-it must be >= 0, got -2");
  expect_error([] { ex::check_positive_finite("--lr", -0.5); },
               "--lr must be positive and finite, got -0.5");
  expect_error([] { ex::check_positive_finite("--lr", INFINITY); },
               "--lr must be positive and finite, got inf");
  expect_error(
      [] {
        ex::check_choice("--bc", "boundary condition", "robin", {"a", "b"});
      },
      "--bc: unknown boundary condition 'robin' (valid: a, b)");
  EXPECT_NO_THROW(ex::check_choice("--bc", "boundary condition", "a", {"a", "b"}));
}

TEST(ExamplesCommon, ParseGivesHelpAndOneLineErrors) {
  int n = 3;
  CLI::App app{"test", "test"};
  ex::setup_app(app, 20, "FOOTER");
  app.add_option("--n", n, "A number");
  EXPECT_NE(ex::parse(app, {"test", "--help"}).find("FOOTER"), std::string::npos);
  EXPECT_EQ(ex::parse(app, {"test", "--n", "4", "--n", "5"}), "");
  EXPECT_EQ(n, 5);  // the last of a repeated option wins
  expect_error<std::invalid_argument>(
      [&] {
        ex::parse(app, {"test", "--m"});
      },
      {"--m", "(see --help)"});
}

TEST(ExamplesCommon, OutputFilesAreCheckedBeforeAnyWork) {
  TempDir dir;
  ex::OutputFiles files;
  files.add("--json", dir.file("a.json")).add("--csv", "").add("--png", dir.file("a.png"));
  EXPECT_NO_THROW(files.check_distinct());
  EXPECT_NO_THROW(files.check_writable());

  ex::OutputFiles same;
  same.add("--json", "x.json").add("--csv", "y.csv").add("--png", "x.json");
  expect_error([&] { same.check_distinct(); }, "--json and --png name the same file");

  // A folder, and a file in a folder that does not exist: the option and the path are named.
  ex::OutputFiles folder;
  folder.add("--json", dir.path().string());
  expect_error<std::invalid_argument>([&] { folder.check_writable(); },
                                      {"--json " + dir.path().string() + ": ", "folder"});
  ex::OutputFiles missing;
  missing.add("--csv", dir.file("no-such-dir/a.csv"));
  expect_error<std::invalid_argument>(
      [&] { missing.check_writable(); },
      {"--csv " + dir.file("no-such-dir/a.csv") + ": ", "does not exist"});
}

TEST(ExamplesCommon, CsvQuotesWhatNeedsIt) {
  ex::Csv csv({"name", "value"});
  csv.row({"plain", ex::Csv::number(0.1)}).row({"a,b \"c\"", ex::Csv::number(1e-300)});
  EXPECT_EQ(csv.text(), "name,value\nplain,0.1\n\"a,b \"\"c\"\"\",1e-300\n");
  EXPECT_THROW(csv.row({"one cell"}), std::invalid_argument);
}

TEST(ExamplesCommon, JsonTextAndFile) {
  TempDir dir;
  const nlohmann::json j = {{"a", 1}, {"b", {1.5, 2.5}}};
  EXPECT_EQ(ex::json_text(j), j.dump(2) + "\n");
  const std::string path = dir.file("out.json");
  ex::write_json(path, j);
  std::ifstream in(path);
  EXPECT_EQ(nlohmann::json::parse(in), j);
}

#ifdef DEEPSOLVE_EXAMPLES_GRAPHICS
TEST(ExamplesCommon, PngRoundTripThroughLibpng) {
  ex::Image image(7, 5, {10, 20, 30});
  image.set(3, 2, {255, 0, 128});
  image.set(-1, 9, {1, 2, 3});  // outside: ignored
  const std::string png = ex::encode_png(image);
  ASSERT_EQ(png.compare(0, 8, "\x89PNG\r\n\x1a\n"), 0);
  const ex::Image back = ex::decode_png(png);
  EXPECT_EQ(back.width(), 7);
  EXPECT_EQ(back.height(), 5);
  EXPECT_EQ(back.bytes(), image.bytes());
  EXPECT_THROW(ex::decode_png("not a png", "x.png"), std::runtime_error);
  EXPECT_THROW(ex::decode_png(png.substr(0, png.size() / 2), "x.png"), std::runtime_error);
  EXPECT_THROW(ex::Image(0, 5), std::invalid_argument);
}

TEST(ExamplesCommon, LinePlotDrawsAxesCurvesAndLegend) {
  ex::LinePlot plot;
  plot.title = "loss";
  plot.x_label = "epoch";
  plot.y_label = "loss";
  std::vector<double> x, falling, exploding;
  for (int e = 0; e <= 10; ++e) {
    x.push_back(e);
    falling.push_back(1.0 / (1 + e));
    exploding.push_back(e < 6 ? 1.0 - 0.05 * e : std::pow(1e10, e - 5.0));  // clipped, not drawn
  }
  exploding[8] = NAN;  // a break in the line
  plot.series.push_back({"a train", x, falling, ex::palette(0), false});
  plot.series.push_back({"b test", x, exploding, ex::palette(1), true});
  plot.y_max = 1.25;
  const ex::Image image = ex::decode_png(ex::plot_png(plot, 640, 420));
  ASSERT_EQ(image.width(), 640);
  ASSERT_EQ(image.height(), 420);
  // Both series' colours are there (the curves and the legend; anti-aliased, so nearly), black
  // text and axes, and many shades: a plot, not a blank image.
  const auto near = [](ex::Rgb a, ex::Rgb b) {
    return std::abs(a.r - b.r) + std::abs(a.g - b.g) + std::abs(a.b - b.b) < 60;
  };
  std::set<std::uint32_t> colours;
  int first = 0, second = 0, black = 0;
  for (int y = 0; y < image.height(); ++y)
    for (int xx = 0; xx < image.width(); ++xx) {
      const ex::Rgb c = image.get(xx, y);
      colours.insert((std::uint32_t{c.r} << 16) | (std::uint32_t{c.g} << 8) | c.b);
      first += near(c, ex::palette(0));
      second += near(c, ex::palette(1));
      black += c == ex::Rgb{0, 0, 0};
    }
  EXPECT_GT(first, 100);
  EXPECT_GT(second, 50);
  EXPECT_GT(black, 500);
  EXPECT_GT(colours.size(), 20u);
  EXPECT_EQ(image.get(0, 0), (ex::Rgb{255, 255, 255}));
  EXPECT_THROW(ex::render(plot, 100, 100), std::invalid_argument);
}

TEST(ExamplesCommon, NiceSteps) {
  EXPECT_DOUBLE_EQ(ex::nice_step(10, 5), 2);
  EXPECT_DOUBLE_EQ(ex::nice_step(1, 8), 0.1);
  EXPECT_DOUBLE_EQ(ex::nice_step(30, 6), 5);
}
#endif
