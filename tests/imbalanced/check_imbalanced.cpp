// Checks what an imbalanced run wrote (its ctests):
//   check_imbalanced run RUN.json RUN.csv RUN.png WIDTH HEIGHT [F1_SLACK]
//     JSON: every metric of every run in [0, 1]; every training lowered its training loss and did
//     not diverge; the curves have one value per epoch plus the start. CSV: the part 2 curves of
//     the JSON, row by row. PNG: read back by libpng, WIDTH x HEIGHT pixels, and more than a few
//     colours (the curves were drawn). With F1_SLACK: on the binary problem, anyloss-f1's F1 >=
//     cross-entropy's - slack.
//   check_imbalanced same A.json B.json
//     Two runs of the same command: the same numbers (every field but the timings).
// Prints what failed and exits 1, or exits 0.
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "common/image.hpp"

#include "../support/check_program.hpp"

namespace {

using deepsolve_test::expect;
using deepsolve_test::failures;
using deepsolve_test::read_file;

double number(const nlohmann::json& j) {
  return j.is_number() ? j.get<double>() : std::nan("");
}

void check_metrics(const nlohmann::json& m, const std::string& where) {
  for (const char* key : {"f1", "balanced_accuracy", "auc", "accuracy"}) {
    const double v = number(m[key]);
    expect(v >= 0 && v <= 1, where + ": " + key + " = " + m[key].dump() + " is not in [0, 1]");
  }
}

void check_curve(const nlohmann::json& c, std::int64_t epochs, const std::string& where) {
  const auto& train = c["train_loss"];
  const auto& test = c["test_loss"];
  expect(!c["diverged"].get<bool>(), where + ": diverged");
  expect(train.size() == static_cast<std::size_t>(epochs + 1) && test.size() == train.size(),
         where + ": " + std::to_string(train.size()) + " train and " + std::to_string(test.size()) +
             " test losses, expected " + std::to_string(epochs + 1));
  for (std::size_t i = 0; i < train.size(); ++i)
    expect(std::isfinite(number(train[i])) && std::isfinite(number(test[i])),
           where + ": a loss at epoch " + std::to_string(i) + " is not finite");
  if (train.empty()) return;
  expect(number(train.back()) < number(train.front()),
         where + ": the training loss did not decrease (" + train.front().dump() + " -> " +
             train.back().dump() + ")");
}

// Read back with libpng (examples/common's decode_png): a valid PNG of the asked size, with more
// than a few colours (the curves were drawn, not a blank image).
void check_png(const std::string& path, int width, int height) {
  deepsolve::examples::Image image(1, 1);
  try {
    image = deepsolve::examples::decode_png(read_file(path), path);
  } catch (const std::exception& e) {
    expect(false, e.what());
    return;
  }
  expect(image.width() == width && image.height() == height,
         path + ": the image is " + std::to_string(image.width()) + "x" +
             std::to_string(image.height()) + ", expected " + std::to_string(width) + "x" +
             std::to_string(height));
  std::set<std::uint32_t> colours;
  const auto& bytes = image.bytes();
  for (std::size_t i = 0; i + 2 < bytes.size(); i += 3)
    colours.insert((std::uint32_t{bytes[i]} << 16) | (std::uint32_t{bytes[i + 1]} << 8) |
                   bytes[i + 2]);
  expect(colours.size() >= 5,
         path + ": only " + std::to_string(colours.size()) + " colours: the curves were not drawn");
}

void check_csv(const std::string& path, const nlohmann::json& runs) {
  std::istringstream in(read_file(path));
  std::string line;
  std::getline(in, line);
  expect(line == "optimizer,epoch,train_loss,test_loss", path + ": header '" + line + "'");
  for (const auto& r : runs) {
    const auto& c = r["curve"];
    for (std::size_t e = 0; e < c["train_loss"].size(); ++e) {
      std::getline(in, line);
      std::istringstream cells(line);
      std::string name, epoch, train, test;
      std::getline(cells, name, ',');
      std::getline(cells, epoch, ',');
      std::getline(cells, train, ',');
      std::getline(cells, test, ',');
      const auto close = [](const std::string& text, const nlohmann::json& v) {
        return !text.empty() && std::abs(std::stod(text) - number(v)) <= 1e-8 * std::abs(number(v));
      };
      expect(name == r["optimizer"].get<std::string>() && epoch == std::to_string(e) &&
                 close(train, c["train_loss"][e]) && close(test, c["test_loss"][e]),
             path + ": row '" + line + "' is not " + r["optimizer"].get<std::string>() + " epoch " +
                 std::to_string(e) + " of the JSON");
    }
  }
  expect(!std::getline(in, line) || line.empty(), path + ": extra row '" + line + "'");
}

// The JSON without the fields that differ between two identical runs (wall-clock times).
nlohmann::json without_times(nlohmann::json j) {
  for (auto& study : j["losses"])
    for (auto& r : study["runs"]) r["curve"].erase("seconds");
  if (j["optimizers"].is_object())
    for (auto& r : j["optimizers"]["runs"]) r["curve"].erase("seconds");
  j.erase("command");
  return j;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() == 3 && args[0] == "same") {
    const auto a = without_times(nlohmann::json::parse(read_file(args[1])));
    const auto b = without_times(nlohmann::json::parse(read_file(args[2])));
    expect(a == b, args[1] + " and " + args[2] + " differ: " + nlohmann::json::diff(a, b).dump());
  } else if ((args.size() == 6 || args.size() == 7) && args[0] == "run") {
    const auto j = nlohmann::json::parse(read_file(args[1]));
    const auto& s = j["settings"];
    expect(j["losses"].size() == 2, "expected the losses of 2 problems");
    for (const auto& study : j["losses"]) {
      const std::string problem = study["problem"]["name"];
      expect(study["runs"].size() == s["losses"].size(), problem + ": not one run per loss");
      for (const auto& r : study["runs"]) {
        const std::string where = problem + " " + r["loss"].get<std::string>();
        check_metrics(r["metrics"], where);
        check_curve(r["curve"], s["epochs"], where);
      }
    }
    const auto& runs = j["optimizers"]["runs"];
    expect(runs.size() == s["optimizers"].size(), "not one run per optimizer");
    for (const auto& r : runs) {
      const std::string where = "optimizer " + r["optimizer"].get<std::string>();
      check_metrics(r["metrics"], where);
      check_curve(r["curve"], s["curve_epochs"], where);
    }
    check_csv(args[2], runs);
    check_png(args[3], std::stoi(args[4]), std::stoi(args[5]));
    if (args.size() == 7) {
      const double slack = std::stod(args[6]);
      double f1_any = std::nan(""), f1_ce = std::nan("");
      for (const auto& study : j["losses"])
        if (study["problem"]["name"] == "binary")
          for (const auto& r : study["runs"]) {
            if (r["loss"] == "anyloss-f1") f1_any = number(r["metrics"]["f1"]);
            if (r["loss"] == "cross-entropy") f1_ce = number(r["metrics"]["f1"]);
          }
      expect(f1_any >= f1_ce - slack, "binary: anyloss-f1's F1 " + std::to_string(f1_any) +
                                          " < cross-entropy's " + std::to_string(f1_ce) + " - " +
                                          std::to_string(slack));
    }
  } else {
    std::fprintf(stderr,
                 "usage: check_imbalanced run RUN.json RUN.csv RUN.png WIDTH HEIGHT [F1_SLACK]\n"
                 "       check_imbalanced same A.json B.json\n");
    return 2;
  }
  if (failures == 0) std::printf("ok\n");
  return failures == 0 ? 0 : 1;
}
