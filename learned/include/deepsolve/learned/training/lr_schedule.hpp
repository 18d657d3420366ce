// Learning-rate schedules for fit(): the learning rate of epoch e (1-based) is a pure function of
// e, the optimizer's base learning rate and the planned number of epochs E, so a resumed run sets
// exactly the rate an uninterrupted one would, with nothing to store in the checkpoint.
//
//   constant                      lr(e) = base
//   step:every=K[,gamma=G]        lr(e) = base * G^floor((e-1)/K)          (G defaults to 0.1)
//   exponential:gamma=G           lr(e) = base * G^(e-1)
//   cosine[:min=M]                lr(e) = M + (base-M) * (1 + cos(pi (e-1)/(E-1))) / 2
//                                 (base at epoch 1, M at epoch E; base when E = 1; M defaults to 0)
//
// Any of them takes warmup=W: epochs 1..W use lr(e) * e/(W+1) (a linear ramp towards the
// schedule), epoch W+1 onwards lr(e) itself. The schedule counts epochs from 1 either way.
//
// As text (command lines): the name, then optionally ':' and comma-separated key=value pairs,
// e.g. "cosine:min=1e-5,warmup=3" or "step:every=10,gamma=0.5". parse_lr_schedule throws
// std::invalid_argument naming the bad name, key or value.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace deepsolve::learned {

struct LrSchedule {
  enum class Kind { constant, step, exponential, cosine };
  Kind kind = Kind::constant;
  std::int64_t every = 1;   ///< step: epochs between reductions (>= 1)
  double gamma = 0.1;       ///< step, exponential: the factor (> 0)
  double min_lr = 0.0;      ///< cosine: the floor reached at the last epoch (>= 0, absolute)
  std::int64_t warmup = 0;  ///< epochs of linear warm-up (>= 0)
};

/// "constant", "step", "exponential", "cosine".
std::vector<std::string> lr_schedule_names();

/// Parses the text form above.
LrSchedule parse_lr_schedule(const std::string& text);

/// The canonical text form (every key of the kind, numbers in shortest form), which parses back to
/// the same schedule: "step:every=10,gamma=0.5", "cosine:min=0,warmup=2", "constant".
std::string to_string(const LrSchedule& schedule);

/// True for "constant" without warm-up: the trainer leaves the learning rate alone.
bool is_constant(const LrSchedule& schedule);

/// The learning rate of epoch `epoch` (1 <= epoch <= epochs) for the base rate `base_lr`. Throws
/// std::invalid_argument for an epoch out of range or an invalid schedule.
double scheduled_lr(const LrSchedule& schedule, double base_lr, std::int64_t epoch,
                    std::int64_t epochs);

}  // namespace deepsolve::learned
