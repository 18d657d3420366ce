#include "deepsolve/learned/training/distributed.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <stdexcept>
#include <vector>

namespace deepsolve::learned {

namespace {

#if DEEPSOLVE_LEARNED_WITH_MPI
void check_mpi(int code, const char* call) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  throw std::runtime_error(std::string(call) + " failed: " + std::string(text, length));
}
#endif

}  // namespace

DataParallel::DataParallel() {
#if DEEPSOLVE_LEARNED_WITH_MPI
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (initialized && !finalized) {
    comm_ = MPI_COMM_WORLD;
    MPI_Comm_rank(comm_, &rank_);
    MPI_Comm_size(comm_, &size_);
  }
#endif
}

#if DEEPSOLVE_LEARNED_WITH_MPI
DataParallel::DataParallel(MPI_Comm comm) : comm_(comm) {
  if (comm == MPI_COMM_NULL) throw std::invalid_argument("DataParallel: MPI_COMM_NULL");
  check_mpi(MPI_Comm_rank(comm_, &rank_), "MPI_Comm_rank");
  check_mpi(MPI_Comm_size(comm_, &size_), "MPI_Comm_size");
}
#endif

void DataParallel::broadcast_parameters(torch::nn::Module& model, int root) const {
  if (!active()) return;
  torch::NoGradGuard no_grad;
  for (auto& p : model.parameters()) broadcast(p, root);
  for (auto& b : model.buffers()) broadcast(b, root);
}

double DataParallel::average_gradients(torch::nn::Module& model, double local_value) const {
  if (!active()) return local_value;
#if DEEPSOLVE_LEARNED_WITH_MPI
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> params;
  for (auto& p : model.parameters())
    if (p.requires_grad()) params.push_back(p);
  std::vector<torch::Tensor> flat;
  std::int64_t total = 1;
  for (auto& p : params) {
    if (!p.grad().defined()) p.mutable_grad() = torch::zeros_like(p);
    flat.push_back(p.grad().reshape({-1}).to(torch::kCPU, torch::kFloat64));
    total += p.numel();
  }
  flat.push_back(torch::full({1}, local_value, torch::kFloat64));
  torch::Tensor buffer = torch::cat(flat).contiguous();
  if (buffer.numel() != total) throw std::logic_error("average_gradients: size mismatch");
  check_mpi(MPI_Allreduce(MPI_IN_PLACE, buffer.data_ptr<double>(), static_cast<int>(total),
                          MPI_DOUBLE, MPI_SUM, comm_),
            "MPI_Allreduce");
  buffer.div_(static_cast<double>(size_));
  std::int64_t offset = 0;
  for (auto& p : params) {
    const std::int64_t n = p.numel();
    p.mutable_grad().copy_(buffer.narrow(0, offset, n).view(p.sizes()));
    offset += n;
  }
  return buffer[offset].item<double>();
#else
  (void)model;
  return local_value;
#endif
}

double DataParallel::sum(double value) const {
  if (!active()) return value;
#if DEEPSOLVE_LEARNED_WITH_MPI
  check_mpi(MPI_Allreduce(MPI_IN_PLACE, &value, 1, MPI_DOUBLE, MPI_SUM, comm_), "MPI_Allreduce");
#endif
  return value;
}

bool DataParallel::any(bool value) const {
  if (!active()) return value;
  int v = value ? 1 : 0;
#if DEEPSOLVE_LEARNED_WITH_MPI
  check_mpi(MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPI_INT, MPI_LOR, comm_), "MPI_Allreduce");
#endif
  return v != 0;
}

void DataParallel::broadcast(at::Tensor& tensor, int root) const {
  if (!active()) return;
#if DEEPSOLVE_LEARNED_WITH_MPI
  torch::NoGradGuard no_grad;
  // A contiguous CPU tensor is received in place; anything else through a contiguous CPU copy.
  torch::Tensor host = tensor.to(torch::kCPU).contiguous();
  const std::int64_t bytes = host.numel() * static_cast<std::int64_t>(host.element_size());
  // MPI counts are int: large tensors go in pieces of 1 GiB.
  auto* data = static_cast<char*>(host.data_ptr());
  for (std::int64_t done = 0; done < bytes;) {
    const std::int64_t n = std::min<std::int64_t>(bytes - done, std::int64_t{1} << 30);
    check_mpi(MPI_Bcast(data + done, static_cast<int>(n), MPI_BYTE, root, comm_), "MPI_Bcast");
    done += n;
  }
  if (host.data_ptr() != tensor.data_ptr()) tensor.copy_(host);
#else
  (void)tensor;
  (void)root;
#endif
}

std::string DataParallel::broadcast(const std::string& text, int root) const {
  if (!active()) return text;
#if DEEPSOLVE_LEARNED_WITH_MPI
  long long length = static_cast<long long>(text.size());
  check_mpi(MPI_Bcast(&length, 1, MPI_LONG_LONG, root, comm_), "MPI_Bcast");
  std::string out = rank_ == root ? text : std::string(static_cast<std::size_t>(length), '\0');
  if (length > 0)
    check_mpi(MPI_Bcast(out.data(), static_cast<int>(length), MPI_CHAR, root, comm_), "MPI_Bcast");
  return out;
#else
  (void)root;
  return text;
#endif
}

std::string DataParallel::agree(const std::string& local_error) const {
  if (!active()) return local_error;
#if DEEPSOLVE_LEARNED_WITH_MPI
  int mine = local_error.empty() ? size_ : rank_, first = size_;
  check_mpi(MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, comm_), "MPI_Allreduce");
  if (first == size_) return "";
  return broadcast(local_error, first);
#else
  return local_error;
#endif
}

void DataParallel::raise_if_any(const std::string& local_error) const {
  const std::string error = agree(local_error);
  if (!error.empty()) throw CollectiveError(error);
}

void DataParallel::barrier() const {
  if (!active()) return;
#if DEEPSOLVE_LEARNED_WITH_MPI
  check_mpi(MPI_Barrier(comm_), "MPI_Barrier");
#endif
}

}  // namespace deepsolve::learned
