// The checksummed archive (io/archive.hpp) and the model registry (io/model_registry.hpp): round
// trips, every flipped byte caught, special and huge files refused fast, and the registry's
// errors.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <torch/serialize/archive.h>
#include <torch/torch.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>

#include "../support/expect_error.hpp"
#include "../support/temp_dir.hpp"
#include "deepsolve/learned/atomic_file.hpp"
#include "deepsolve/learned/io/archive.hpp"
#include "deepsolve/learned/io/model_registry.hpp"

namespace dl = deepsolve::learned;
using deepsolve_test::expect_error;
using deepsolve_test::TempDir;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void spit(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

// Seconds that f takes.
template <class F>
double seconds(F&& f) {
  const auto start = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

TEST(Archive, RoundTripOfEveryKindAndParts) {
  TempDir dir;
  const std::string path = dir.file("a.bin");
  dl::write_archive(path, "dataset", {"header line\n", std::string("\0\1\2", 3), ""});
  EXPECT_EQ(dl::read_archive(path, "dataset", "DCDM dataset"),
            std::string("header line\n\0\1\2", 15));
  const std::string bytes = slurp(path);
  EXPECT_EQ(bytes.size(), 48u + 15u);
  EXPECT_EQ(bytes.substr(1, 4), "DSLV");
  const auto header = dl::peek_archive_header(path);
  ASSERT_TRUE(header);
  EXPECT_EQ(header->kind, "dataset");
  EXPECT_EQ(header->version, dl::kArchiveVersion);
  EXPECT_EQ(header->payload_size, 15u);
  EXPECT_EQ(header->payload_crc, dl::crc32_of(std::string("header line\n\0\1\2", 15)));
  // The CRC-32 of zlib, zip and PNG: the standard check value of "123456789".
  EXPECT_EQ(dl::crc32_of("123456789"), 0xcbf43926u);

  dl::write_archive(path, "model", {""});  // an empty payload is a valid archive
  EXPECT_EQ(dl::read_archive(path, "model", "model file"), "");
  EXPECT_THROW(dl::write_archive(path, "", {"x"}), std::invalid_argument);
  EXPECT_THROW(dl::write_archive(path, "sixteen-letters!", {"x"}), std::invalid_argument);
}

TEST(Archive, EveryFlippedByteIsCaught) {
  TempDir dir;
  const std::string good = dir.file("good.bin"), bad = dir.file("bad.bin");
  std::string payload;
  for (int i = 0; i < 200; ++i) payload += static_cast<char>(i * 37);
  dl::write_archive(good, "checkpoint", {payload});
  const std::string bytes = slurp(good);
  for (std::size_t at = 0; at < bytes.size(); ++at) {
    for (const unsigned char bit : {0x01, 0x80}) {
      std::string flipped = bytes;
      flipped[at] = static_cast<char>(flipped[at] ^ bit);
      spit(bad, flipped);
      try {
        dl::read_archive(bad, "checkpoint", "checkpoint");
        ADD_FAILURE() << "byte " << at << " bit " << int(bit) << " flipped: read without error";
      } catch (const std::runtime_error& e) {
        const std::string what = e.what();
        EXPECT_EQ(what.rfind(bad + ": ", 0), 0u) << what;  // names the file first
        // The magic (bytes 0-7) is what tells an archive from another format; elsewhere the
        // header's or the payload's CRC names the damage.
        if (at >= 8) {
          EXPECT_NE(what.find("CRC-32 check failed"), std::string::npos) << at << ": " << what;
        }
      }
    }
  }
}

TEST(Archive, SizeAndKindAndVersionAreChecked) {
  TempDir dir;
  const std::string path = dir.file("x.bin");
  dl::write_archive(path, "dataset", {std::string(100, 'd')});
  const std::string bytes = slurp(path);

  spit(path, bytes.substr(0, 120));
  expect_error<std::runtime_error>([&] { dl::read_archive(path, "dataset", "DCDM dataset"); },
                                   {path, "truncated DCDM dataset", "120 bytes", "48 + 100"});
  spit(path, bytes.substr(0, 30));
  expect_error<std::runtime_error>([&] { dl::read_archive(path, "dataset", "DCDM dataset"); },
                                   {path, "truncated DCDM dataset", "shorter than the 48-byte"});
  spit(path, bytes + "tail");
  expect_error<std::runtime_error>([&] { dl::read_archive(path, "dataset", "DCDM dataset"); },
                                   {path, "damaged DCDM dataset", "152 bytes"});
  spit(path, bytes);
  expect_error<std::runtime_error>([&] { dl::read_archive(path, "model", "model file"); },
                                   {path, "a deepsolve 'dataset' file, not a model file"});
  spit(path, "");
  expect_error<std::runtime_error>([&] { dl::read_archive(path, "model", "model file"); },
                                   {path, "not a deepsolve model file (the file is empty)"});
  spit(path, "PK\x03\x04 and the rest of a zip");
  expect_error<std::runtime_error>([&] { dl::read_archive(path, "model", "model file"); },
                                   {path, "bare zip/LibTorch archive"});
  EXPECT_FALSE(dl::peek_archive_header(path));
  expect_error<std::runtime_error>(
      [&] { dl::read_archive(dir.file("missing.bin"), "model", "model file"); },
      {"missing.bin: cannot open model file (No such file or directory)"});

  // A header of a later format version, with a correct header CRC.
  std::string future = bytes.substr(0, 48);
  future[8] = 2;
  const std::uint32_t crc = dl::crc32_of(std::string_view(future.data(), 44));
  for (int i = 0; i < 4; ++i) future[44 + i] = static_cast<char>(crc >> (8 * i));
  spit(path, future + std::string(100, 'd'));
  expect_error<std::runtime_error>([&] { dl::read_archive(path, "dataset", "DCDM dataset"); },
                                   {path, "archive format version 2", "reads versions 1 to 1"});
}

TEST(Archive, SpecialAndHugeFilesAreRefusedWithoutReadingThem) {
  TempDir dir;
  // /dev/zero never ends: refused from fstat alone.
  double t = seconds([] {
    expect_error<std::runtime_error>([] { dl::read_archive("/dev/zero", "model", "model file"); },
                                     {"/dev/zero", "a character device, not a regular file"});
  });
  EXPECT_LT(t, 1.0);
  // A FIFO without a writer: no hang.
  const std::string fifo = dir.file("fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  t = seconds([&] {
    expect_error<std::runtime_error>([&] { dl::read_archive(fifo, "dataset", "DCDM dataset"); },
                                     {fifo, "a FIFO, not a regular file"});
  });
  EXPECT_LT(t, 1.0);
  expect_error<std::runtime_error>([&] { dl::read_archive(dir.path().string(), "model", "x"); },
                                   {"a folder, not a regular file"});
  // A 1 GiB sparse file of zeros: not an archive, told from its first bytes.
  const std::string sparse = dir.file("sparse.bin");
  {
    std::ofstream(sparse).close();
    ASSERT_EQ(::truncate(sparse.c_str(), std::int64_t{1} << 30), 0);
  }
  t = seconds([&] {
    expect_error<std::runtime_error>([&] { dl::read_archive(sparse, "model", "model file"); },
                                     {sparse, "not a deepsolve model file"});
  });
  EXPECT_LT(t, 1.0);
  // A valid header whose payload size disagrees with the 1 GiB file: refused from the sizes.
  const std::string head = dir.file("head.bin");
  dl::write_archive(head, "model", {std::string(100, 'm')});
  spit(sparse, slurp(head));
  ASSERT_EQ(::truncate(sparse.c_str(), std::int64_t{1} << 30), 0);
  t = seconds([&] {
    expect_error<std::runtime_error>([&] { dl::read_archive(sparse, "model", "model file"); },
                                     {sparse, "damaged model file", "1073741824 bytes"});
  });
  EXPECT_LT(t, 1.0);
}

// ~~~ The model registry ~~~

namespace {

// A registered type for these tests: a linear layer with options in and out.
void register_test_linear() {
  static std::once_flag once;
  std::call_once(once, [] {
    using Kind = dl::ModelOption::Kind;
    dl::ModelType t;
    t.name = "test-linear";
    t.family = "test";
    t.description = "a linear layer (tests only)";
    t.options = {{"in", Kind::integer, "2", "inputs"}, {"out", Kind::integer, "1", "outputs"}};
    t.build = [](const dl::ModelOptions& o) -> std::shared_ptr<torch::nn::Module> {
      const long long in = dl::integer_option(o, "in"), out = dl::integer_option(o, "out");
      if (in < 1 || out < 1) throw std::invalid_argument("in and out must be >= 1");
      return torch::nn::Linear(in, out).ptr();
    };
    t.is_instance = [](const torch::nn::Module& m) {
      return dynamic_cast<const torch::nn::LinearImpl*>(&m) != nullptr;
    };
    t.options_of = [](const torch::nn::Module& m) {
      const auto& o = dynamic_cast<const torch::nn::LinearImpl&>(m).options;
      return dl::ModelOptions{{"in", std::to_string(o.in_features())},
                              {"out", std::to_string(o.out_features())}};
    };
    t.describe = [](const torch::nn::Module& m) {
      const auto& o = dynamic_cast<const torch::nn::LinearImpl&>(m).options;
      return std::to_string(o.in_features()) + " -> " + std::to_string(o.out_features());
    };
    dl::ModelRegistry::instance().add(t);
  });
}

// A model file with the given type name, options and weights, written field by field.
void write_model(const std::string& path, const std::string& type, const dl::ModelOptions& options,
                 const torch::nn::Module& weights) {
  torch::serialize::OutputArchive archive, module;
  archive.write("model_type", c10::IValue(type));
  c10::Dict<std::string, std::string> o, metadata;
  for (const auto& [k, v] : options) o.insert(k, v);
  archive.write("options", c10::IValue(o));
  archive.write("metadata", c10::IValue(metadata));
  weights.save(module);
  archive.write("module", module);
  std::ostringstream bytes;
  archive.save_to(bytes);
  dl::write_archive(path, "model", {bytes.str()});
}

}  // namespace

TEST(ModelRegistry, SaveAndLoadPickTheTypeFromTheFile) {
  register_test_linear();
  TempDir dir;
  const std::string path = dir.file("linear.pt");
  torch::manual_seed(3);
  torch::nn::Linear net(3, 2);
  dl::save_model(path, *net, {{"note", "hello"}});
  const dl::LoadedModel m = dl::load_model(path);
  ASSERT_NE(m.type, nullptr);
  EXPECT_EQ(m.type->name, "test-linear");
  EXPECT_EQ(m.options.at("in"), "3");
  EXPECT_EQ(m.metadata.at("note"), "hello");
  EXPECT_EQ(m.type->describe(*m.module), "3 -> 2");
  const auto loaded = std::dynamic_pointer_cast<torch::nn::LinearImpl>(m.module);
  ASSERT_TRUE(loaded);
  EXPECT_TRUE(torch::equal(loaded->weight, net->weight));
  EXPECT_TRUE(torch::equal(loaded->bias, net->bias));
  EXPECT_FALSE(loaded->is_training());
}

TEST(ModelRegistry, ErrorsNameTheTypeTheOptionAndTheFile) {
  register_test_linear();
  auto& registry = dl::ModelRegistry::instance();
  TempDir dir;
  expect_error<std::invalid_argument>([&] { registry.get("no-such-type"); },
                                      {"unknown model type 'no-such-type'", "test-linear"});
  EXPECT_EQ(registry.find("no-such-type"), nullptr);
  EXPECT_FALSE(registry.names("test").empty());
  expect_error<std::invalid_argument>([&] { registry.add(registry.get("test-linear")); },
                                      {"'test-linear' is registered twice"});
  const dl::ModelType& type = registry.get("test-linear");
  expect_error<std::invalid_argument>(
      [&] {
        dl::resolve_options(type, {{"width", "3"}});
      },
      {"has no option 'width'", "in, out"});
  EXPECT_EQ(dl::resolve_options(type, {{"out", "4"}}).at("in"), "2");  // the default
  expect_error<std::invalid_argument>(
      [&] {
        dl::integer_option({{"in", "3x"}}, "in");
      },
      {"in: '3x' is not an integer"});

  // A module of no registered type cannot be saved.
  torch::nn::Conv1d conv(1, 1, 3);
  expect_error<std::invalid_argument>([&] { dl::save_model(dir.file("c.pt"), *conv); },
                                      {"of no registered model type"});
  // Files: an unknown type, invalid options, weights that do not fit the options.
  torch::nn::Linear two(2, 1);
  const std::string path = dir.file("m.pt");
  write_model(path, "no-such-type", {}, *two);
  expect_error<std::runtime_error>([&] { dl::load_model(path); },
                                   {path, "type 'no-such-type', which this build does not know"});
  write_model(path, "test-linear", {{"in", "0"}}, *two);
  expect_error<std::runtime_error>([&] { dl::load_model(path); },
                                   {path, "options are invalid", "in and out must be >= 1"});
  write_model(path, "test-linear", {{"in", "3"}}, *two);
  expect_error<std::runtime_error>([&] { dl::load_model(path); },
                                   {path, "tensor weight is [1, 2]", "options say [1, 3]"});
}
