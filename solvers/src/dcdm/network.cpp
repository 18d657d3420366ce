#include "deepsolve/solvers/dcdm/network.hpp"

#include <cmath>
#include <sstream>
#include <stdexcept>

#include "deepsolve/learned/io/model_registry.hpp"
#include "network_input.hpp"

namespace deepsolve::solvers::dcdm {

namespace F = torch::nn::functional;

std::string to_string(Activation a) {
  switch (a) {
    case Activation::relu:
      return "relu";
    case Activation::leaky_relu:
      return "leaky_relu";
    case Activation::tanh:
      return "tanh";
  }
  return "unknown";
}

Activation activation_from_string(const std::string& name) {
  for (Activation a : {Activation::relu, Activation::leaky_relu, Activation::tanh})
    if (to_string(a) == name) return a;
  throw std::invalid_argument("unknown DCDM activation '" + name +
                              "' (valid: relu, leaky_relu, tanh)");
}

std::string to_string(Padding p) {
  return p == Padding::zero ? "zero" : "replicate";
}

Padding padding_from_string(const std::string& name) {
  if (name == "zero") return Padding::zero;
  if (name == "replicate") return Padding::replicate;
  throw std::invalid_argument("unknown DCDM padding '" + name + "' (valid: zero, replicate)");
}

void DcdmNetOptions::validate() const {
  auto bad = [](const std::string& field, int value, const std::string& rule) {
    throw std::invalid_argument("invalid DCDM network option " + field + " = " +
                                std::to_string(value) + " (" + rule + ")");
  };
  if (dim_ != 2 && dim_ != 3) bad("dim", dim_, "must be 2 or 3");
  if (channels_ < 1) bad("channels", channels_, "must be >= 1");
  if (full_convs_ < 1) bad("full_convs", full_convs_, "must be >= 1");
  if (half_convs_ < 0) bad("half_convs", half_convs_, "must be >= 0");
  if (up_convs_ < 0) bad("up_convs", up_convs_, "must be >= 0");
  if (pooling_levels_ < 1 || pooling_levels_ > 10)
    bad("pooling_levels", pooling_levels_, "must be in 1..10");
}

std::string DcdmNetOptions::describe() const {
  std::ostringstream s;
  s << dim_ << "D, " << channels_ << " channels, " << full_convs_ << "+" << half_convs_ << "+"
    << up_convs_ << " convs, " << pooling_levels_ << " pooling level"
    << (pooling_levels_ == 1 ? "" : "s") << ", " << to_string(activation_) << ", "
    << to_string(padding_) << " padding" << (cell_type_inputs_ ? ", cell-type inputs" : "");
  return s.str();
}

DcdmNetImpl::DcdmNetImpl(DcdmNetOptions options) : options_(std::move(options)) {
  reset();
}

DcdmNetImpl::ModulePtr DcdmNetImpl::make_conv(int in, int out, int kernel) const {
  const int pad = kernel / 2;  // 'same' with zeros for odd kernels
  ModulePtr m;
  if (options_.dim() == 3) {
    torch::nn::Conv3d c(torch::nn::Conv3dOptions(in, out, kernel).padding(pad));
    torch::nn::init::xavier_uniform_(c->weight);
    torch::nn::init::zeros_(c->bias);
    m = c.ptr();
  } else {
    torch::nn::Conv2d c(torch::nn::Conv2dOptions(in, out, kernel).padding(pad));
    torch::nn::init::xavier_uniform_(c->weight);
    torch::nn::init::zeros_(c->bias);
    m = c.ptr();
  }
  return m;
}

torch::nn::ModuleList DcdmNetImpl::make_convs(int count) const {
  torch::nn::ModuleList list;
  for (int i = 0; i < count; ++i) {
    const int c = options_.channels();
    list->push_back(make_conv(c, c, 3));
  }
  return list;
}

void DcdmNetImpl::reset() {
  options_.validate();
  torch::NoGradGuard no_grad;  // in-place initialisation of leaf parameters
  const int c = options_.channels();
  down_.clear();
  up_levels_.clear();
  first_ = register_module("first", make_conv(options_.cell_type_inputs() ? 3 : 1, c, 3));
  full_ = register_module("full", make_convs(options_.full_convs()));
  for (int l = 1; l < options_.pooling_levels(); ++l)
    down_.push_back(register_module("down" + std::to_string(l), make_convs(options_.full_convs())));
  coarse_ = register_module("coarse", make_convs(options_.half_convs()));
  for (int l = 1; l < options_.pooling_levels(); ++l)
    up_levels_.push_back(
        register_module("up" + std::to_string(l), make_convs(options_.up_convs())));
  up_ = register_module("up", make_convs(options_.up_convs()));
  last_ = register_module("last", make_conv(c, 1, 1));
}

// Inference on the CPU in float32 keeps the activations in a layout oneDNN computes in natively,
// instead of NCHW, which costs a reorder of the input and the output of every conv. 2D: NHWC
// (channels-last), where oneDNN 2.6 runs its brgemm kernel; a 16 -> 16 conv at 256^2 then takes
// 2.5 ms instead of 8 ms with one thread. 3D: oneDNN's blocked nCdhw16c format (mkldnn tensors);
// there NDHWC is slower than NCDHW, and the blocked format saves the reorders (64^3: about 0.9x
// the time of the whole network). Under grad mode the network stays NCHW, because mkldnn tensors
// have no autograd; oneDNN has no blocked leaky ReLU either.
DcdmNetImpl::Layout DcdmNetImpl::layout_for(const torch::Tensor& x) const {
  const bool onednn = !torch::GradMode::is_enabled() && x.device().is_cpu() &&
                      x.scalar_type() == torch::kFloat32 && at::hasMKLDNN();
  if (!onednn) return Layout::nchw;
  if (options_.dim() == 2) return Layout::channels_last;
  return options_.activation() == Activation::leaky_relu ? Layout::nchw : Layout::blocked;
}

// LibTorch 1.13 sends a CPU float32 conv with batch 1 to oneDNN (mkldnn) only when the product
// of the input's first four sizes exceeds 20,480 (use_mkldnn in ATen/native/Convolution.cpp):
// for a 3D grid batch x channels x nz x ny, so a 16-channel conv below about 36^3. There it takes
// im2col + GEMM, 4-11x slower for 3x3x3 kernels (measured, 16 -> 16 channels, one thread: 32^3
// 48 ms vs 4.3 ms, 16^3 1.9 vs 0.5 ms), and the coarse levels of every 3D U-Net are that small.
// So the 3x3x3 convs call oneDNN directly on the CPU (differentiable, so training does too); 2D
// grids of every size already go there, channels-last ones included.
torch::Tensor DcdmNetImpl::conv(const ModulePtr& m, const torch::Tensor& x, Layout layout) const {
  if (options_.dim() == 2) return m->as<torch::nn::Conv2dImpl>()->forward(x);
  auto& c = *m->as<torch::nn::Conv3dImpl>();
  const std::vector<std::int64_t> padding(3, c.weight.size(2) / 2), ones(3, 1);
  if (layout == Layout::blocked) {
    // The weights in oneDNN's own layout: a reorder of a few thousand floats per call.
    const torch::Tensor w =
        torch::mkldnn_reorder_conv3d_weight(c.weight.to_mkldnn(), padding, ones, ones, 1);
    return torch::mkldnn_convolution(x, w, c.bias, padding, ones, ones, 1);
  }
  const bool onednn = x.device().is_cpu() && x.scalar_type() == torch::kFloat32 &&
                      c.weight.size(2) == 3 && at::hasMKLDNN();
  if (onednn) return torch::mkldnn_convolution(x, c.weight, c.bias, padding, ones, ones, 1);
  return c.forward(x);
}

torch::Tensor DcdmNetImpl::act(const torch::Tensor& x) const {
  switch (options_.activation()) {
    case Activation::relu:
      return torch::relu(x);
    case Activation::leaky_relu:
      return torch::leaky_relu(x, 0.01);
    case Activation::tanh:
      return torch::tanh(x);
  }
  return x;
}

// The pair rule: x_i = act(c_i(x_{i-1})) + (i even ? x_{i-2} : 0) for the convs list[begin..].
torch::Tensor DcdmNetImpl::stage(const torch::nn::ModuleList& list, std::size_t begin,
                                 torch::Tensor x0, Layout layout) const {
  torch::Tensor before = x0, current = std::move(x0);
  for (std::size_t j = begin; j < list->size(); ++j) {
    torch::Tensor y = act(conv(list->ptr(j), current, layout));
    if ((j - begin) % 2 == 1) y = y + before;  // i = j - begin + 1 is even
    before = std::move(current);
    current = std::move(y);
  }
  return current;
}

torch::Tensor DcdmNetImpl::network(const torch::Tensor& x, Layout layout) const {
  const bool three = options_.dim() == 3;
  const bool blocked = layout == Layout::blocked;
  auto pool = [&](const torch::Tensor& t) {
    return three ? torch::avg_pool3d(t, 2, 2) : torch::avg_pool2d(t, 2, 2);
  };
  auto upsample_to = [&](const torch::Tensor& t, const torch::Tensor& like) {
    const auto sizes = like.sizes().slice(2).vec();
    const auto options = F::InterpolateFuncOptions().size(sizes).mode(torch::kNearest);
    // oneDNN has no nearest upsampling of blocked tensors: the coarse side goes through NCDHW.
    return blocked ? F::interpolate(t.to_dense(), options).to_mkldnn() : F::interpolate(t, options);
  };
  torch::Tensor h = x;
  if (layout == Layout::channels_last) h = h.contiguous(torch::MemoryFormat::ChannelsLast);
  if (blocked) h = h.to_mkldnn();
  // Full resolution: the linear first conv, one conv, then residual pairs.
  h = act(conv(full_->ptr(0), conv(first_, h, layout), layout));
  h = stage(full_, 1, std::move(h), layout);
  std::vector<torch::Tensor> skips{h};
  for (const auto& down : down_) {
    h = stage(down, 0, pool(h), layout);
    skips.push_back(h);
  }
  h = stage(coarse_, 0, pool(h), layout);
  for (std::size_t l = up_levels_.size(); l >= 1; --l)
    h = stage(up_levels_[l - 1], 0, upsample_to(h, skips[l]) + skips[l], layout);
  h = stage(up_, 0, upsample_to(h, skips[0]) + skips[0], layout);
  h = conv(last_, h, layout);
  return blocked ? h.to_dense() : h.contiguous();
}

torch::Tensor DcdmNetImpl::forward(const torch::Tensor& x, const torch::Tensor& mask,
                                   const torch::Tensor& cells) {
  const int dim = options_.dim();
  check_network_input("DcdmNet", dim, x, first_->parameters().front());

  torch::Tensor input = x;
  if (options_.cell_type_inputs()) {
    const bool ok = cells.defined() && cells.dim() == x.dim() && cells.size(1) == 2 &&
                    (cells.size(0) == 1 || cells.size(0) == x.size(0)) &&
                    cells.sizes().slice(2) == x.sizes().slice(2);
    if (!ok) {
      std::ostringstream s;
      s << "DcdmNet: this network takes the grid's cell types as inputs: expected cell-type "
        << "images of shape (1 or " << x.size(0) << ", 2, " << x.sizes().slice(2) << "), got ";
      if (cells.defined())
        s << cells.sizes();
      else
        s << "none";
      throw std::invalid_argument(s.str());
    }
    std::vector<std::int64_t> expanded = cells.sizes().vec();
    expanded[0] = x.size(0);
    // A unit-norm residual has entries of order 1/sqrt(cells), the indicators are 0 or 1: scale
    // the residual to entries of order one so that neither channel drowns the other.
    const double cells_per_sample = static_cast<double>(x[0].numel());
    input =
        torch::cat({x * std::sqrt(cells_per_sample), cells.to(x.options()).expand(expanded)}, 1);
  }

  // Pad the high end of each spatial axis to a multiple of 2^levels; crop back afterwards.
  const std::int64_t multiple = std::int64_t{1} << options_.pooling_levels();
  std::vector<std::int64_t> pad;  // F::pad order: last axis first, (low, high) per axis
  bool padded = false;
  for (int a = dim + 1; a >= 2; --a) {
    const std::int64_t extra = (multiple - x.size(a) % multiple) % multiple;
    pad.push_back(0);
    pad.push_back(extra);
    padded = padded || extra > 0;
  }
  const Layout layout = layout_for(input);
  torch::Tensor y;
  if (padded) {
    auto opts = F::PadFuncOptions(pad);
    if (options_.padding() == Padding::zero)
      opts.mode(torch::kConstant);
    else
      opts.mode(torch::kReplicate);
    y = network(F::pad(input, opts), layout);
    for (int a = 2; a < dim + 2; ++a) y = y.narrow(a, 0, x.size(a));
  } else {
    y = network(input, layout);
  }
  if (mask.defined()) {
    const torch::Tensor m = mask.to(y.options());
    y = (y * m).masked_fill(m == 0, 0.0);  // exactly zero there, even where y is not finite
  }
  return y;
}

torch::Tensor cell_type_images(const Grid& grid) {
  const auto& n = grid.size();
  const std::vector<std::int64_t> shape = grid.dim() == 3
                                              ? std::vector<std::int64_t>{1, 2, n[2], n[1], n[0]}
                                              : std::vector<std::int64_t>{1, 2, n[1], n[0]};
  torch::Tensor images = torch::zeros(shape, torch::kFloat32);
  float* fluid = images.data_ptr<float>();
  float* air = fluid + grid.num_cells();
  const auto& cells = grid.cells();
  for (std::size_t c = 0; c < cells.size(); ++c) {
    fluid[c] = cells[c] == CellType::fluid ? 1.0f : 0.0f;
    air[c] = cells[c] == CellType::air ? 1.0f : 0.0f;
  }
  return images;
}

std::int64_t DcdmNetImpl::num_parameters() const {
  std::int64_t n = 0;
  for (const auto& p : parameters()) n += p.numel();
  return n;
}

void DcdmNetImpl::pretty_print(std::ostream& stream) const {
  stream << "deepsolve::solvers::dcdm::DcdmNet(" << options_.describe() << ", " << num_parameters()
         << " parameters)";
}

torch::Tensor DcdmNetImpl::grid_inputs(const Grid& grid) const {
  return options_.cell_type_inputs() ? cell_type_images(grid) : torch::Tensor();
}

namespace {

int int_option(const learned::ModelOptions& o, const std::string& name) {
  const long long v = learned::integer_option(o, name);
  if (v < -1000000 || v > 1000000)
    throw std::invalid_argument(name + " = " + std::to_string(v) + " is out of range");
  return static_cast<int>(v);
}

DcdmNetOptions cnn_options(const learned::ModelOptions& o) {
  const std::string& preset = learned::text_option(o, "preset");
  DcdmNetOptions n;
  if (preset == "n128")
    n = DcdmNetOptions::n128();
  else if (preset != "n64")
    throw std::invalid_argument("preset: unknown preset '" + preset + "' (valid: n64, n128)");
  n.dim(int_option(o, "dim"))
      .channels(int_option(o, "channels"))
      .pooling_levels(int_option(o, "levels"))
      .activation(activation_from_string(learned::text_option(o, "activation")))
      .padding(padding_from_string(learned::text_option(o, "padding")))
      .cell_type_inputs(learned::flag_option(o, "cell-inputs"));
  // Empty conv counts take the preset's.
  if (!learned::text_option(o, "full-convs").empty()) n.full_convs(int_option(o, "full-convs"));
  if (!learned::text_option(o, "half-convs").empty()) n.half_convs(int_option(o, "half-convs"));
  if (!learned::text_option(o, "up-convs").empty()) n.up_convs(int_option(o, "up-convs"));
  n.validate();
  return n;
}

}  // namespace

learned::ModelType cnn_model_type() {
  using Kind = learned::ModelOption::Kind;
  learned::ModelType t;
  t.name = "cnn";
  t.family = kDirectionFamily;
  t.description = "the reference's convolutional network (DcdmNet; Kaneda et al., ICML 2023)";
  t.options = {
      {"dim", Kind::integer, "3", "grid dimension: 2 or 3", "net_dim"},
      {"preset", Kind::text, "n64",
       "layer counts of the reference models: n64 (4+6+4 convs) or n128 (6+10+6)"},
      {"channels", Kind::integer, "16", "filters per hidden conv", "net_channels"},
      {"full-convs", Kind::integer, "", "convs at full resolution (default: the preset's)",
       "net_full_convs"},
      {"half-convs", Kind::integer, "", "convs at the coarsest resolution (default: the preset's)",
       "net_half_convs"},
      {"up-convs", Kind::integer, "", "convs after the last upsampling (default: the preset's)",
       "net_up_convs"},
      {"levels", Kind::integer, "1", "2x average-pooling levels (the reference: 1)",
       "net_pooling_levels"},
      {"activation", Kind::text, "relu", "nonlinearity: relu, leaky_relu or tanh",
       "net_activation"},
      {"padding", Kind::text, "zero", "padding of sizes 2^levels does not divide: zero, replicate",
       "net_padding"},
      {"cell-inputs", Kind::flag, "0", "also feed the cell types (fluid, air) as input channels",
       "net_cell_type_inputs"},
  };
  t.build = [](const learned::ModelOptions& o) -> std::shared_ptr<torch::nn::Module> {
    return std::make_shared<DcdmNetImpl>(cnn_options(o));
  };
  t.is_instance = [](const torch::nn::Module& m) {
    return dynamic_cast<const DcdmNetImpl*>(&m) != nullptr;
  };
  t.options_of = [](const torch::nn::Module& m) {
    const DcdmNetOptions& n = dynamic_cast<const DcdmNetImpl&>(m).options();
    return learned::ModelOptions{{"dim", std::to_string(n.dim())},
                                 {"preset", "n64"},
                                 {"channels", std::to_string(n.channels())},
                                 {"full-convs", std::to_string(n.full_convs())},
                                 {"half-convs", std::to_string(n.half_convs())},
                                 {"up-convs", std::to_string(n.up_convs())},
                                 {"levels", std::to_string(n.pooling_levels())},
                                 {"activation", to_string(n.activation())},
                                 {"padding", to_string(n.padding())},
                                 {"cell-inputs", n.cell_type_inputs() ? "1" : "0"}};
  };
  t.describe = [](const torch::nn::Module& m) {
    return dynamic_cast<const DcdmNetImpl&>(m).options().describe();
  };
  // Per padded cell: about 2.5 channel maps per conv (its output, its activation, the pair
  // rule's sum), each level 2^dim times smaller than the one above; plus input, target, mask,
  // output, A q and their gradients.
  t.training_floats = [](const learned::ModelOptions& o, const std::vector<std::int64_t>& shape) {
    const DcdmNetOptions n = cnn_options(o);
    const double shrink = std::pow(2.0, n.dim());
    const double c = n.channels(), convs = n.full_convs() + n.up_convs();
    double per = 6.0 + c * (3.0 + 2.5 * convs), scale = 1.0;
    for (int l = 1; l < n.pooling_levels(); ++l) {
      scale /= shrink;
      per += scale * c * (3.0 + 2.5 * convs);
    }
    per += scale / shrink * c * (1.0 + 2.5 * n.half_convs());
    const double multiple = std::pow(2.0, n.pooling_levels());  // the input is padded to it
    double cells = 1.0;
    for (const std::int64_t side : shape) cells *= std::ceil(double(side) / multiple) * multiple;
    return per * cells;
  };
  return t;
}

}  // namespace deepsolve::solvers::dcdm
