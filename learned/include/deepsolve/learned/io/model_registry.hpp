// The model registry: every network type deepsolve can save, load, describe and train registers
// here once, with its name, its options and its constructor, so that file loaders, programs and
// trainers pick the type from a file or a name and never switch on it.
//
// A type's options are text (name -> value) with declared defaults and kinds, so a command line
// can offer them (`--<name>`) without knowing the type, and a model file stores them next to the
// weights; the type's `build` parses and validates them, throwing std::invalid_argument naming
// the option. `family` says which runtime interface the built module implements (e.g.
// "dcdm-direction": a DCDM search-direction network), `needs` what it reads besides its input
// (e.g. "cell-types").
//
// Model files (save_model / load_model) are archives of kind "model" (archive.hpp) whose payload
// is a LibTorch archive holding model_type, options, metadata (string dictionaries) and the
// module's parameters and buffers.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace torch::nn {
class Module;
}

namespace deepsolve::learned {

/// A network type's options as text: option name -> value.
using ModelOptions = std::map<std::string, std::string>;

struct ModelOption {
  enum class Kind { integer, real, text, flag };
  std::string name;           ///< also the command-line flag: --<name>
  Kind kind = Kind::integer;  ///< flag: "0" or "1", given on a command line without a value
  std::string default_value;  ///< "" means "decided by build" (e.g. by another option)
  std::string help;
  /// Where model files of the format before the registry kept it (e.g. "net_channels"); empty
  /// when they did not store it.
  std::string legacy_key = {};
};

struct ModelType {
  std::string name;         ///< e.g. "vcycle"
  std::string family;       ///< the runtime interface of the built module
  std::string description;  ///< one line
  std::vector<ModelOption> options;
  std::vector<std::string> needs;  ///< inputs besides the data, e.g. "cell-types"
  /// A new module (freshly initialised) from complete options; throws std::invalid_argument.
  std::function<std::shared_ptr<torch::nn::Module>(const ModelOptions&)> build;
  /// Whether `module` is of this type (a dynamic_cast).
  std::function<bool(const torch::nn::Module&)> is_instance;
  /// The options `module` was built with (complete, so that build gives the same architecture).
  std::function<ModelOptions(const torch::nn::Module&)> options_of;
  /// One line about a module's architecture, e.g. "2D V-cycle, 16 hidden channels".
  std::function<std::string(const torch::nn::Module&)> describe;
  /// Optional, for memory guards: about how many float32 values one training step keeps alive
  /// for one sample whose spatial sizes are `sample_shape` (activations for the backward pass,
  /// input, output and their gradients); a lower estimate.
  std::function<double(const ModelOptions&, const std::vector<std::int64_t>& sample_shape)>
      training_floats;

  const ModelOption* option(const std::string& option_name) const;
};

class ModelRegistry {
 public:
  static ModelRegistry& instance();

  /// Adds a type; throws std::invalid_argument when the name is taken or a function is missing.
  void add(ModelType type);
  /// Throws std::invalid_argument "unknown model type 'x' (registered: a, b)".
  const ModelType& get(const std::string& name) const;
  const ModelType* find(const std::string& name) const;
  /// The type of `module`; throws std::invalid_argument when no registered type claims it.
  const ModelType& type_of(const torch::nn::Module& module) const;
  /// Registered names, sorted; only those of `family` unless it is empty.
  std::vector<std::string> names(const std::string& family = "") const;

 private:
  ModelRegistry() = default;
  std::map<std::string, ModelType> types_;
};

/// `given` completed with the type's defaults. Throws std::invalid_argument naming an option the
/// type does not have (and the ones it has), or a flag whose value is not 0/1.
ModelOptions resolve_options(const ModelType& type, const ModelOptions& given);

/// Option values of complete options (resolve_options), parsed: throw std::invalid_argument
/// "<name>: '<value>' is not an integer" (or a number) when they are not.
long long integer_option(const ModelOptions& options, const std::string& name);
double real_option(const ModelOptions& options, const std::string& name);
bool flag_option(const ModelOptions& options, const std::string& name);
const std::string& text_option(const ModelOptions& options, const std::string& name);

struct LoadedModel {
  const ModelType* type = nullptr;
  ModelOptions options;
  std::shared_ptr<torch::nn::Module> module;  ///< on the CPU, in eval mode
  std::map<std::string, std::string> metadata;
};

/// Saves `module` (its parameters and buffers, moved to the CPU), its registered type and
/// options, and `metadata` to `path` atomically.
void save_model(const std::string& path, const torch::nn::Module& module,
                const std::map<std::string, std::string>& metadata = {});

/// Loads a model file: archive checks first (archive.hpp), then the type (which must be
/// registered), the options through the type's build, and the parameters, which must match the
/// built module in names, shapes and dtypes. Every failure is a std::runtime_error naming `path`.
LoadedModel load_model(const std::string& path);

/// What a model file holds, as lines of text for people (`train_dcdm --describe`): the type and
/// its description, the architecture, the parameter count, the options, what it needs and the
/// metadata. Loads the file (same errors as load_model).
std::string describe_model_file(const std::string& path);

}  // namespace deepsolve::learned
