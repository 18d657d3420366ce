// The loss registry; see registry.hpp. The losses' own sources register them (registration.hpp).
#include "deepsolve/learned/losses/registry.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>
#include <utility>

#include "checks.hpp"
#include "registration.hpp"

namespace deepsolve::learned {

namespace {

// '_' -> '-', lower case.
std::string canonical(const std::string& name) {
  std::string out = name;
  for (char& c : out) {
    c = c == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

std::vector<LossEntry>& storage() {
  static std::vector<LossEntry> entries;
  return entries;
}

const LossEntry* find(const std::string& name) {
  const std::string key = canonical(name);
  for (const LossEntry& e : storage()) {
    if (e.name == key) return &e;
    for (const std::string& alias : e.aliases)
      if (alias == key) return &e;
  }
  return nullptr;
}

void add(LossEntry entry) {
  entry.name = canonical(entry.name);
  for (std::string& alias : entry.aliases) alias = canonical(alias);
  detail::require(!entry.name.empty() && static_cast<bool>(entry.make),
                  "register_loss: an entry needs a name and a constructor");
  detail::require(find(entry.name) == nullptr,
                  "register_loss: the name '" + entry.name + "' is taken");
  for (const std::string& alias : entry.aliases)
    detail::require(find(alias) == nullptr, "register_loss: the name '" + alias + "' is taken");
  storage().push_back(std::move(entry));
}

// The registry, with the losses of this library registered on first use.
const std::vector<LossEntry>& entries() {
  static const bool built_in = [] {
    for (auto group : {detail::comp_sum_losses, detail::any_losses, detail::z_losses,
                       detail::mann_whitney_losses, detail::nt_xent_losses, detail::groco_losses,
                       detail::isogclr_losses, detail::adversarial_comp_sum_losses})
      for (LossEntry& e : group()) add(std::move(e));
    return true;
  }();
  (void)built_in;
  return storage();
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// What a loss of `input` needs in a batch.
void check_batch(const std::string& name, LossInput input, const LossBatch& b) {
  const std::string where = "loss '" + name + "' (" + loss_input_name(input) + ")";
  switch (input) {
    case LossInput::classification:
      detail::require(b.input.defined() && b.target.defined(), where + " needs logits and targets");
      break;
    case LossInput::views:
    case LossInput::views_and_ids:
      detail::require(b.input.defined() && b.second.defined(),
                      where + " needs two views z1 and z2 (LossBatch::views)");
      detail::require(input == LossInput::views || b.ids.defined(),
                      where + " needs the samples' ids (LossBatch::views(z1, z2, ids))");
      break;
    case LossInput::model:
      detail::require(
          static_cast<bool>(b.model) && b.input.defined() && b.target.defined(),
          where + " needs a model, its inputs and class indices " + "(LossBatch::adversarial)");
      break;
  }
}

}  // namespace

namespace detail {

Settings with_reduction(Settings defaults) {
  defaults.emplace("reduction", "mean");
  return defaults;
}

LossReduction reduction_setting(const SettingsReader& settings) {
  try {
    return reduction_from_name(settings.text("reduction"));
  } catch (const std::invalid_argument& e) {
    settings.fail("reduction", e.what());
  }
}

LossEntry make_entry(std::string name, LossInput input, std::string summary, Settings defaults,
                     std::function<Loss(const SettingsReader&)> make) {
  LossEntry e;
  e.name = std::move(name);
  e.input = input;
  e.summary = std::move(summary);
  e.defaults = with_reduction(std::move(defaults));
  e.make = std::move(make);
  return e;
}

}  // namespace detail

std::string loss_input_name(LossInput input) {
  switch (input) {
    case LossInput::classification:
      return "classification";
    case LossInput::views:
      return "views";
    case LossInput::views_and_ids:
      return "views-and-ids";
    case LossInput::model:
      return "model";
  }
  return "?";
}

LossBatch LossBatch::classification(at::Tensor logits, at::Tensor targets, at::Tensor query_ids) {
  LossBatch b;
  b.input = std::move(logits);
  b.target = std::move(targets);
  b.ids = std::move(query_ids);
  return b;
}

LossBatch LossBatch::views(at::Tensor z1, at::Tensor z2, at::Tensor ids) {
  LossBatch b;
  b.input = std::move(z1);
  b.second = std::move(z2);
  b.ids = std::move(ids);
  return b;
}

LossBatch LossBatch::adversarial(ScoreFunction model, at::Tensor x, at::Tensor targets) {
  LossBatch b;
  b.model = std::move(model);
  b.input = std::move(x);
  b.target = std::move(targets);
  return b;
}

Loss::Loss(Function evaluate, std::shared_ptr<torch::nn::Module> state)
    : evaluate_(std::move(evaluate)), state_(std::move(state)) {}

at::Tensor Loss::operator()(const LossBatch& batch) const {
  detail::require(static_cast<bool>(evaluate_), "an empty Loss (not made by make_loss)");
  check_batch(name_, input_, batch);
  return evaluate_(batch);
}

at::Tensor Loss::operator()(const at::Tensor& first, const at::Tensor& second) const {
  if (input_ == LossInput::classification) return (*this)(LossBatch::classification(first, second));
  return (*this)(LossBatch::views(first, second));
}

void register_loss(LossEntry entry) {
  entries();
  add(std::move(entry));
}

std::vector<std::string> loss_names() {
  std::vector<std::string> names;
  for (const LossEntry& e : entries()) names.push_back(e.name);
  return names;
}

bool is_loss_name(const std::string& name) {
  entries();
  return find(name) != nullptr;
}

const LossEntry& loss_entry(const std::string& name) {
  entries();
  const LossEntry* e = find(name);
  if (e == nullptr)
    throw std::invalid_argument("unknown loss '" + name + "' (valid: " + joined(loss_names()) +
                                "; '_' and '-' are interchangeable)");
  return *e;
}

Settings loss_defaults(const std::string& name) {
  return loss_entry(name).defaults;
}

Loss make_loss(const std::string& name, const Settings& settings) {
  const LossEntry& e = loss_entry(name);
  const SettingsReader reader("make_loss('" + e.name + "')", e.defaults, settings);
  Loss loss = e.make(reader);
  loss.name_ = e.name;
  loss.input_ = e.input;
  return loss;
}

// ------------------------------------------------------------- classification losses, typed

std::vector<std::string> classification_loss_names() {
  std::vector<std::string> names;
  for (const LossEntry& e : entries())
    if (e.input == LossInput::classification) names.push_back(e.name);
  return names;
}

ClassificationLoss make_classification_loss(const std::string& name,
                                            const ClassificationLossOptions& options) {
  entries();
  const LossEntry* e = find(name);
  if (e == nullptr || e->input != LossInput::classification)
    throw std::invalid_argument("unknown classification loss '" + name +
                                "'; valid names: " + joined(classification_loss_names()) +
                                " (also 'ce'; '_' and '-' are interchangeable)");
  // The typed options as settings; each loss takes those it declares.
  const Settings all{{"reduction", reduction_name(options.reduction())},
                     {"tau", format_number(options.tau())},
                     {"gce_q", format_number(options.gce_q())},
                     {"amplifier", format_number(options.amplifier())},
                     {"beta", format_number(options.beta())},
                     {"z_a", format_number(options.z_a())},
                     {"z_b", format_number(options.z_b())}};
  Settings settings;
  for (const auto& kv : all)
    if (e->defaults.count(kv.first)) settings.insert(kv);
  const Loss loss = make_loss(e->name, settings);
  return [loss](const at::Tensor& logits, const at::Tensor& targets) {
    return loss(LossBatch::classification(logits, targets));
  };
}

}  // namespace deepsolve::learned
