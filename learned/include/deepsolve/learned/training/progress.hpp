// One progress line per epoch:
//
//   epoch  3/20  train 1.2346e-02  val 1.3012e-02  lr 1.000e-04  812.4 samples/s
//       elapsed 0:01:23  ETA 0:07:51                                     (all on one line)
//
// The learning rate ("lr", that of the epoch's training) is left out when unknown (NaN).
// The ETA is the mean wall time per epoch of this run times the epochs left; a resumed run counts
// only its own epochs (the clock restarts with the process). No validation set: "val -". Nothing
// here prints: the caller decides where the line goes (rank 0's stdout in the trainers).
#pragma once

#include <chrono>
#include <cmath>
#include <cstdint>
#include <functional>
#include <string>

namespace deepsolve::learned {

/// "H:MM:SS" (hours unbounded: "27:46:40"), rounded to the second; "?" for NaN, infinite or
/// negative values.
std::string format_duration(double seconds);

struct EpochProgress {
  std::int64_t epoch = 0;   ///< 1-based number of the epoch just finished
  std::int64_t epochs = 0;  ///< total epochs of the training
  double train_loss = 0.0;
  double validation_loss = 0.0;  ///< NaN when there is no validation set
  double lr = std::nan("");      ///< the epoch's learning rate; NaN when unknown (not shown)
  double samples_per_second = 0.0;
  double elapsed_seconds = 0.0;  ///< since this run started
  double eta_seconds = 0.0;      ///< NaN when unknown
};

/// The line above, without a newline. The epoch number is padded to the width of `epochs`.
std::string format_progress(const EpochProgress& p);

/// Keeps the clock for the lines of one run.
class ProgressMeter {
 public:
  using Clock = std::function<double()>;  ///< seconds since any fixed origin

  /// `first_epoch`: the number of epochs done before this run (a resumed run), `epochs`: the total.
  /// The clock defaults to std::chrono::steady_clock; tests pass their own.
  ProgressMeter(std::int64_t first_epoch, std::int64_t epochs, Clock clock = {});

  /// Restarts the clock (the constructor starts it).
  void restart();

  /// The progress after epoch `epoch` (first_epoch < epoch <= epochs), which processed
  /// `samples` training samples in `train_seconds` of wall time.
  EpochProgress epoch_done(std::int64_t epoch, double train_loss, double validation_loss,
                           std::int64_t samples, double train_seconds) const;

  /// Seconds since the start of this run.
  double elapsed() const;

 private:
  std::int64_t first_epoch_, epochs_;
  Clock clock_;
  double start_ = 0.0;
};

}  // namespace deepsolve::learned
