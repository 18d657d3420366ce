#!/usr/bin/python3
"""The DCDM network in PyTorch from Python, timed next to bench_dcdm_inference (C++).

    /usr/bin/python3 bench/dcdm_inference.py --cpp results/inf.json --json results/inf_vs_py.json

Reads what bench_dcdm_inference wrote: its JSON (network options, threads, number of calls, the
path of the tensors file) and the tensors file (torch.load: the parameters as a dict name -> tensor,
the input, the cell-type images, the C++ output). Builds the same network here (DcdmNet below, a
copy of solvers/src/dcdm/network.cpp's structure in PyTorch), loads the parameters (strictly: every
name must match), and checks that its output on the same input matches the C++ output: the
largest absolute difference relative to max |output| must be at most 1e-4 (with the same
LibTorch underneath it is exactly 0; float32 convolutions summed in another order would give about
1e-6), or the comparison is void and the script exits with
status 1. Then it times the same number of forward calls as the C++ program, with the same thread
count (torch.set_num_threads), under torch.no_grad in eval mode: one warm-up call, then each call
timed on its own; min and median per call.

Writes --json: one combined result for bench_report --inference: the C++ JSON under "cpp", this
side under "python", the difference and the ratios C++ / Python.

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


class DcdmNet(nn.Module):
    """solvers/src/dcdm/network.cpp in PyTorch; the parameter names are the C++ module's."""

    def __init__(self, o):
        super().__init__()
        self.dim = o["dim"]
        self.activation = o["activation"]
        self.padding = o["padding"]
        self.levels = o["pooling_levels"]
        self.cell_type_inputs = bool(o["cell_type_inputs"])
        c = o["channels"]
        conv = nn.Conv3d if self.dim == 3 else nn.Conv2d

        def convs(count):
            return nn.ModuleList([conv(c, c, 3, padding=1) for _ in range(count)])

        # Registered in the C++ order: first, full, down1.., coarse, up1.., up, last.
        self.first = conv(3 if self.cell_type_inputs else 1, c, 3, padding=1)
        self.full = convs(o["full_convs"])
        self.down = []
        for level in range(1, self.levels):
            setattr(self, f"down{level}", convs(o["full_convs"]))
            self.down.append(getattr(self, f"down{level}"))
        self.coarse = convs(o["half_convs"])
        self.up_levels = []
        for level in range(1, self.levels):
            setattr(self, f"up{level}", convs(o["up_convs"]))
            self.up_levels.append(getattr(self, f"up{level}"))
        self.up = convs(o["up_convs"])
        self.last = conv(c, 1, 1)

    def act(self, x):
        if self.activation == "relu":
            return torch.relu(x)
        if self.activation == "leaky_relu":
            return F.leaky_relu(x, 0.01)
        if self.activation == "tanh":
            return torch.tanh(x)
        raise ValueError(f"unknown activation {self.activation}")

    def conv(self, module, x):
        # As DcdmNetImpl::conv: 3x3x3 convs on the CPU in float32 go straight to oneDNN, which
        # PyTorch's own dispatch skips for batch-1 grids below about 36^3.
        if (self.dim == 3 and module.kernel_size[0] == 3 and x.device.type == "cpu"
                and x.dtype == torch.float32 and torch.backends.mkldnn.is_available()):
            return torch.mkldnn_convolution(x, module.weight, module.bias, [1, 1, 1],
                                            [1, 1, 1], [1, 1, 1], 1)
        return module(x)

    def stage(self, convs, begin, x0):
        # The pair rule: x_i = act(c_i(x_{i-1})) + (i even ? x_{i-2} : 0), activation before add.
        before, current = x0, x0
        for j in range(begin, len(convs)):
            y = self.act(self.conv(convs[j], current))
            if (j - begin) % 2 == 1:
                y = y + before
            before, current = current, y
        return current

    def pool(self, t):
        return F.avg_pool3d(t, 2, 2) if self.dim == 3 else F.avg_pool2d(t, 2, 2)

    @staticmethod
    def upsample_to(t, like):
        return F.interpolate(t, size=list(like.shape[2:]), mode="nearest")

    def network(self, x):
        h = self.act(self.conv(self.full[0], self.conv(self.first, x)))
        h = self.stage(self.full, 1, h)
        skips = [h]
        for down in self.down:
            h = self.stage(down, 0, self.pool(h))
            skips.append(h)
        h = self.stage(self.coarse, 0, self.pool(h))
        for level in range(len(self.up_levels), 0, -1):
            h = self.stage(self.up_levels[level - 1], 0,
                           self.upsample_to(h, skips[level]) + skips[level])
        h = self.stage(self.up, 0, self.upsample_to(h, skips[0]) + skips[0])
        return self.last(h)

    def forward(self, x, cells=None):
        inp = x
        if self.cell_type_inputs:
            expanded = list(cells.shape)
            expanded[0] = x.shape[0]
            cells_per_sample = float(x[0].numel())
            inp = torch.cat([x * math.sqrt(cells_per_sample),
                             cells.to(x.dtype).expand(expanded)], 1)
        multiple = 1 << self.levels
        pad = []  # F.pad order: last axis first, (low, high) per axis
        for a in range(self.dim + 1, 1, -1):
            pad += [0, (multiple - x.shape[a] % multiple) % multiple]
        if any(pad):
            mode = "constant" if self.padding == "zero" else "replicate"
            y = self.network(F.pad(inp, pad, mode=mode))
            for a in range(2, self.dim + 2):
                y = y.narrow(a, 0, x.shape[a])
            return y
        return self.network(inp)


def time_each(f, reps):
    f()  # warm-up
    per_call = []
    for _ in range(reps):
        t0 = time.perf_counter()
        f()
        per_call.append(time.perf_counter() - t0)
    return {"best_s": min(per_call), "median_s": statistics.median(per_call),
            "samples": reps, "calls_per_sample": 1}


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


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cpp", required=True, help="the JSON bench_dcdm_inference wrote")
    parser.add_argument("--json", required=True, help="the combined result to write")
    parser.add_argument("--tensors", help="the tensors file (default: the one the C++ JSON names)")
    args = parser.parse_args()

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
    net = DcdmNet(cpp["network"])
    net.load_state_dict(dict(data["parameters"]), strict=True)
    net.eval()
    x = data["input"]
    cells = data["cells"] if cpp["network"]["cell_type_inputs"] else None

    with torch.no_grad():
        out = net(x, cells)
        ref = data["output"]
        if out.shape != ref.shape:
            print(f"dcdm_inference.py: output shape {tuple(out.shape)} differs from the C++ "
                  f"{tuple(ref.shape)}", file=sys.stderr)
            return 1
        max_abs = float((out - ref).abs().max())
        scale = float(ref.abs().max())
        rel = max_abs / scale if scale > 0 else max_abs
        timing = time_each(lambda: net(x, cells), reps)

    problem = cpp["problem"]
    grid = f"{problem['size']}^{problem['dim']}"
    print(f"{cpp['network']['description']} on {grid} {problem['geometry']}, {threads} "
          f"thread{'s' if threads != 1 else ''}, {reps} calls after one warm-up")
    print(f"  max |Python - C++| = {max_abs:.3e}, relative to max |output| {rel:.3e}")
    c, p = cpp["forward"], timing
    print(f"  C++     min {c['best_s'] * 1e3:9.3f} ms  median {c['median_s'] * 1e3:9.3f} ms")
    print(f"  Python  min {p['best_s'] * 1e3:9.3f} ms  median {p['median_s'] * 1e3:9.3f} ms")
    print(f"  C++ / Python: {c['best_s'] / p['best_s']:.3f} (min), "
          f"{c['median_s'] / p['median_s']:.3f} (median)")

    doc = {
        "benchmark": "dcdm_inference",
        "problem": problem,
        "network": cpp["network"],
        "threads": threads,
        "reps": reps,
        "max_abs_difference": max_abs,
        "max_abs_output": scale,
        "max_relative_difference": rel,
        "comparison_valid": rel <= MAX_RELATIVE_DIFFERENCE,
        "ratio_cpp_over_python_best": c["best_s"] / p["best_s"],
        "ratio_cpp_over_python_median": c["median_s"] / p["median_s"],
        "python": {
            "forward": timing,
            "torch_version": torch.__version__,
            "python_version": platform.python_version(),
            "torch_threads": torch.get_num_threads(),
            "load_average": start_load,
            "load_average_after": load_average(),
            "executable": sys.executable,
            "command": " ".join(root_relative(a) for a in sys.argv),
        },
        "cpp": cpp,
    }
    with open(args.json, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    print(f"wrote {args.json}")
    if rel > MAX_RELATIVE_DIFFERENCE:
        print(f"dcdm_inference.py: error: the Python network's output differs from the C++ one by "
              f"{rel:.3e} of max |output| (> {MAX_RELATIVE_DIFFERENCE:g}): the two do not compute "
              f"the same function, the timing comparison is void", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
