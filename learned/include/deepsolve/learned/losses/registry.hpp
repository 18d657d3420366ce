// Losses chosen by name (configuration files, command lines). Every loss of losses/ registers
// itself once, in its own source file: its name, what it is evaluated on, its settings (each with
// its default, as text) and its constructor. Programs look losses up here and never switch on a
// name.
//
//   dl::Loss loss = dl::make_loss("groco", dl::parse_settings("topk_neg=5"));
//   at::Tensor value = loss(dl::LossBatch::views(z1, z2));   // then value.backward()
//
//   auto ce = dl::make_classification_loss("anyloss-f1");     // (logits, targets) -> loss
//
// Names ('_' and '-' are interchangeable, case is ignored), by what they take (LossInput):
//   classification: logits [N] with 0/1 targets [N] (binary), or [N, C] with class indices [N]
//     cross-entropy (ce)   comp-sum τ = 1: -log p_y (binary: BCE with logits)     comp_sum.hpp
//     comp-sum             comp-sum Φ^τ, τ = tau                                   comp_sum.hpp
//     sum-exp              comp-sum τ = 0: sum_{y'≠y} exp(h_y' - h_y)              comp_sum.hpp
//     gce                  comp-sum τ = 1 + gce_q: (1 - p_y^q)/q                   comp_sum.hpp
//     mae                  comp-sum τ = 2: 1 - p_y                                 comp_sum.hpp
//     anyloss-accuracy, anyloss-f1, anyloss-fbeta (beta), anyloss-gmean,
//     anyloss-balanced-accuracy, anyloss-mcc: 1 - soft metric (multi-class:
//                          one-vs-rest on softmax, macro mean)                     any_loss.hpp
//     z-loss               Z-loss (z_a, z_b); needs C >= 3                         z_loss.hpp
//     mw                   Mann-Whitney over the batch's pairs (multi-class: one-vs-rest per
//                          class); with ids (binary), pairs within each query      mann_whitney.hpp
//   views: embeddings z1, z2 [B, d] of two views of the same B samples
//     nt-xent              SimCLR's NT-Xent / InfoNCE                              nt_xent.hpp
//     groco                GroCo, group ordering by a differentiable sorting network  groco.hpp
//   views-and-ids: z1, z2 [B, d] and the samples' ids [B] (per-sample state)
//     isogclr              iSogCLR, a learned temperature per sample               isogclr.hpp
//   model: a model (inputs -> scores [N, C]), its inputs x [N, ...] and class indices [N]
//     adversarial-comp-sum smooth adversarial comp-sum (PGD inner maximisation)
//     adversarial_comp_sum.hpp
// loss_defaults(name) lists each loss's settings; `reduction` (none, mean, sum) is one of all.
#pragma once

#include <ATen/core/Tensor.h>
#include <torch/arg.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "deepsolve/learned/losses/common.hpp"
#include "deepsolve/learned/settings.hpp"

namespace torch::nn {
class Module;
}

namespace deepsolve::learned {

/// What a loss is evaluated on (the LossBatch fields it reads).
enum class LossInput {
  classification,  ///< input: logits [N] or [N, C]; target: 0/1 labels [N] or class indices [N]
  views,           ///< input, second: two views z1, z2 [B, d] (row i of each: sample i)
  views_and_ids,   ///< the same and ids: the samples' ids [B] (the loss keeps per-sample state)
  model,           ///< model: inputs -> scores [N, C]; input: its inputs x; target: class indices
};

/// "classification", "views", "views-and-ids", "model".
std::string loss_input_name(LossInput input);

/// One evaluation's arguments; each loss reads the fields of its LossInput.
struct LossBatch {
  at::Tensor input;     ///< logits/scores, the first view z1, or the model's inputs x
  at::Tensor target;    ///< 0/1 labels or class indices
  at::Tensor second;    ///< the second view z2
  at::Tensor ids;       ///< sample ids (views_and_ids), or query ids (optional, "mw")
  ScoreFunction model;  ///< the model (LossInput::model)

  static LossBatch classification(at::Tensor logits, at::Tensor targets, at::Tensor query_ids = {});
  static LossBatch views(at::Tensor z1, at::Tensor z2, at::Tensor ids = {});
  static LossBatch adversarial(ScoreFunction model, at::Tensor x, at::Tensor targets);
};

/// A loss made by make_loss: callable on a LossBatch, with its name, what it takes, and the
/// module that holds its state (iSogCLR's temperatures) if it has any.
class Loss {
 public:
  using Function = std::function<at::Tensor(const LossBatch&)>;

  Loss() = default;
  /// `state` (may be null): a module whose buffers are the loss's state.
  explicit Loss(Function evaluate, std::shared_ptr<torch::nn::Module> state = nullptr);

  /// The loss of `batch`; std::invalid_argument when a field the loss needs is missing.
  at::Tensor operator()(const LossBatch& batch) const;
  /// (logits, targets) for classification losses, (z1, z2) for views.
  at::Tensor operator()(const at::Tensor& first, const at::Tensor& second) const;

  const std::string& name() const { return name_; }
  LossInput input() const { return input_; }
  /// Register it on the model (register_module) so that it is saved with the model and follows
  /// its train()/eval() mode; null for a stateless loss.
  const std::shared_ptr<torch::nn::Module>& state() const { return state_; }

 private:
  friend Loss make_loss(const std::string& name, const Settings& settings);
  Function evaluate_;
  std::shared_ptr<torch::nn::Module> state_;
  std::string name_;
  LossInput input_ = LossInput::classification;
};

/// What a loss registers: everything a program needs to offer it by name.
struct LossEntry {
  /// Lower case, words joined by '-'.
  std::string name;
  /// Other accepted names ("ce").
  std::vector<std::string> aliases;
  LossInput input = LossInput::classification;
  /// One line: what the loss is and where it comes from.
  std::string summary;
  /// Every setting the loss accepts, with its default as text.
  Settings defaults;
  /// Builds the loss from its settings (merged over the defaults); throws std::invalid_argument
  /// (through SettingsReader::fail or the loss's own checks) for a bad value.
  std::function<Loss(const SettingsReader&)> make;
};

/// Adds a loss to the registry (the losses of this library register themselves on first use of
/// the registry). Throws std::invalid_argument if the name or an alias is taken. Not
/// thread-safe: register before the registry is used from several threads.
void register_loss(LossEntry entry);

/// The registered names, in the order of the table above (registration order).
std::vector<std::string> loss_names();

/// Whether `name` (or an alias) is registered.
bool is_loss_name(const std::string& name);

/// The entry of `name` (or an alias); std::invalid_argument listing the valid names if none.
const LossEntry& loss_entry(const std::string& name);

/// The settings `name` accepts, each with its default as text.
Settings loss_defaults(const std::string& name);

/// A new loss. Throws std::invalid_argument naming the problem: an unknown name (listing the
/// valid ones), an unknown setting (listing the valid ones), or a bad value.
Loss make_loss(const std::string& name, const Settings& settings = {});

// ------------------------------------------------------------- classification losses, typed

/// (logits, targets) -> loss.
using ClassificationLoss = std::function<at::Tensor(const at::Tensor&, const at::Tensor&)>;

/// The hyper-parameters of the classification losses as one typed struct; each loss reads only
/// its own (the settings of the same names).
struct ClassificationLossOptions {
  TORCH_ARG(LossReduction, reduction) = torch::kMean;
  /// τ of "comp-sum" (>= 0).
  TORCH_ARG(double, tau) = 1.0;
  /// q of "gce", in (0, 1).
  TORCH_ARG(double, gce_q) = 0.5;
  /// L of the "anyloss-*" losses.
  TORCH_ARG(double, amplifier) = 73.0;
  /// β of "anyloss-fbeta".
  TORCH_ARG(double, beta) = 1.0;
  /// a and b of "z-loss".
  TORCH_ARG(double, z_a) = 1.0;
  TORCH_ARG(double, z_b) = 0.0;
};

/// The classification loss called `name`; std::invalid_argument listing the valid names for an
/// unknown one (or one that is not a classification loss), or naming a bad hyper-parameter.
ClassificationLoss make_classification_loss(const std::string& name,
                                            const ClassificationLossOptions& options = {});

/// The names of the classification losses, in registration order.
std::vector<std::string> classification_loss_names();

}  // namespace deepsolve::learned
