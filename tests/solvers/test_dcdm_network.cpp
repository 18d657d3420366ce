// The DCDM network (dcdm/network.hpp), its model files (dcdm/model_file.hpp) and the learned
// direction model (dcdm/network_direction.hpp): layer structure and parameter counts of the
// reference models, shapes at any grid size, masking, save/load, the TorchScript path, clear errors
// for bad files, and an untrained network driving the conjugate-direction iteration.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "../support/expect_error.hpp"
#include "../support/temp_dir.hpp"
#include "deepsolve/solvers/dcdm/model_file.hpp"
#include "deepsolve/solvers/dcdm/network.hpp"
#include "deepsolve/solvers/dcdm/network_direction.hpp"
#include "deepsolve/solvers/eigen_operator.hpp"
#include "deepsolve/solvers/geometry.hpp"
#include "deepsolve/solvers/krylov/conjugate_directions.hpp"
#include "deepsolve/solvers/krylov/eigen_space.hpp"
#include "deepsolve/solvers/random.hpp"
#include "deepsolve/solvers/rhs.hpp"

using namespace deepsolve::solvers;
using namespace deepsolve::solvers::dcdm;
using deepsolve_test::expect_error;
using deepsolve_test::TempDir;
namespace fs = std::filesystem;

namespace {

// The shipped TorchScript models (made by data/make_torchscript_model.py), next to this file.
std::string data_file(const std::string& name) {
  return (fs::path(__FILE__).parent_path() / "data" / name).string();
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

torch::Tensor random_input(std::vector<std::int64_t> shape, std::uint64_t seed) {
  torch::manual_seed(seed);
  return torch::randn(shape);
}

}  // namespace

TEST(DcdmNetwork, ParameterCountsMatchTheReferenceModels) {
  // 3D: first 1->16 3x3x3 = 448, each 16->16 3x3x3 = 6,928, last 16->1 1x1x1 = 17.
  EXPECT_EQ(DcdmNet(DcdmNetOptions::n64(3))->num_parameters(), 97457);    // 448 + 14*6928 + 17
  EXPECT_EQ(DcdmNet(DcdmNetOptions::n128(3))->num_parameters(), 152881);  // 448 + 22*6928 + 17
  // 2D: first 160, each 3x3 conv 2,320, last 17.
  EXPECT_EQ(DcdmNet(DcdmNetOptions::n64(2))->num_parameters(), 32657);   // 160 + 14*2320 + 17
  EXPECT_EQ(DcdmNet(DcdmNetOptions::n128(2))->num_parameters(), 51217);  // 160 + 22*2320 + 17
  // A second pooling level adds a down stage (4 convs) and an up stage (4 convs).
  EXPECT_EQ(DcdmNet(DcdmNetOptions().pooling_levels(2))->num_parameters(), 448 + 22 * 6928 + 17);
  EXPECT_EQ(DcdmNet(DcdmNetOptions().dim(2).channels(8))->num_parameters(),
            80 + 14 * (8 * 8 * 9 + 8) + 9);
  // The defaults are the 3D N64 model.
  EXPECT_EQ(DcdmNet()->num_parameters(), 97457);
  EXPECT_THROW(DcdmNet(DcdmNetOptions().dim(4)), std::invalid_argument);
  EXPECT_THROW(DcdmNet(DcdmNetOptions().full_convs(0)), std::invalid_argument);
  EXPECT_THROW(DcdmNet(DcdmNetOptions().pooling_levels(0)), std::invalid_argument);
}

TEST(DcdmNetwork, OutputShapeEqualsInputShapeAtAnySize) {
  torch::NoGradGuard no_grad;
  for (int levels : {1, 2}) {
    for (Padding padding : {Padding::zero, Padding::replicate}) {
      SCOPED_TRACE("levels " + std::to_string(levels) + ", padding " + to_string(padding));
      DcdmNet net2(DcdmNetOptions().dim(2).channels(4).pooling_levels(levels).padding(padding));
      for (auto shape : std::vector<std::vector<std::int64_t>>{
               {1, 1, 16, 16}, {2, 1, 9, 13}, {1, 1, 1, 1}, {1, 1, 3, 2}}) {
        const auto y = net2->forward(random_input(shape, 1));
        EXPECT_EQ(y.sizes().vec(), shape);
        EXPECT_TRUE(torch::isfinite(y).all().item<bool>());
      }
      DcdmNet net3(DcdmNetOptions().dim(3).channels(4).pooling_levels(levels).padding(padding));
      for (auto shape : std::vector<std::vector<std::int64_t>>{
               {1, 1, 8, 8, 8}, {2, 1, 5, 6, 7}, {1, 1, 1, 3, 2}}) {
        const auto y = net3->forward(random_input(shape, 2));
        EXPECT_EQ(y.sizes().vec(), shape);
      }
    }
  }
  DcdmNet net(DcdmNetOptions().dim(2).channels(4));
  EXPECT_THROW(net->forward(torch::zeros({1, 1, 4, 4, 4})), std::invalid_argument);  // 3D input
  EXPECT_THROW(net->forward(torch::zeros({1, 2, 4, 4})), std::invalid_argument);     // 2 channels
  EXPECT_THROW(net->forward(torch::zeros({1, 1, 4, 4}, torch::kFloat64)), std::invalid_argument);
}

// On the CPU the float32 3x3x3 convs run on oneDNN (DcdmNetImpl::conv); the same network in
// float64 takes LibTorch's own convolution. The two agree to float32 round-off, padded sizes and
// every level included.
TEST(DcdmNetwork, ThreeDConvsOnOneDnnMatchLibTorchsConvolution) {
  torch::NoGradGuard no_grad;
  torch::manual_seed(31);
  DcdmNet net(DcdmNetOptions().dim(3).channels(4).pooling_levels(2).cell_type_inputs(true));
  auto in_double = std::dynamic_pointer_cast<DcdmNetImpl>(net->clone());
  in_double->to(torch::kFloat64);
  const auto x = random_input({1, 1, 11, 12, 13}, 32);
  const auto cells = (torch::rand({1, 2, 11, 12, 13}) > 0.3).to(torch::kFloat32);
  const auto y = net->forward(x, {}, cells).to(torch::kFloat64);
  const auto reference = in_double->forward(x.to(torch::kFloat64), {}, cells);
  const double scale = reference.abs().max().item<double>();
  ASSERT_GT(scale, 0.0);
  EXPECT_LT((y - reference).abs().max().item<double>(), 1e-5 * scale);
}

// Without autograd the CPU float32 network keeps its activations in oneDNN's layouts (NHWC in 2D,
// blocked in 3D); with autograd it stays NCHW. Both compute the same function: every activation,
// a batch of two, two pooling levels and padded sizes.
TEST(DcdmNetwork, InferenceLayoutsMatchTheTrainingLayout) {
  torch::manual_seed(41);
  for (Activation activation : {Activation::relu, Activation::leaky_relu, Activation::tanh}) {
    for (int dim : {2, 3}) {
      SCOPED_TRACE(std::to_string(dim) + "D, " + to_string(activation));
      DcdmNet net(DcdmNetOptions()
                      .dim(dim)
                      .channels(16)
                      .pooling_levels(2)
                      .activation(activation)
                      .cell_type_inputs(true));
      net->eval();
      {
        torch::NoGradGuard no_grad;  // biases start at zero: make them count
        for (auto& p : net->named_parameters())
          if (p.key().find("bias") != std::string::npos) p.value().uniform_(-0.2, 0.2);
      }
      std::vector<std::int64_t> shape{2, 1, 11, 13}, cell_shape{1, 2, 11, 13};
      if (dim == 3) {
        shape.push_back(9);
        cell_shape.push_back(9);
      }
      const auto x = random_input(shape, 42);
      const auto cells = (torch::rand(cell_shape) > 0.3).to(torch::kFloat32);
      const auto training = net->forward(x, {}, cells);
      ASSERT_TRUE(training.requires_grad());
      torch::Tensor inference;
      {
        torch::NoGradGuard no_grad;
        inference = net->forward(x, {}, cells);
      }
      EXPECT_EQ(inference.sizes(), training.sizes());
      const double scale = training.abs().max().item<double>();
      ASSERT_GT(scale, 0.0);
      EXPECT_LT((inference - training).abs().max().item<double>(), 1e-5 * scale);
    }
  }
}

TEST(DcdmNetwork, PaddingModesDifferOnlyWhenSizesAreNotDivisible) {
  torch::NoGradGuard no_grad;
  torch::manual_seed(5);
  DcdmNet zero(DcdmNetOptions().dim(2).channels(4).padding(Padding::zero));
  DcdmNet replicate(DcdmNetOptions().dim(2).channels(4).padding(Padding::replicate));
  const auto from = zero->parameters();
  const auto to = replicate->parameters();
  for (std::size_t i = 0; i < to.size(); ++i) to[i].copy_(from[i]);
  const auto even = random_input({1, 1, 8, 10}, 3), odd = random_input({1, 1, 9, 11}, 3);
  EXPECT_TRUE(torch::equal(zero->forward(even), replicate->forward(even)));
  EXPECT_FALSE(torch::equal(zero->forward(odd), replicate->forward(odd)));
}

TEST(DcdmNetwork, MaskedCellsAreExactlyZero) {
  torch::NoGradGuard no_grad;
  torch::manual_seed(3);
  DcdmNet net(DcdmNetOptions().dim(3).channels(4));
  const auto x = random_input({2, 1, 5, 6, 7}, 4);
  auto mask = torch::ones({1, 1, 5, 6, 7});
  mask.index_put_({0, 0, torch::indexing::Slice(1, 3), 2}, 0.0);
  mask.index_put_({0, 0, 4, 5, 6}, 0.0);
  const auto plain = net->forward(x);
  const auto masked = net->forward(x, mask);
  const auto zeros = (mask == 0).expand_as(masked);
  EXPECT_GT(zeros.sum().item<std::int64_t>(), 0);
  EXPECT_TRUE((masked.masked_select(zeros) == 0).all().item<bool>());
  EXPECT_TRUE(torch::equal(masked.masked_select(~zeros), plain.masked_select(~zeros)));
  // A boolean mask works the same.
  EXPECT_TRUE(torch::equal(net->forward(x, mask.to(torch::kBool)), masked));
}

// With every 3x3 conv weight zero each conv outputs its bias everywhere, so the network reduces to
// arithmetic on constants that can be done by hand. The biases are chosen so that ReLU-after-add,
// a skip from the wrong layer or a concatenated skip would each give another number.
TEST(DcdmNetwork, ResidualBlocksAddAfterTheActivation) {
  torch::NoGradGuard no_grad;
  const float expected = 2.625f;
  for (Padding padding : {Padding::zero, Padding::replicate}) {
    DcdmNet net(DcdmNetOptions::n64(2).padding(padding));  // 4 + 6 + 4 convs, 16 channels
    for (auto& p : net->parameters()) p.zero_();
    auto set_bias = [&](const std::string& name, float value) {
      net->named_parameters()[name + ".bias"].fill_(value);
    };
    set_bias("first", 0.5f);      // h0 = 0.5 (linear)
    set_bias("full.0", 1.0f);     // h1 = relu(1) = 1
    set_bias("full.1", 2.0f);     // h2 = relu(2) = 2
    set_bias("full.2", -3.0f);    // h3 = relu(-3) + h1 = 1   (relu(-3 + 1) would be 0)
    set_bias("full.3", 0.25f);    // h4 = 0.25: the full-resolution output and skip
    set_bias("coarse.0", -1.0f);  // pool: x0 = 0.25; x1 = relu(-1) = 0
    set_bias("coarse.1", 0.5f);   // x2 = 0.5 + x0 = 0.75
    set_bias("coarse.2", 1.5f);   // x3 = 1.5
    set_bias("coarse.3", -2.0f);  // x4 = 0 + x2 = 0.75
    set_bias("coarse.4", 0.0f);   // x5 = 0
    set_bias("coarse.5", 1.0f);   // x6 = 1 + x4 = 1.75
    set_bias("up.0", -0.5f);      // u0 = upsample(1.75) + 0.25 = 2; u1 = relu(-0.5) = 0
    set_bias("up.1", 0.125f);     // u2 = 0.125 + u0 = 2.125
    set_bias("up.2", 3.0f);       // u3 = 3
    set_bias("up.3", -1.0f);      // u4 = 0 + u2 = 2.125
    net->named_parameters()["last.weight"].fill_(1.0f / 16);  // mean over the 16 channels
    set_bias("last", 0.5f);                                   // y = 2.125 + 0.5 = 2.625
    for (auto shape : std::vector<std::vector<std::int64_t>>{{1, 1, 8, 8}, {1, 1, 6, 10}}) {
      const auto y = net->forward(random_input(shape, 7));
      EXPECT_TRUE((y == expected).all().item<bool>()) << y;
    }
    // Sizes the pooling does not divide are padded; with zero weights the padding cannot show.
    const auto y = net->forward(random_input({1, 1, 7, 5}, 8));
    EXPECT_TRUE((y == expected).all().item<bool>()) << y;
  }
}

// The optional cell-type input channels: three inputs to the first conv, images that say which
// cells are fluid and which are air, an output that depends on them, and a clear error without
// them.
TEST(DcdmNetwork, CellTypeInputsSeeTheGeometry) {
  torch::NoGradGuard no_grad;
  EXPECT_EQ(DcdmNet(DcdmNetOptions::n64(2).cell_type_inputs(true))->num_parameters(),
            32657 + 2 * 9 * 16);  // two more input channels of the 3x3 first conv
  EXPECT_EQ(DcdmNet(DcdmNetOptions::n64(3).cell_type_inputs(true))->num_parameters(),
            97457 + 2 * 27 * 16);

  Grid grid(2, {6, 5, 1}, {0.1, 0.1, 1.0});
  grid.set_cell(1, 2, 0, CellType::solid);
  grid.set_cell(4, 0, 0, CellType::air);
  const auto images = cell_type_images(grid);
  ASSERT_EQ(images.sizes(), (std::vector<std::int64_t>{1, 2, 5, 6}));
  EXPECT_EQ(images[0][0].sum().item<float>(), 28.0f);  // 30 cells, one solid, one air
  EXPECT_EQ(images[0][0][2][1].item<float>(), 0.0f);
  EXPECT_EQ(images[0][1].sum().item<float>(), 1.0f);
  EXPECT_EQ(images[0][1][0][4].item<float>(), 1.0f);

  torch::manual_seed(5);
  DcdmNet net(DcdmNetOptions().dim(2).channels(4).cell_type_inputs(true));
  const auto x = random_input({3, 1, 5, 6}, 6);
  const auto y = net->forward(x, {}, images);
  EXPECT_EQ(y.sizes(), x.sizes());
  // A batch of images, one per sample, gives the same as the broadcast one.
  EXPECT_TRUE(torch::allclose(net->forward(x, {}, images.expand({3, 2, 5, 6})), y));
  // Another geometry, the same residual: another direction.
  Grid open(2, {6, 5, 1}, {0.1, 0.1, 1.0});
  EXPECT_FALSE(torch::allclose(net->forward(x, {}, cell_type_images(open)), y));
  try {
    net->forward(x);
    ADD_FAILURE() << "no exception without cell-type images";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("cell types"), std::string::npos) << e.what();
  }
  EXPECT_THROW(net->forward(x, {}, images.narrow(3, 0, 5)), std::invalid_argument);

  // Saved and loaded, the option survives, and NetworkDirection feeds the grid's images.
  TempDir dir;
  save_direction_model(dir.file("cells.pt"), *net);
  auto loaded = load_direction_network(dir.file("cells.pt"));
  EXPECT_TRUE(loaded->uses_cell_types());
  EXPECT_NE(loaded->describe().find("cell-type inputs"), std::string::npos);
  NetworkDirection direction(loaded, grid);
  std::vector<double> r(30), q(30);
  for (int c = 0; c < 30; ++c) r[c] = x[0][0].reshape(-1)[c].item<float>();
  direction.apply(r.data(), q.data());
  const auto ref = net->forward(x.narrow(0, 0, 1), {}, images).reshape(-1);  // batch 1, as there
  for (int c = 0; c < 30; ++c) {
    if (grid.cells()[c] == CellType::fluid)
      EXPECT_EQ(q[c], static_cast<double>(ref[c].item<float>())) << c;
    else
      EXPECT_EQ(q[c], 0.0) << c;
  }
}

TEST(DcdmModelFile, SaveLoadRoundTripIsBitForBit) {
  TempDir dir;
  const std::string path = dir.file("model.pt");
  torch::manual_seed(11);
  DcdmNet net(DcdmNetOptions()
                  .dim(2)
                  .channels(8)
                  .full_convs(3)
                  .half_convs(2)
                  .up_convs(5)
                  .pooling_levels(2)
                  .activation(Activation::leaky_relu)
                  .padding(Padding::replicate));
  Grid grid = Grid::unit_box(2, 16);
  grid.set_boundary(Face::y_hi, Boundary::neumann);
  apply_geometry(grid, "sphere");
  ModelInfo info;
  info.grid = TrainingGrid::from_grid(grid);
  info.metadata = {{"training_command", "train_dcdm --n 16 --epochs 3"},
                   {"seed", "11"},
                   {"epochs", "3"},
                   {"final_loss", "0.0123"},
                   {"note", "unicode ok: é"}};
  save_direction_model(path, *net, info);
  for (const auto& entry : fs::directory_iterator(dir.path()))  // no temporary file left behind
    EXPECT_EQ(entry.path().filename(), "model.pt");

  const LoadedDirectionModel loaded = load_direction_model(path);
  EXPECT_EQ(loaded.type, "cnn");
  const std::shared_ptr<DcdmNetImpl> loaded_net = loaded.as<DcdmNetImpl>();
  ASSERT_TRUE(loaded_net);
  EXPECT_EQ(loaded_net->options().describe(), net->options().describe());
  EXPECT_EQ(loaded_net->num_parameters(), net->num_parameters());
  EXPECT_EQ(loaded.info.metadata, info.metadata);
  EXPECT_EQ(loaded.info.grid.dim, 2);
  EXPECT_EQ(loaded.info.grid.size, (std::array<int, 3>{16, 16, 1}));
  EXPECT_EQ(loaded.info.grid.spacing[0], 1.0 / 16);
  EXPECT_EQ(loaded.info.grid.boundaries, info.grid.boundaries);
  EXPECT_NE(info.grid.boundaries.find("y_hi=neumann"), std::string::npos);

  torch::NoGradGuard no_grad;
  const auto x = random_input({2, 1, 13, 9}, 12);
  EXPECT_TRUE(torch::equal(loaded_net->forward(x), net->forward(x)));
  const auto named = net->named_parameters();
  for (const auto& p : loaded_net->named_parameters())
    EXPECT_TRUE(torch::equal(p.value(), named[p.key()])) << p.key();

  // The same file through the format-agnostic interface.
  auto any = load_direction_network(path);
  EXPECT_EQ(any->format(), "cnn");
  EXPECT_EQ(any->dim(), 2);
  EXPECT_EQ(any->num_parameters(), net->num_parameters());
  EXPECT_EQ(any->info().metadata.at("seed"), "11");
  EXPECT_TRUE(torch::equal((*any)(x), net->forward(x)));
  EXPECT_NE(any->describe().find(path), std::string::npos);

  // Overwriting goes through a rename too.
  save_direction_model(path, *DcdmNet(DcdmNetOptions().dim(3).channels(2)));
  EXPECT_EQ(load_direction_model(path).network->spatial_dim(), 3);
  EXPECT_TRUE(load_direction_model(path).info.metadata.empty());
}

TEST(DcdmModelFile, BadFilesGiveErrorsNamingTheFile) {
  TempDir dir;
  const std::string good = dir.file("good2d.pt");
  save_direction_model(good, *DcdmNet(DcdmNetOptions().dim(2).channels(4)));
  const std::string bytes = read_bytes(good);
  ASSERT_GT(bytes.size(), 1000u);

  // Wrong dimension: a 2D model on a 3D grid.
  expect_error<std::runtime_error>([&] { NetworkDirection(good, Grid::unit_box(3, 8)); },
                                   {good, "a 2D model cannot be applied to a 3D grid"});
  // Truncated: the first half of a valid file.
  const std::string truncated = dir.file("truncated.pt");
  write_bytes(truncated, bytes.substr(0, bytes.size() / 2));
  expect_error<std::runtime_error>([&] { load_direction_network(truncated); },
                                   {truncated, "truncated"});
  expect_error<std::runtime_error>([&] { load_direction_model(truncated); }, {truncated});
  // Missing.
  const std::string missing = dir.file("no_such_model.pt");
  expect_error<std::runtime_error>([&] { load_direction_network(missing); },
                                   {missing, "cannot open"});
  expect_error<std::runtime_error>([&] { NetworkDirection(missing, Grid::unit_box(2, 8)); },
                                   {missing});
  // Garbage, and an empty file.
  const std::string garbage = dir.file("garbage.pt");
  write_bytes(garbage, "this is not a model file, just some text\n");
  expect_error<std::runtime_error>([&] { load_direction_network(garbage); }, {garbage});
  const std::string corrupt = dir.file("corrupt.pt");  // a zip signature, then junk
  write_bytes(corrupt, std::string("PK\x03\x04", 4) + bytes.substr(bytes.size() / 3, 500));
  expect_error<std::runtime_error>([&] { load_direction_network(corrupt); }, {corrupt, "corrupt"});
  std::string flipped = bytes;  // the first local file header damaged
  for (std::size_t i = 10; i < 40; ++i) flipped[i] = static_cast<char>(~flipped[i]);
  write_bytes(corrupt, flipped);
  expect_error<std::runtime_error>([&] { load_direction_network(corrupt); }, {corrupt});
  const std::string empty = dir.file("empty.pt");
  write_bytes(empty, "");
  expect_error<std::runtime_error>([&] { load_direction_model(empty); }, {empty});
  // A TorchScript file is not a native model file (but loads through load_direction_network).
  expect_error<std::runtime_error>([&] { load_direction_model(data_file("tiny_conv2d.pt")); },
                                   {"tiny_conv2d.pt", "not a deepsolve model file"});
  // A wrong input shape: a 3D tensor into a 2D model.
  auto net = load_direction_network(good);
  expect_error<std::runtime_error>(
      [&] {
        (*net)(torch::zeros({1, 1, 4, 4, 4}));
      },
      {good, "got [1, 1, 4, 4, 4]"});
  // Unwritable destination.
  EXPECT_THROW(save_direction_model(dir.file("no_dir/x.pt"), *DcdmNet(DcdmNetOptions().dim(2))),
               std::runtime_error);
}

// tiny_conv2d.pt: conv 1->4 3x3 'same', ReLU, conv 4->1 1x1, traced in Python with seed 1234.
// The values are what make_torchscript_model.py printed for the input ((i % 7) - 3) / 4 on 5x6.
TEST(DcdmModelFile, TorchScriptModelMatchesPython) {
  const std::string path = data_file("tiny_conv2d.pt");
  auto net = load_direction_network(path);
  EXPECT_EQ(net->format(), "torchscript");
  EXPECT_EQ(net->dim(), 2);  // from the extra file deepsolve_model.txt
  EXPECT_EQ(net->num_parameters(), 45);
  EXPECT_EQ(net->info().metadata.at("seed"), "1234");
  const float expected[30] = {
      -0.20553714f,  -0.190697014f, -0.247366741f, -0.234855846f, -0.222344935f, -0.231483012f,
      -0.244027689f, -0.209849581f, -0.204148307f, -0.248296291f, -0.223263636f, -0.224217117f,
      -0.224988401f, -0.25364989f,  -0.209849581f, -0.204148307f, -0.248296291f, -0.229711413f,
      -0.234989271f, -0.206006527f, -0.25364989f,  -0.209849581f, -0.204148307f, -0.255481839f,
      -0.200736105f, -0.200642392f, -0.202801272f, -0.235430464f, -0.244756356f, -0.235330343f};
  std::vector<double> r(30);
  for (int i = 0; i < 30; ++i) r[i] = ((i % 7) - 3) / 4.0;
  torch::NoGradGuard no_grad;
  const auto y =
      (*net)(torch::tensor(std::vector<float>(r.begin(), r.end())).reshape({1, 1, 5, 6}));
  for (int i = 0; i < 30; ++i) EXPECT_NEAR(y.view(-1)[i].item<float>(), expected[i], 1e-6) << i;

  // As a direction model on a 6x5 grid (nx = 6, ny = 5), through the float64 array interface.
  NetworkDirection direction(net, Grid(2, {6, 5, 1}, {0.1, 0.1, 1.0}));
  std::vector<double> q(30);
  direction.apply(r.data(), q.data());
  for (int i = 0; i < 30; ++i) EXPECT_NEAR(q[i], expected[i], 1e-6) << i;
  EXPECT_EQ(direction.calls(), 1);
  EXPECT_NE(direction.describe().find("tiny_conv2d.pt"), std::string::npos);

  // The same model on a 3D grid is refused at construction.
  expect_error<std::runtime_error>([&] { NetworkDirection(path, Grid::unit_box(3, 4)); },
                                   {"tiny_conv2d.pt", "a 2D model cannot be applied to a 3D grid"});
  // A model whose output is smaller than its input (an unpadded conv) is refused when applied;
  // its dimension comes from its weight's rank, as it carries no extra file.
  const std::string shrink = data_file("tiny_shrink2d.pt");
  NetworkDirection bad(shrink, Grid::unit_box(2, 8));
  EXPECT_EQ(bad.network().dim(), 2);
  std::vector<double> r64(64, 1.0), q64(64);
  expect_error<std::runtime_error>([&] { bad.apply(r64.data(), q64.data()); },
                                   {"tiny_shrink2d.pt", "returned shape [1, 1, 6, 6]"});
}

TEST(NetworkDirection, AppliesTheNetworkOnArraysAndTensorsAndMasks) {
  torch::manual_seed(21);
  DcdmNet net(DcdmNetOptions().dim(3).channels(4));
  Grid grid(3, {7, 6, 5}, {0.1, 0.1, 0.1});
  apply_geometry(grid, "sphere");
  for (int i = 0; i < 7; ++i) grid.set_cell(i, 0, 4, CellType::air);
  NetworkDirection direction(wrap_direction_network(net), grid);
  EXPECT_EQ(direction.device(), "cpu");

  const std::int64_t n = grid.num_cells();
  std::vector<double> r(static_cast<std::size_t>(n)), q(r.size());
  SplitMix64 rng(4);
  for (auto& v : r) v = rng.uniform() - 0.5;
  direction.apply(r.data(), q.data());

  torch::NoGradGuard no_grad;
  const auto ref =
      net->forward(torch::tensor(r, torch::kFloat64).to(torch::kFloat32).reshape({1, 1, 5, 6, 7}))
          .reshape(-1);
  int blocked = 0;
  for (std::int64_t c = 0; c < n; ++c) {
    if (grid.cells()[c] != CellType::fluid) {
      EXPECT_EQ(q[c], 0.0) << c;
      ++blocked;
    } else {
      EXPECT_EQ(q[c], static_cast<double>(ref[c].item<float>())) << c;
    }
  }
  EXPECT_GT(blocked, 7);

  // Tensor entry point: flat float64 tensors, as TorchSpace holds them.
  const auto rt = torch::tensor(r, torch::kFloat64);
  auto qt = torch::empty_like(rt);
  direction.apply(rt, qt);
  EXPECT_EQ(qt.scalar_type(), torch::kFloat64);
  EXPECT_TRUE(torch::equal(qt, torch::tensor(q, torch::kFloat64)));
  auto wrong = torch::empty({n - 1}, torch::kFloat64);
  EXPECT_THROW(direction.apply(rt, wrong), std::invalid_argument);

  EXPECT_EQ(direction.calls(), 2);
  EXPECT_GT(direction.network_seconds(), 0.0);
  direction.reset_timing();
  EXPECT_EQ(direction.calls(), 0);
}

// An untrained network plugged into the conjugate-direction iteration. An untrained ReLU network
// maps different residuals to nearly parallel directions (cosine ~0.98 between the outputs for two
// random inputs), so with the paper's window of 2 the iteration stagnates near ||r||/||b|| = 1.
// With every direction A-orthogonalised against all previous ones (window >= number of unknowns)
// it is a conjugate-direction method on linearly independent directions and must terminate within
// the number of unknowns; it does, so the network gives non-degenerate directions and the plumbing
// (masking, ordering, float32 round trip) is right.
TEST(NetworkDirection, UntrainedNetworkDrivesConjugateDirectionsToConvergence) {
  Grid grid = Grid::unit_box(2, 16);
  apply_geometry(grid, "sphere");
  const SparseMatrix A = assemble_eigen_matrix(grid);
  const auto rhs = random_rhs(grid, grid.full_box(), 3);
  const Eigen::VectorXd b =
      Eigen::Map<const Eigen::VectorXd>(rhs.data(), static_cast<Eigen::Index>(rhs.size()));
  auto op = [&](const Eigen::VectorXd& in, Eigen::VectorXd& out) { out = A * in; };

  torch::manual_seed(0);
  NetworkDirection direction(wrap_direction_network(DcdmNet(DcdmNetOptions::n64(2))), grid);
  auto model = [&](const Eigen::VectorXd& r, Eigen::VectorXd& q) {
    direction.apply(r.data(), q.data());
  };
  Eigen::VectorXd x(b.size());
  const auto n = static_cast<int>(grid.num_cells());
  const auto unknowns = static_cast<int>(grid.count(CellType::fluid));
  const SolveResult converged = conjugate_directions(
      EigenSpace{}, op, model, b, x,
      ConjugateDirectionOptions().window(n).krylov(KrylovOptions().rtol(1e-6).max_iterations(n)));
  EXPECT_EQ(converged.reason, ConvergedReason::converged_rtol);
  EXPECT_LE(converged.iterations, n);  // in exact arithmetic at most `unknowns`
  EXPECT_LE(converged.true_relative_residual, 1.01e-6);
  EXPECT_EQ(direction.calls(), converged.iterations);
  std::printf(
      "untrained DCDM network, 2D 16x16 disc (%d unknowns), full window: %d iterations "
      "to %.2g, %.3f s in the network\n",
      unknowns, converged.iterations, converged.true_relative_residual,
      direction.network_seconds());

  // The paper's window of 2 and an rtol out of reach: the iteration limit ends the solve.
  const SolveResult limited = conjugate_directions(
      EigenSpace{}, op, model, b, x,
      ConjugateDirectionOptions().window(2).krylov(KrylovOptions().rtol(1e-14).max_iterations(30)));
  EXPECT_EQ(limited.reason, ConvergedReason::diverged_its);
  EXPECT_EQ(limited.iterations, 30);
}
