#!/usr/bin/python3
"""The unfolded networks in PyTorch from Python, timed next to bench_unfolded (C++).

    /usr/bin/python3 bench/unfolded_inference.py --cpp results/u.json --json results/u_vs_py.json

Reads what `bench_unfolded --part inference` wrote: its JSON (each network's type and registry
options, threads, number of calls, the path of the tensors file) and the tensors file (torch.load:
one dict; for network "<type>": "<type>/y", "<type>/A", "<type>/output" (the C++ x_T) and
"<type>/param/<name>" for its parameters and buffers). Builds each network here from its options
(UnfoldedSteps, ListaCpss, Alista below: the forward passes of unfolded/src/unfolded_steps.cpp,
lista_cpss.cpp and alista.cpp, and the shrinkages of penalty.cpp and support_selection.cpp,
written as a PyTorch user would: torch operations, the support selection by a sorted topk, a
mask and a where, where the C++ library runs a fused kernel of its own in inference), loads the
parameters strictly (every name must match) and checks that its x_T on the same y (and A)
matches the C++ one: the largest absolute difference relative to max |x_T| must be at most 1e-5
(the same arithmetic gives 0), or the comparison is void and the script exits with status 1. Then it times the same
number of calls as the C++ program, with the same thread count (torch.set_num_threads), under
torch.no_grad: one warm-up call, then each call timed on its own; min and median per call.

Like the C++ forward_layers, the timed forward keeps every layer's output (the C++ API returns
them all). For information, a variant that keeps only the last one is timed too ("last_only").

Writes --json: one combined result for bench_report --unfolded-inference: per network the C++
and Python timings, the difference and the ratio C++ / Python; the C++ JSON under "cpp".

    /usr/bin/python3 bench/unfolded_inference.py --merge round1.json ... --json out.json

Merges rounds of the above (scripts/bench runs C++ and Python alternately, several times, so that
a noisy stretch of a shared machine does not fall on one side only): per network and side the
round with the lowest minimum, the largest output difference of all rounds, and "rounds".

Needs torch (Debian python3-torch, the same version as the C++ LibTorch) and nothing else.
"""

import argparse
import json
import math
import os
import platform
import resource
import statistics
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn

MAX_RELATIVE_DIFFERENCE = 1e-5


def soft_threshold(v, theta):
    """penalty.cpp's shrink for l1: v - clamp(v, -theta, theta)."""
    return v - torch.clamp(v, -theta, theta)


def hard_threshold(v, theta):
    """penalty.cpp's shrink for l0: v where |v| > theta, else 0."""
    return v * (v.abs() > theta).to(v.dtype)


def support_count(options, layer, n):
    """SupportSelection::count: floor(min(layer * step, max) * n / 100), in [0, n]."""
    percent = min(float(options["support-step"]) * layer, float(options["support-max"]))
    return max(0, min(n, math.floor(percent * n / 100.0 + 1e-9)))


def shrink_with_support_selection(v, theta, count):
    """support_selection.cpp: the `count` largest magnitudes of a row above theta pass unchanged."""
    soft = soft_threshold(v, theta)
    if count <= 0:
        return soft
    magnitude = v.abs()
    kth = magnitude.topk(count, dim=1, largest=True, sorted=True)[0].narrow(1, count - 1, 1)
    trusted = (magnitude >= kth).logical_and_(magnitude > theta)
    return torch.where(trusted, v, soft)


class UnfoldedSteps(nn.Module):
    """unfolded-ista / unfolded-iht: x_t = prox(x + alpha_t A^T (y - A x)), learned steps."""

    def __init__(self, type_name, o):
        super().__init__()
        self.l1 = type_name == "unfolded-ista"
        self.layers = int(o["layers"])
        self.lam = float(o["lambda"])
        self.learn_thresholds = o.get("learn-thresholds", "0") == "1"
        self.step_parameters = nn.Parameter(torch.zeros(self.layers))
        self.register_buffer("step_scale", torch.zeros(()))
        if self.learn_thresholds:
            self.threshold_parameters = nn.Parameter(torch.zeros(self.layers))
            self.register_buffer("threshold_scale", torch.zeros(()))

    def forward(self, y, A, keep_all=True):
        steps = F.softplus(self.step_parameters) * self.step_scale
        if self.learn_thresholds:
            theta = F.softplus(self.threshold_parameters) * self.threshold_scale
        elif self.l1:
            theta = self.lam * steps
        else:
            theta = torch.sqrt((2.0 * self.lam) * steps)
        shrink = soft_threshold if self.l1 else hard_threshold
        out, x = [], None
        for t in range(self.layers):
            residual = y if x is None else torch.addmm(y, x, A.t(), beta=1.0, alpha=-1.0)
            scaled = residual * steps[t]
            v = torch.matmul(scaled, A) if x is None else torch.addmm(x, scaled, A)
            x = shrink(v, theta[t])
            if keep_all:
                out.append(x)
        return out if keep_all else [x]


class ListaCpss(nn.Module):
    """lista-cpss: x_t = eta_ss(x + W_t^T (y - A x)), coupled weights, support selection."""

    def __init__(self, o):
        super().__init__()
        self.o = o
        T, m, n = int(o["layers"]), int(o["measurements"]), int(o["signal-size"])
        self.W = nn.Parameter(torch.zeros(T, m, n))
        self.theta = nn.Parameter(torch.zeros(T))
        self.register_buffer("A", torch.zeros(m, n))

    def forward(self, y, A=None, keep_all=True):
        out, x = [], None
        n = self.A.shape[1]
        for t in range(self.W.shape[0]):
            residual = y if x is None else torch.addmm(y, x, self.A.t(), beta=1.0, alpha=-1.0)
            v = torch.matmul(residual, self.W[t]) if x is None else torch.addmm(x, residual,
                                                                                self.W[t])
            x = shrink_with_support_selection(v, self.theta[t], support_count(self.o, t + 1, n))
            if keep_all:
                out.append(x)
        return out if keep_all else [x]


class Alista(nn.Module):
    """alista: x_t = eta_ss(x + gamma_t W^T (y - A x)), analytic W, learned gamma_t, theta_t."""

    def __init__(self, o):
        super().__init__()
        self.o = o
        T, m, n = int(o["layers"]), int(o["measurements"]), int(o["signal-size"])
        self.gamma = nn.Parameter(torch.zeros(T))
        self.theta = nn.Parameter(torch.zeros(T))
        self.register_buffer("A", torch.zeros(m, n))
        self.register_buffer("W", torch.zeros(m, n))

    def forward(self, y, A=None, keep_all=True):
        out, x = [], None
        n = self.A.shape[1]
        for t in range(self.gamma.shape[0]):
            residual = y if x is None else torch.addmm(y, x, self.A.t(), beta=1.0, alpha=-1.0)
            scaled = residual * self.gamma[t]
            v = torch.matmul(scaled, self.W) if x is None else torch.addmm(x, scaled, self.W)
            x = shrink_with_support_selection(v, self.theta[t], support_count(self.o, t + 1, n))
            if keep_all:
                out.append(x)
        return out if keep_all else [x]


def build(type_name, options):
    if type_name in ("unfolded-ista", "unfolded-iht"):
        return UnfoldedSteps(type_name, options)
    if type_name == "lista-cpss":
        return ListaCpss(options)
    if type_name == "alista":
        return Alista(options)
    raise ValueError(f"unfolded_inference.py: no Python version of network type {type_name}")


def minor_faults():
    """Minor page faults of this process so far (as bench_unfolded counts them)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def time_each(f, reps):
    f()  # warm-up
    per_call = []
    faults = minor_faults()
    for _ in range(reps):
        t0 = time.perf_counter()
        f()
        per_call.append(time.perf_counter() - t0)
    return {"best_s": min(per_call), "median_s": statistics.median(per_call),
            "samples": reps, "calls_per_sample": 1,
            "minor_faults_per_call": (minor_faults() - faults) / reps}


def root_relative(word):
    """A path inside the repository relative to its root (as the C++ benchmarks record them)."""
    if word.startswith("-") or "/" not in word:
        return word
    root = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
    path = os.path.realpath(os.path.abspath(word))
    rel = os.path.relpath(path, root)
    return word if rel.startswith("..") else rel


def load_average():
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def merge_rounds(paths, out_path):
    rounds = []
    for path in paths:
        with open(path) as f:
            rounds.append(json.load(f))
    doc = dict(rounds[0])
    networks = []
    for i, first in enumerate(rounds[0]["networks"]):
        per_round = [d["networks"][i] for d in rounds]
        if any(r["type"] != first["type"] for r in per_round):
            print("unfolded_inference.py: the rounds do not list the same networks", file=sys.stderr)
            return 1
        merged = dict(max(per_round, key=lambda r: r["max_relative_difference"]))
        for side in ("cpp", "python", "python_last_only"):
            merged[side] = min((r[side] for r in per_round), key=lambda t: t["best_s"])
        # The C++ details (the breakdown of a layer) of the round whose C++ time is kept.
        merged["cpp_network"] = min(per_round, key=lambda r: r["cpp"]["best_s"])["cpp_network"]
        merged["comparison_valid"] = all(r["comparison_valid"] for r in per_round)
        merged["ratio_cpp_over_python_best"] = merged["cpp"]["best_s"] / merged["python"]["best_s"]
        merged["ratio_cpp_over_python_median"] = (merged["cpp"]["median_s"]
                                                  / merged["python"]["median_s"])
        # The two sides of one round run a minute apart at most: their ratio is paired, and the
        # median over the rounds does not depend on one quiet stretch falling on one side.
        paired = [r["cpp"]["best_s"] / r["python"]["best_s"] for r in per_round]
        merged["round_ratios"] = paired
        merged["ratio_median_of_rounds"] = statistics.median(paired)
        networks.append(merged)
    doc["networks"] = networks
    doc["rounds"] = len(rounds)
    doc["comparison_valid"] = all(n["comparison_valid"] for n in networks)
    with open(out_path, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    for n in networks:
        print(f"{len(rounds)} rounds, {n['type']}: C++ / Python "
              f"{n['ratio_cpp_over_python_best']:.3f} (min), "
              f"{n['ratio_cpp_over_python_median']:.3f} (median); median of the rounds' ratios "
              f"{n['ratio_median_of_rounds']:.3f}")
    print(f"wrote {out_path}")
    return 0 if doc["comparison_valid"] else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cpp", help="the JSON bench_unfolded --part inference wrote")
    parser.add_argument("--json", required=True, help="the combined result to write")
    parser.add_argument("--tensors", help="the tensors file (default: the one the C++ JSON names)")
    parser.add_argument("--merge", nargs="+", metavar="ROUND",
                        help="merge combined results of several rounds instead of timing")
    args = parser.parse_args()
    if args.merge:
        return merge_rounds(args.merge, args.json)
    if not args.cpp:
        parser.error("--cpp is required unless --merge is given")

    with open(args.cpp) as f:
        cpp = json.load(f)
    tensors_path = args.tensors or cpp["tensors"]
    if not args.tensors and not os.path.exists(tensors_path):  # relative to the JSON's directory
        candidate = os.path.join(os.path.dirname(args.cpp), os.path.basename(tensors_path))
        if os.path.exists(candidate):
            tensors_path = candidate
    threads = int(cpp["threads"])
    reps = int(cpp["reps"])
    start_load = load_average()
    torch.set_num_threads(threads)
    data = torch.load(tensors_path)

    networks, valid = [], True
    for entry in cpp["networks"]:
        name = entry["type"]
        prefix = name + "/param/"
        state = {k[len(prefix):]: v for k, v in data.items() if k.startswith(prefix)}
        net = build(name, entry["options"])
        net.load_state_dict(state, strict=True)
        net.eval()
        y, A, ref = data[name + "/y"], data[name + "/A"], data[name + "/output"]
        with torch.no_grad():
            out = net(y, A)[-1]
            if out.shape != ref.shape:
                print(f"unfolded_inference.py: {name}: output shape {tuple(out.shape)} differs "
                      f"from the C++ {tuple(ref.shape)}", file=sys.stderr)
                return 1
            max_abs = float((out - ref).abs().max())
            scale = float(ref.abs().max())
            rel = max_abs / scale if scale > 0 else max_abs
            timing = time_each(lambda: net(y, A), reps)
            last_only = time_each(lambda: net(y, A, keep_all=False), reps)
        c = entry["forward"]
        ok = rel <= MAX_RELATIVE_DIFFERENCE
        valid = valid and ok
        print(f"{entry['description']} ({entry['weights']} weights), {cpp['problems']} problems, "
              f"{threads} thread{'s' if threads != 1 else ''}, {reps} calls after one warm-up")
        print(f"  max |Python - C++| = {max_abs:.3e}, relative to max |x_T| {rel:.3e}")
        print(f"  C++     min {c['best_s'] * 1e3:9.2f} ms  median {c['median_s'] * 1e3:9.2f} ms"
              f"  {c.get('minor_faults_per_call', float('nan')):8.0f} page faults/call")
        print(f"  Python  min {timing['best_s'] * 1e3:9.2f} ms  "
              f"median {timing['median_s'] * 1e3:9.2f} ms  "
              f"{timing['minor_faults_per_call']:8.0f} page faults/call  "
              f"(x_T only: min {last_only['best_s'] * 1e3:.2f} ms, "
              f"{last_only['minor_faults_per_call']:.0f} faults/call)")
        print(f"  C++ / Python: {c['best_s'] / timing['best_s']:.3f} (min), "
              f"{c['median_s'] / timing['median_s']:.3f} (median)")
        networks.append({
            "type": name,
            "description": entry["description"],
            "weights": entry["weights"],
            "layers": entry["layers"],
            "max_abs_difference": max_abs,
            "max_abs_output": scale,
            "max_relative_difference": rel,
            "comparison_valid": ok,
            "cpp": c,
            "python": timing,
            "python_last_only": last_only,
            "ratio_cpp_over_python_best": c["best_s"] / timing["best_s"],
            "ratio_cpp_over_python_median": c["median_s"] / timing["median_s"],
            "cpp_network": entry,  # options, data, parameters, the C++ breakdown of a layer
        })

    doc = {
        "benchmark": "unfolded_inference",
        "threads": threads,
        "reps": reps,
        "problems": cpp["problems"],
        "networks": networks,
        "comparison_valid": valid,
        "python_info": {
            "torch_version": torch.__version__,
            "python_version": platform.python_version(),
            "torch_threads": torch.get_num_threads(),
            "load_average": start_load,
            "load_average_after": load_average(),
            "executable": sys.executable,
            "command": " ".join(root_relative(a) for a in sys.argv),
        },
        "cpp_info": {k: v for k, v in cpp.items() if k != "networks"},
    }
    with open(args.json, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    print(f"wrote {args.json}")
    if not valid:
        print(f"unfolded_inference.py: error: a Python network's x_T differs from the C++ one by "
              f"more than {MAX_RELATIVE_DIFFERENCE:g} of max |x_T|: the two do not compute the "
              f"same function, the timing comparison is void", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
