#!/usr/bin/python3
"""PyTorch's side of the diffusion sampling benchmark (bench/bench_diffusion_sampling.cpp runs it).

    /usr/bin/python3 bench/diffusion_sampling_torch.py --setup S.json --tensors S.pt --json OUT.json

Reads what bench_diffusion_sampling wrote: the setup (the "mlp-denoiser" options, sigma_data, the
number of steps, the batch sizes, threads, repetitions) and the tensors (torch.load: the network's
parameters and buffers under the C++ module's names, and for each batch size the noise, the labels
and the C++ samples). Builds the same network here (MlpDenoiser below: the structure of
diffusion/src/networks/mlp_denoiser.cpp written in PyTorch), loads the parameters strictly, and
samples the same way as the C++ side: the Euler sampler (EDM Alg. 1 without the correction) on the
Karras schedule (EDM eq. 5, sigma 0.002 .. 80, rho 7, then 0), with EDM's preconditioning
(Karras et al. 2022, Table 1) per sample, as k-diffusion writes a denoiser, under
torch.inference_mode with the same thread count. Checks first that the schedule equals the C++
one and that the samples from the same noise agree with the C++ samples to 1e-4 of their largest
magnitude (else the comparison is void and the script exits with status 1), then times each batch:
one warm-up run, then --reps samples of enough back-to-back runs to last 0.05 s; best and median
seconds per run by CPU time and wall time (the comparison uses the CPU time with one thread).

Needs torch (Debian python3-torch, the same version as the C++ LibTorch) and nothing else.
"""

import argparse
import json
import math
import os
import platform
import statistics
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn

MAX_RELATIVE_DIFFERENCE = 1e-4
MIN_SAMPLE_S = 0.05


class MlpDenoiser(nn.Module):
    """diffusion/src/networks/mlp_denoiser.cpp in PyTorch; the parameter names are the C++ ones."""

    def __init__(self, o):
        super().__init__()
        d, h, e = o["dimension"], o["hidden"], o["embedding"]
        self.layers = o["layers"]
        self.classes = o["classes"]
        # Fourier features of c_noise as cos(c w + p): w = 2 pi [f, f], p = [0.., -pi/2..].
        self.register_buffer("frequencies", torch.zeros(e))
        self.register_buffer("phases", torch.zeros(e))
        self.noise = nn.Linear(e, e)
        if self.classes > 0:
            self.labels = nn.Embedding(self.classes + 1, e)
        self.condition = nn.Linear(e, self.layers * h)  # every hidden layer's shift and bias
        self.hidden = []
        for layer in range(self.layers):
            setattr(self, f"hidden{layer}", nn.Linear(d if layer == 0 else h, h, bias=False))
            self.hidden.append(getattr(self, f"hidden{layer}"))
        self.out = nn.Linear(h, d)

    def forward(self, x, c_noise, labels):
        # The C++ forward's arithmetic, operator for operator (in place where it works in
        # place, the shifts added by addmm), but for the affine maps b + x W^T, which are
        # nn.Linear calls here (one Python call each; the C++ side calls addmm directly).
        e = F.silu(self.noise(torch.addr(self.phases, c_noise, self.frequencies).cos_()),
                   inplace=True)
        if self.classes > 0:
            e.add_(self.labels(labels))
        shifts = self.condition(e).chunk(self.layers, 1)
        h = x
        for layer, shift in zip(self.hidden, shifts):
            h = F.silu(torch.addmm(shift, h, layer.weight.t()), inplace=True)
        return self.out(h)


def karras_sigmas(n, sigma_min=0.002, sigma_max=80.0, rho=7.0):
    """EDM eq. 5: n levels from sigma_max down to sigma_min, then 0."""
    lo, hi = sigma_min ** (1 / rho), sigma_max ** (1 / rho)
    return [(hi + i / max(n - 1, 1) * (lo - hi)) ** rho for i in range(n)] + [0.0]


def denoise(net, x, sigma, labels, sigma_data):
    """EDM preconditioning: D = c_skip x + c_out F(c_in x, c_noise), per sample."""
    s = torch.full((x.shape[0],), sigma, dtype=x.dtype)
    s2 = s * s
    sd2 = sigma_data * sigma_data
    c_skip = sd2 / (s2 + sd2)
    c_out = s * sigma_data * torch.rsqrt(s2 + sd2)
    c_in = torch.rsqrt(s2 + sd2)
    c_noise = s.log() * 0.25
    f = net(c_in[:, None] * x, c_noise, labels)
    return c_skip[:, None] * x + c_out[:, None] * f


def euler(net, noise, sigmas, labels, sigma_data):
    """EDM Alg. 1 without its 2nd-order correction: x_s = x_t + (s - t)(x_t - D) / t."""
    x = noise * sigmas[0]
    for i in range(len(sigmas) - 1):
        d = (x - denoise(net, x, sigmas[i], labels, sigma_data)) / sigmas[i]
        x = x + d * (sigmas[i + 1] - sigmas[i])
    return x


def time_runs(f, reps, threads):
    """One warm-up call, then `reps` samples of enough calls to last MIN_SAMPLE_S: seconds per
    call by the process's CPU time and by the wall clock, best and median. "seconds", the figure
    compared, is the best CPU time with one thread, else the best wall time (as the C++ side)."""
    t0 = time.perf_counter()
    f()
    once = time.perf_counter() - t0
    calls = int(MIN_SAMPLE_S / once) + 1 if 0 < once < MIN_SAMPLE_S else 1
    cpu, wall = [], []
    for _ in range(reps):
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(calls):
            f()
        cpu.append((time.process_time() - c0) / calls)
        wall.append((time.perf_counter() - t0) / calls)
    return {"best_cpu_s": min(cpu), "median_cpu_s": statistics.median(cpu),
            "best_wall_s": min(wall), "median_wall_s": statistics.median(wall),
            "samples": reps, "calls_per_sample": calls,
            "seconds": min(cpu) if threads == 1 else min(wall)}


def load_average():
    try:
        return list(os.getloadavg())
    except OSError:
        return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--setup", required=True, help="the setup JSON bench_diffusion_sampling wrote")
    parser.add_argument("--tensors", required=True, help="the tensors file it wrote")
    parser.add_argument("--json", required=True, help="where to write this side's results")
    args = parser.parse_args()

    with open(args.setup) as f:
        setup = json.load(f)
    threads, reps = int(setup["threads"]), int(setup["reps"])
    sigma_data = float(setup["sigma_data"])
    torch.set_num_threads(threads)
    start_load = load_average()

    data = torch.load(args.tensors)
    net = MlpDenoiser(setup["network"])
    net.load_state_dict(dict(data["parameters"]), strict=True)
    net.eval()

    sigmas = karras_sigmas(int(setup["steps"]), setup["sigma_min"], setup["sigma_max"],
                           setup["rho"])
    cpp_sigmas = data["sigmas"].tolist()
    schedule_difference = max(abs(a - b) / max(abs(b), 1e-300) for a, b in zip(sigmas, cpp_sigmas))
    if len(sigmas) != len(cpp_sigmas) or schedule_difference > 1e-12:
        print(f"diffusion_sampling_torch.py: the Karras schedule differs from the C++ one "
              f"(relative {schedule_difference:.3e})", file=sys.stderr)
        return 1

    results = []
    worst = 0.0
    with torch.inference_mode():
        for batch in setup["batches"]:
            noise = data[f"noise_{batch}"]
            labels = data[f"labels_{batch}"]
            ref = data[f"samples_{batch}"]
            out = euler(net, noise, sigmas, labels, sigma_data)
            scale = float(ref.abs().max())
            rel = float((out - ref).abs().max()) / scale if scale > 0 else float("inf")
            worst = max(worst, rel)
            timing = time_runs(lambda: euler(net, noise, sigmas, labels, sigma_data), reps,
                               threads)
            timing["samples_per_s"] = batch / timing["seconds"]
            results.append({"batch": batch, "max_relative_difference": rel, "timing": timing})
            print(f"  Python  batch {batch:6d}: {timing['samples_per_s']:12.1f} samples/s "
                  f"(best {timing['best_cpu_s'] * 1e3:.3f} ms CPU, {timing['best_wall_s'] * 1e3:.3f} ms "
                  f"wall per run; |Python - C++| {rel:.1e})")

    doc = {
        "cases": results,
        "max_relative_difference": worst,
        "comparison_valid": worst <= MAX_RELATIVE_DIFFERENCE,
        "torch_version": torch.__version__,
        "python_version": platform.python_version(),
        "torch_threads": torch.get_num_threads(),
        "load_average": start_load,
        "load_average_after": load_average(),
        "executable": sys.executable,
    }
    with open(args.json, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    if worst > MAX_RELATIVE_DIFFERENCE or math.isnan(worst):
        print(f"diffusion_sampling_torch.py: error: the Python samples differ from the C++ ones by "
              f"{worst:.3e} of their largest magnitude (> {MAX_RELATIVE_DIFFERENCE:g}): the two do "
              f"not compute the same thing, the timing comparison is void", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
