#!/usr/bin/python3
"""scikit-learn's side of the Lasso benchmark (bench/bench_bcd_lasso.cpp runs it).

Reads one problem written by bench_bcd_lasso (raw little-endian arrays: a dense X as n*p float64
in column-major order, or a sparse X as CSC arrays indptr int32, indices int32, data float64;
y as n float64; the alphas as float64), times sklearn.linear_model.Lasso at one alpha and
lasso_path on the given alphas (no intercept, one thread), and writes the coefficients in the
same CSC layout (p x k: indptr int32 of k+1, indices int32, data float64) for bench_bcd_lasso to
compute their duality gaps, and a JSON record of the times.

scikit-learn's stop (sklearn/linear_model/_cd_fast.pyx, enet_coordinate_descent): after an
epoch whose largest coordinate change is below tol * max|w|, it computes the duality gap of
sum-of-squares scale, 1/2 ||y - Xw||^2 + n alpha ||w||_1, and stops when it is below
tol * ||y||^2; in the scale of (1/2n) ||y - Xw||^2 + alpha ||w||_1 that is gap <= tol ||y||^2 / n.
bench_bcd_lasso passes tol = 0.5e-6 for its target gap <= 1e-6 ||y||^2 / (2n), and checks it.
"""
import argparse
import json
import os
import time
import warnings

# One thread, as our side and glmnet: the CD loops are sequential, but BLAS level 1 calls could
# otherwise spread over the cores. Set before numpy loads OpenBLAS.
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"

import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402
import sklearn  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.linear_model import Lasso, lasso_path  # noqa: E402


def read_problem(args):
    n, p = args.rows, args.cols
    if args.dense:
        X = np.fromfile(args.dense, dtype="<f8", count=n * p).reshape((p, n)).T  # Fortran order
        assert X.flags.f_contiguous
    else:
        indptr = np.fromfile(args.sparse + ".indptr", dtype="<i4")
        indices = np.fromfile(args.sparse + ".indices", dtype="<i4")
        data = np.fromfile(args.sparse + ".data", dtype="<f8")
        X = sp.csc_matrix((data, indices, indptr), shape=(n, p))
    y = np.fromfile(args.targets, dtype="<f8")
    alphas = np.fromfile(args.alphas, dtype="<f8")
    return X, y, alphas


def write_coefs(path, coefs):
    """coefs: p x k dense array -> CSC arrays path.indptr/.indices/.data."""
    m = sp.csc_matrix(coefs)
    m.indptr.astype("<i4").tofile(path + ".indptr")
    m.indices.astype("<i4").tofile(path + ".indices")
    m.data.astype("<f8").tofile(path + ".data")


def timed(f, reps, long_s=10.0):
    """The best of `reps` calls by CPU time of the process (one thread: on a shared machine it
    does not grow with the others' load), one call only when it takes longer than long_s; returns
    (cpu_s, wall_s, result)."""
    best, wall, result = float("inf"), float("nan"), None
    for r in range(reps):
        t0, c0 = time.perf_counter(), time.process_time()
        result = f()
        cpu = time.process_time() - c0
        if cpu < best:
            best, wall = cpu, time.perf_counter() - t0
        if best > long_s:
            break
    return best, wall, result


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dense")
    ap.add_argument("--sparse")
    ap.add_argument("--targets", required=True)
    ap.add_argument("--rows", type=int, required=True)
    ap.add_argument("--cols", type=int, required=True)
    ap.add_argument("--alphas", required=True, help="the path's alphas (float64)")
    ap.add_argument("--alpha", type=float, required=True, help="the single alpha")
    ap.add_argument("--tol", type=float, required=True, help="sklearn's tol")
    ap.add_argument("--max-iter", type=int, default=100000)
    ap.add_argument("--path-budget", type=float, default=0.0,
                    help="stop the path after the alpha at which it has run this long (s; 0: none)")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--coef-out", required=True, help="prefix of the coefficient files")
    ap.add_argument("--json", required=True)
    args = ap.parse_args()
    X, y, alphas = read_problem(args)
    warnings.simplefilter("ignore", ConvergenceWarning)

    def single():
        model = Lasso(alpha=args.alpha, fit_intercept=False, tol=args.tol, max_iter=args.max_iter,
                      precompute=False, selection="cyclic")
        model.fit(X, y)
        return model

    t_single, w_single, model = timed(single, args.reps)
    # The path: lasso_path one alpha at a time, each warm-started from the previous solution
    # (what lasso_path does inside its loop over the alphas), so that a time budget can end it.
    # X is already what sklearn's checks would make of it (float64, Fortran order or CSC), so
    # check_input=False skips only the O(nnz) scan that lasso_path would otherwise repeat per call.
    def path():
        coefs, w, t0 = [], None, time.perf_counter()
        for a in alphas:
            _, c, _ = lasso_path(X, y, alphas=[a], tol=args.tol, max_iter=args.max_iter,
                                 precompute=False, coef_init=w, check_input=False)
            w = c[:, 0]
            coefs.append(w.copy())
            if args.path_budget > 0 and time.perf_counter() - t0 > args.path_budget:
                break
        return np.array([float(a) for a in alphas[: len(coefs)]]), np.array(coefs).T, None

    t_path, w_path, (path_alphas, coefs, gaps) = timed(path, args.reps)
    write_coefs(args.coef_out + ".single", model.coef_.reshape(-1, 1))
    write_coefs(args.coef_out + ".path", coefs)
    record = {
        "sklearn_version": sklearn.__version__,
        "numpy_version": np.__version__,
        "threads": 1,
        "tol": args.tol,
        "single": {"alpha": args.alpha, "time_s": t_single, "wall_s": w_single,
                   "n_iter": int(model.n_iter_)},
        "path": {"alphas": int(len(path_alphas)), "time_s": t_path, "wall_s": w_path,
                 "budget_s": args.path_budget},
    }
    with open(args.json, "w") as f:
        json.dump(record, f, indent=2)


if __name__ == "__main__":
    main()
