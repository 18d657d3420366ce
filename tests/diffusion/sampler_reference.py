#!/usr/bin/env python3
"""Independent reference for the C++ samplers (diffusion/include/deepsolve/diffusion/sampler.hpp).

Recomputes, with numpy and from the equations, the Euler, Heun (Karras et al. 2022, Alg. 1),
DPM-Solver++(2M) (Lu et al. 2022, Alg. 2) and DDIM (eta = 0, Song et al. 2021, eq. 12) samples on
the Karras schedule (EDM eq. 5: 12 steps, sigma in [0.002, 80], rho = 7, then 0) for the exact
posterior mean of a 2-component 2-D Gaussian mixture, from the starting points the C++ test wrote
(test_sampling.cpp, SamplerReference.WritesTrajectories), and compares with the C++ samples and
NFE counts. Exits non-zero when any coordinate differs by more than 1e-6 or a count differs.

Usage: sampler_reference.py DIR   (DIR holds noise.csv, euler.csv, heun.csv, dpmpp-2m.csv,
ddim.csv and nfe.csv)
"""
import math
import os
import sys

try:
    import numpy as np
except ImportError:
    sys.exit("sampler_reference.py: numpy is missing (Debian: python3-numpy)")

STEPS, SIGMA_MIN, SIGMA_MAX, RHO = 12, 0.002, 80.0, 7.0
TOLERANCE = 1e-6

# The mixture, as in test_sampling.cpp (MixtureTarget).
WEIGHTS = [0.3, 0.7]
MEANS = [np.array([-1.0, 0.5]), np.array([1.5, -0.5])]
COVS = [np.array([[0.3, 0.1], [0.1, 0.2]]), np.array([[0.5, -0.2], [-0.2, 0.4]])]


def denoise(x, sigma):
    """E[x0 | x] for x = x0 + sigma n, x0 from the mixture: x [B, 2]."""
    log_p, cond_mean = [], []
    for w, m, c in zip(WEIGHTS, MEANS, COVS):
        p = c + sigma * sigma * np.eye(2)
        p_inv = np.linalg.inv(p)
        d = x - m
        q = np.einsum("bi,ij,bj->b", d, p_inv, d)
        log_p.append(math.log(w) - 0.5 * math.log(np.linalg.det(p)) - 0.5 * q)
        cond_mean.append(m + d @ (c @ p_inv).T)
    log_p = np.stack(log_p, axis=1)
    r = np.exp(log_p - log_p.max(axis=1, keepdims=True))
    r /= r.sum(axis=1, keepdims=True)
    return r[:, :1] * cond_mean[0] + r[:, 1:] * cond_mean[1]


def karras():
    ramp = np.linspace(0.0, 1.0, STEPS)
    hi, lo = SIGMA_MAX ** (1.0 / RHO), SIGMA_MIN ** (1.0 / RHO)
    return np.append((hi + ramp * (lo - hi)) ** RHO, 0.0)


class Counted:
    def __init__(self):
        self.nfe = 0

    def __call__(self, x, sigma):
        self.nfe += x.shape[0]
        return denoise(x, sigma)


def euler(x, sigmas, model):
    for i in range(len(sigmas) - 1):
        slope = (x - model(x, sigmas[i])) / sigmas[i]
        x = x + (sigmas[i + 1] - sigmas[i]) * slope
    return x


def heun(x, sigmas, model):
    for i in range(len(sigmas) - 1):
        t, s = sigmas[i], sigmas[i + 1]
        slope = (x - model(x, t)) / t
        x_next = x + (s - t) * slope
        if s > 0:
            slope_next = (x_next - model(x_next, s)) / s
            x_next = x + (s - t) * 0.5 * (slope + slope_next)
        x = x_next
    return x


def dpmpp_2m(x, sigmas, model):
    lam = lambda s: -math.log(s)
    previous = None
    for i in range(len(sigmas) - 1):
        t, s = sigmas[i], sigmas[i + 1]
        d0 = model(x, t)
        if s == 0:
            x = d0
        else:
            h = lam(s) - lam(t)
            if previous is None:
                d = d0
            else:
                r = (lam(t) - lam(sigmas[i - 1])) / h
                d = (1 + 1 / (2 * r)) * d0 - (1 / (2 * r)) * previous
            x = (s / t) * x - math.expm1(-h) * d
        previous = d0
    return x


def ddim(x, sigmas, model):
    for i in range(len(sigmas) - 1):
        x0 = model(x, sigmas[i])
        eps = (x - x0) / sigmas[i]
        x = x0 + sigmas[i + 1] * eps
    return x


SAMPLERS = {"euler": (euler, STEPS), "heun": (heun, 2 * STEPS - 1),
            "dpmpp-2m": (dpmpp_2m, STEPS), "ddim": (ddim, STEPS)}


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    folder = sys.argv[1]
    noise = np.loadtxt(os.path.join(folder, "noise.csv"), delimiter=",", ndmin=2)
    counts = {}
    with open(os.path.join(folder, "nfe.csv")) as f:
        for line in f:
            name, value = line.strip().split(",")
            counts[name] = int(value)
    sigmas = karras()
    failures = 0
    for name, (run, nfe_per_sample) in SAMPLERS.items():
        theirs = np.loadtxt(os.path.join(folder, name + ".csv"), delimiter=",", ndmin=2)
        if theirs.shape != noise.shape:
            print(f"{name}: C++ samples have shape {theirs.shape}, noise {noise.shape}")
            failures += 1
            continue
        model = Counted()
        ours = run(noise * sigmas[0], sigmas, model)
        diff = float(np.abs(ours - theirs).max())
        expected_nfe = nfe_per_sample * noise.shape[0]
        ok = diff <= TOLERANCE and model.nfe == expected_nfe and counts.get(name) == expected_nfe
        print(f"{name:9s} max |C++ - Python| = {diff:.3g}  NFE C++ {counts.get(name)} "
              f"Python {model.nfe} expected {expected_nfe}  {'ok' if ok else 'FAIL'}")
        failures += not ok
    if failures:
        sys.exit(f"sampler_reference.py: {failures} sampler(s) disagree with the reference")


if __name__ == "__main__":
    main()
