#include "deepsolve/learned/training/progress.hpp"

#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <string>

namespace deepsolve::learned {

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0.0) return "?";
  const auto total = static_cast<long long>(std::llround(seconds));
  char buf[64];
  std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", total / 3600, (total / 60) % 60, total % 60);
  return buf;
}

std::string format_progress(const EpochProgress& p) {
  const int width = static_cast<int>(std::to_string(p.epochs).size());
  char val[32];
  if (std::isnan(p.validation_loss))
    std::snprintf(val, sizeof val, "-");
  else
    std::snprintf(val, sizeof val, "%.4e", p.validation_loss);
  char lr[32] = "";
  if (!std::isnan(p.lr)) std::snprintf(lr, sizeof lr, "  lr %.3e", p.lr);
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "epoch %*lld/%lld  train %.4e  val %s%s  %.1f samples/s  elapsed %s  ETA %s", width,
                static_cast<long long>(p.epoch), static_cast<long long>(p.epochs), p.train_loss,
                val, lr, p.samples_per_second, format_duration(p.elapsed_seconds).c_str(),
                format_duration(p.eta_seconds).c_str());
  return buf;
}

ProgressMeter::ProgressMeter(std::int64_t first_epoch, std::int64_t epochs, Clock clock)
    : first_epoch_(first_epoch), epochs_(epochs), clock_(std::move(clock)) {
  if (first_epoch < 0 || epochs < first_epoch)
    throw std::invalid_argument("ProgressMeter: first epoch " + std::to_string(first_epoch) +
                                " and total " + std::to_string(epochs) + " do not fit");
  if (!clock_) {
    clock_ = [] {
      return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
          .count();
    };
  }
  restart();
}

void ProgressMeter::restart() {
  start_ = clock_();
}

double ProgressMeter::elapsed() const {
  return clock_() - start_;
}

EpochProgress ProgressMeter::epoch_done(std::int64_t epoch, double train_loss,
                                        double validation_loss, std::int64_t samples,
                                        double train_seconds) const {
  EpochProgress p;
  p.epoch = epoch;
  p.epochs = epochs_;
  p.train_loss = train_loss;
  p.validation_loss = validation_loss;
  p.samples_per_second = train_seconds > 0.0 ? static_cast<double>(samples) / train_seconds : 0.0;
  p.elapsed_seconds = elapsed();
  const std::int64_t done = epoch - first_epoch_;
  p.eta_seconds = done > 0 ? p.elapsed_seconds / static_cast<double>(done) *
                                 static_cast<double>(epochs_ - epoch)
                           : std::nan("");
  return p;
}

}  // namespace deepsolve::learned
