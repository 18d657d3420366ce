#include "deepsolve/learned/io/model_registry.hpp"

#include <torch/serialize/archive.h>
#include <torch/torch.h>

#include <sstream>
#include <stdexcept>
#include <utility>

#include "deepsolve/learned/io/archive.hpp"
#include "deepsolve/learned/io/torch_messages.hpp"

namespace deepsolve::learned {

namespace {

constexpr const char* kModelKind = "model";

std::string join(const std::vector<std::string>& names) {
  std::string s;
  for (const auto& n : names) s += (s.empty() ? "" : ", ") + n;
  return s.empty() ? "none" : s;
}

c10::Dict<std::string, std::string> to_dict(const std::map<std::string, std::string>& m) {
  c10::Dict<std::string, std::string> d;
  for (const auto& [k, v] : m) d.insert(k, v);
  return d;
}

std::map<std::string, std::string> read_dict(torch::serialize::InputArchive& a,
                                             const std::string& key) {
  c10::IValue v;
  a.read(key, v);
  std::map<std::string, std::string> m;
  for (const auto& entry : v.toGenericDict())
    m[entry.key().toStringRef()] = entry.value().toStringRef();
  return m;
}

struct TensorSpec {
  std::vector<std::int64_t> sizes;
  c10::ScalarType dtype;
};

std::map<std::string, TensorSpec> tensor_specs(const torch::nn::Module& module) {
  std::map<std::string, TensorSpec> specs;
  for (const auto& p : module.named_parameters())
    specs[p.key()] = {p.value().sizes().vec(), p.value().scalar_type()};
  for (const auto& b : module.named_buffers())
    specs[b.key()] = {b.value().sizes().vec(), b.value().scalar_type()};
  return specs;
}

}  // namespace

const ModelOption* ModelType::option(const std::string& option_name) const {
  for (const auto& o : options)
    if (o.name == option_name) return &o;
  return nullptr;
}

ModelRegistry& ModelRegistry::instance() {
  static ModelRegistry registry;
  return registry;
}

void ModelRegistry::add(ModelType type) {
  if (type.name.empty()) throw std::invalid_argument("ModelRegistry::add: a type needs a name");
  if (!type.build || !type.is_instance || !type.options_of || !type.describe)
    throw std::invalid_argument("ModelRegistry::add: model type '" + type.name +
                                "' lacks build, is_instance, options_of or describe");
  if (types_.count(type.name))
    throw std::invalid_argument("ModelRegistry::add: model type '" + type.name +
                                "' is registered twice");
  std::string name = type.name;
  types_.emplace(std::move(name), std::move(type));
}

const ModelType* ModelRegistry::find(const std::string& name) const {
  const auto it = types_.find(name);
  return it == types_.end() ? nullptr : &it->second;
}

const ModelType& ModelRegistry::get(const std::string& name) const {
  if (const ModelType* t = find(name)) return *t;
  throw std::invalid_argument("unknown model type '" + name + "' (registered: " + join(names()) +
                              ")");
}

const ModelType& ModelRegistry::type_of(const torch::nn::Module& module) const {
  for (const auto& [name, type] : types_)
    if (type.is_instance(module)) return type;
  throw std::invalid_argument("a " + module.name() + " is of no registered model type (" +
                              join(names()) + ")");
}

std::vector<std::string> ModelRegistry::names(const std::string& family) const {
  std::vector<std::string> out;
  for (const auto& [name, type] : types_)
    if (family.empty() || type.family == family) out.push_back(name);
  return out;
}

ModelOptions resolve_options(const ModelType& type, const ModelOptions& given) {
  ModelOptions out;
  for (const auto& o : type.options) out[o.name] = o.default_value;
  for (const auto& [name, value] : given) {
    const ModelOption* o = type.option(name);
    if (o == nullptr) {
      std::vector<std::string> valid;
      for (const auto& opt : type.options) valid.push_back(opt.name);
      throw std::invalid_argument("model type '" + type.name + "' has no option '" + name +
                                  "' (its options: " + join(valid) + ")");
    }
    if (o->kind == ModelOption::Kind::flag && value != "0" && value != "1")
      throw std::invalid_argument(type.name + " option " + name + ": a flag takes 0 or 1, got '" +
                                  value + "'");
    out[name] = value;
  }
  return out;
}

const std::string& text_option(const ModelOptions& options, const std::string& name) {
  const auto it = options.find(name);
  if (it == options.end()) throw std::invalid_argument("missing model option '" + name + "'");
  return it->second;
}

long long integer_option(const ModelOptions& options, const std::string& name) {
  const std::string& value = text_option(options, name);
  std::size_t used = 0;
  long long v = 0;
  try {
    v = std::stoll(value, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (value.empty() || used != value.size())
    throw std::invalid_argument(name + ": '" + value + "' is not an integer");
  return v;
}

double real_option(const ModelOptions& options, const std::string& name) {
  const std::string& value = text_option(options, name);
  std::size_t used = 0;
  double v = 0;
  try {
    v = std::stod(value, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (value.empty() || used != value.size())
    throw std::invalid_argument(name + ": '" + value + "' is not a number");
  return v;
}

bool flag_option(const ModelOptions& options, const std::string& name) {
  const std::string& value = text_option(options, name);
  if (value != "0" && value != "1")
    throw std::invalid_argument(name + ": a flag takes 0 or 1, got '" + value + "'");
  return value == "1";
}

void save_model(const std::string& path, const torch::nn::Module& module,
                const std::map<std::string, std::string>& metadata) {
  const ModelType& type = ModelRegistry::instance().type_of(module);
  std::ostringstream bytes;
  try {
    torch::NoGradGuard no_grad;
    const std::shared_ptr<torch::nn::Module> cpu = module.clone(torch::kCPU);
    torch::serialize::OutputArchive archive, weights;
    archive.write("model_type", c10::IValue(type.name));
    archive.write("options", c10::IValue(to_dict(type.options_of(module))));
    archive.write("metadata", c10::IValue(to_dict(metadata)));
    cpu->save(weights);
    archive.write("module", weights);
    archive.save_to(bytes);
  } catch (const c10::Error& e) {
    throw std::runtime_error(path + ": cannot serialise the " + type.name + " model (" +
                             short_message(e) + ")");
  }
  write_archive(path, kModelKind, {bytes.str()});
}

LoadedModel load_model(const std::string& path) {
  const std::string payload = read_archive(path, kModelKind, "model file");
  // The payload passed its CRC, so a failure below is a file this build cannot interpret (or
  // one written wrongly), not damage in transit.
  LoadedModel out;
  try {
    torch::serialize::InputArchive archive;
    std::istringstream in(payload);
    archive.load_from(in, torch::Device(torch::kCPU));
    c10::IValue v;
    archive.read("model_type", v);
    const std::string name = v.toStringRef();
    out.type = ModelRegistry::instance().find(name);
    if (out.type == nullptr)
      throw std::runtime_error(
          path + ": a model of type '" + name + "', which this build " +
          "does not know (registered: " + join(ModelRegistry::instance().names()) + ")");
    const ModelOptions stored = read_dict(archive, "options");
    try {
      out.options = resolve_options(*out.type, stored);
      out.module = out.type->build(out.options);
    } catch (const std::invalid_argument& e) {
      throw std::runtime_error(path + ": the " + name + " model's options are invalid (" +
                               e.what() + ")");
    }
    out.metadata = read_dict(archive, "metadata");
    const auto expected = tensor_specs(*out.module);
    torch::serialize::InputArchive weights;
    archive.read("module", weights);
    out.module->load(weights);
    const auto loaded = tensor_specs(*out.module);
    for (const auto& [tensor, spec] : expected) {
      const auto it = loaded.find(tensor);
      if (it == loaded.end() || it->second.sizes != spec.sizes || it->second.dtype != spec.dtype)
        throw std::runtime_error(path + ": tensor " + tensor + " is " +
                                 (it == loaded.end() ? std::string("missing")
                                                     : shape_string(it->second.sizes) + " " +
                                                           c10::toString(it->second.dtype)) +
                                 " in the file, the " + name + " options say " +
                                 shape_string(spec.sizes) + " " + c10::toString(spec.dtype));
    }
  } catch (const c10::Error& e) {
    throw std::runtime_error(path + ": malformed model file (" + short_message(e) + ")");
  }
  out.module->eval();
  return out;
}

std::string describe_model_file(const std::string& path) {
  const LoadedModel m = load_model(path);
  std::int64_t parameters = 0;
  for (const auto& p : m.module->parameters()) parameters += p.numel();
  std::ostringstream s;
  s << path << ": a '" << m.type->name << "' model (" << m.type->family << ")\n"
    << "  type:       " << m.type->description << "\n"
    << "  network:    " << m.type->describe(*m.module) << "; " << parameters << " parameters\n"
    << "  options:   ";
  for (const auto& [name, value] : m.options) s << ' ' << name << '=' << value;
  s << "\n";
  if (!m.type->needs.empty()) {
    s << "  needs:     ";
    for (const auto& n : m.type->needs) s << ' ' << n;
    s << "\n";
  }
  for (const auto& [key, value] : m.metadata) s << "  " << key << ": " << value << "\n";
  return s.str();
}

}  // namespace deepsolve::learned
