// The four findings of Nagahisa, Hayakawa & Iiguni (2025, arXiv 2509.01331, abstract), each
// turned into a rule over the measured curves (documented in docs/unfolded.md, "Reproduction"):
//   1. unsupervised unfolded ISTA reaches the objective of converged ISTA in far fewer layers;
//   2. supervised unfolded ISTA reaches a lower NMSE but a higher objective than converged ISTA;
//   3. both unfolded IHTs reach a lower objective and NMSE than IHT;
//   4. under a train/test mismatch unsupervised IHT degrades less than supervised IHT.
// A finding that the numbers do not support is reported as not holding.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "reproduction.hpp"
#include "support.hpp"

namespace sparse_recovery {

namespace {

/// FISTA's iterate 200 (or its last, when it ran fewer) is the converged reference of the l1
/// problem.
constexpr int kReferenceIterations = 200;
/// Finding 1: ISTA must need at least this many times T iterations to match the network ...
constexpr double kMinSpeedup = 4.0;
/// ... and the network's objective must be within this fraction of the converged one.
constexpr double kMaxRelativeGap = 0.01;

Finding unsupervised_ista(const Reproduction& r) {
  const MethodResult& net = r.method("unfolded_ista_unsupervised");
  const MethodResult& ista = r.method("ista");
  const MethodResult& fista = r.method("fista");
  const int T = net.last();
  const int ref_t = std::min(kReferenceIterations, fista.last());
  const double target = net.objective[T];
  const double reference = fista.objective[ref_t];
  int needed = -1;
  for (int k = 1; k <= ista.last(); ++k)
    if (ista.objective[k] <= target) {
      needed = k;
      break;
    }
  const double gap = (target - reference) / reference;
  const double ista_gap = (ista.objective[T] - reference) / reference;
  Finding f;
  f.number = 1;
  f.claim =
      "unsupervised unfolded ISTA reaches the objective of converged ISTA in far fewer layers";
  f.holds = needed >= kMinSpeedup * T && needed != -1 && gap <= kMaxRelativeGap;
  // The network beyond ISTA's last iterate is a speed-up too (needed > K).
  if (needed == -1) f.holds = gap <= kMaxRelativeGap;
  f.numbers = "layer " + std::to_string(T) + " objective " + formatted("%.6g", target) +
              ", which ISTA reaches after " +
              (needed == -1 ? "more than " + std::to_string(ista.last()) : std::to_string(needed)) +
              " iterations; relative gap to FISTA-" + std::to_string(ref_t) + " " +
              formatted("%.2e", gap) + " (ISTA-" + std::to_string(T) + ": " +
              formatted("%.2e", ista_gap) + "); rule: >= " + formatted("%g", kMinSpeedup) +
              "T iterations and gap <= " + formatted("%g", kMaxRelativeGap);
  return f;
}

Finding supervised_ista(const Reproduction& r) {
  const MethodResult& sup = r.method("unfolded_ista_supervised");
  const MethodResult& unsup = r.method("unfolded_ista_unsupervised");
  const MethodResult& ista = r.method("ista");
  const int T = sup.last(), K = ista.last();
  Finding f;
  f.number = 2;
  f.claim = "supervised unfolded ISTA has a lower NMSE but a higher objective than converged ISTA";
  f.holds = sup.nmse_db[T] < ista.nmse_db[K] && sup.objective[T] > ista.objective[K];
  f.numbers = "NMSE " + formatted("%.2f", sup.nmse_db[T]) + " dB vs ISTA-" + std::to_string(K) +
              " " + formatted("%.2f", ista.nmse_db[K]) + " dB, objective " +
              formatted("%.6g", sup.objective[T]) + " vs " + formatted("%.6g", ista.objective[K]) +
              " (unsupervised: " + formatted("%.2f", unsup.nmse_db[T]) + " dB, " +
              formatted("%.6g", unsup.objective[T]) + ")";
  return f;
}

Finding unfolded_iht(const Reproduction& r) {
  const MethodResult& iht = r.method("iht");
  const int K = iht.last();
  Finding f;
  f.number = 3;
  f.claim = "both unfolded IHTs reach a lower objective and NMSE than IHT";
  f.holds = true;
  std::string numbers;
  for (const char* key : {"unfolded_iht_supervised", "unfolded_iht_unsupervised"}) {
    const MethodResult& net = r.method(key);
    const int T = net.last();
    f.holds = f.holds && net.objective[T] < iht.objective[T] &&
              net.objective[T] < iht.objective[K] && net.nmse_db[T] < iht.nmse_db[T] &&
              net.nmse_db[T] < iht.nmse_db[K];
    numbers += (numbers.empty() ? "" : ", ") + net.loss + " " +
               formatted("%.6g", net.objective[T]) + " / " + formatted("%.2f", net.nmse_db[T]) +
               " dB";
  }
  const int T = r.method("unfolded_iht_supervised").last();
  f.numbers = "objective / NMSE at layer " + std::to_string(T) + ": " + numbers + "; IHT-" +
              std::to_string(T) + " " + formatted("%.6g", iht.objective[T]) + " / " +
              formatted("%.2f", iht.nmse_db[T]) + " dB, IHT-" + std::to_string(K) + " " +
              formatted("%.6g", iht.objective[K]) + " / " + formatted("%.2f", iht.nmse_db[K]) +
              " dB";
  return f;
}

Finding mismatch(const Reproduction& r) {
  const MethodResult& sup = r.method("unfolded_iht_supervised");
  const MethodResult& unsup = r.method("unfolded_iht_unsupervised");
  const MethodResult& iht = r.method("iht");
  const int T = sup.last();
  const auto loss = [T](const MethodResult& m, int t) {
    return m.mismatch_nmse_db[t] - m.nmse_db[t];
  };
  const double d_sup = loss(sup, T), d_unsup = loss(unsup, T);
  Finding f;
  f.number = 4;
  f.claim = "under a train/test mismatch unsupervised unfolded IHT degrades less than supervised";
  f.holds = d_unsup < d_sup;
  const ReproduceOptions& o = r.options;
  f.numbers = "test at SNR " + formatted("%g", o.mismatch_snr_db) + " dB, sparsity " +
              formatted("%g", o.mismatch_sparsity) + ": NMSE loss " + formatted("%+.2f", d_sup) +
              " dB supervised (" + formatted("%.2f", sup.nmse_db[T]) + " -> " +
              formatted("%.2f", sup.mismatch_nmse_db[T]) + "), " + formatted("%+.2f", d_unsup) +
              " dB unsupervised (" + formatted("%.2f", unsup.nmse_db[T]) + " -> " +
              formatted("%.2f", unsup.mismatch_nmse_db[T]) + "); IHT-" + std::to_string(T) + " " +
              formatted("%+.2f", loss(iht, T)) + " dB";
  return f;
}

}  // namespace

const MethodResult& Reproduction::method(const std::string& key) const {
  for (const MethodResult& m : methods)
    if (m.key == key) return m;
  throw std::logic_error("reproduce: no results for " + key);
}

std::vector<int> classical_marks(int layers, int iterations) {
  std::vector<int> marks{layers};
  for (long long base = 10; base <= iterations; base *= 10)
    for (const long long step : {5LL, 10LL, 20LL})
      if (base * step / 10 > layers && base * step / 10 < iterations)
        marks.push_back(static_cast<int>(base * step / 10));
  if (iterations > layers) marks.push_back(iterations);
  std::sort(marks.begin(), marks.end());
  marks.erase(std::unique(marks.begin(), marks.end()), marks.end());
  return marks;
}

std::vector<Finding> evaluate_findings(const Reproduction& r) {
  return {unsupervised_ista(r), supervised_ista(r), unfolded_iht(r), mismatch(r)};
}

std::string finding_line(const Finding& f) {
  return "finding " + std::to_string(f.number) + ": " + (f.holds ? "holds" : "does not hold") +
         " (" + f.numbers + ")";
}

}  // namespace sparse_recovery
