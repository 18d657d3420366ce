#!/usr/bin/python3
"""The DCDM network in PyTorch from Python, timed next to bench_dcdm_inference (C++).

    /usr/bin/python3 bench/dcdm_inference.py --cpp results/inf.json --json results/inf_vs_py.json

Reads what bench_dcdm_inference wrote: its JSON (network options, threads, number of calls, the
path of the tensors file) and the tensors file (torch.load: the parameters as a dict name -> tensor,
the input, the cell-type images, the C++ output). Builds the same network here (DcdmNet or VcycleNet
below, copies of the structure of solvers/src/dcdm/network.cpp and vcycle_network.cpp in
PyTorch), loads the parameters (strictly: every
name must match), and checks that its output on the same input matches the C++ output: the
largest absolute difference relative to max |output| must be at most 1e-4 (with the same
LibTorch underneath it is exactly 0 for the CNN; float32 convolutions summed in another order
would give about 1e-6, as for the V-cycle network, whose C++ inference computes its coefficients
once per distinct patch of cell images, with other kernels), or the comparison is void and the script exits with
status 1. Then it times the same number of forward calls as the C++ program, with the same thread
count (torch.set_num_threads), under torch.no_grad in eval mode: one warm-up call, then each call
timed on its own; min and median per call.

Writes --json: one combined result for bench_report --inference: the C++ JSON under "cpp", this
side under "python", the difference and the ratios C++ / Python.

    /usr/bin/python3 bench/dcdm_inference.py --merge round1.json round2.json ... --json out.json

Merges rounds of the above (scripts/bench runs C++ and Python alternately, several times, so that
a noisy stretch of a shared machine does not fall on one side only): for each side the round with
the lowest minimum per call, the largest output difference of all rounds, and "rounds".

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


class VcycleNet(nn.Module):
    """solvers/src/dcdm/vcycle_network.cpp in PyTorch; the parameter names are the C++ module's.

    As in C++, the per-level coefficients depend only on the cell images, so they are computed
    on the first call in eval mode without autograd and reused while the same images come in.
    """

    def __init__(self, o):
        super().__init__()
        self.dim = o["dim"]
        self.smoothing = o["smoothing"]
        self.coarsest = o["coarsest"]
        self.taps = 27 if self.dim == 3 else 9
        conv = nn.Conv3d if self.dim == 3 else nn.Conv2d
        h = o["hidden"]
        self.spatial = conv(2, h, 3)
        self.mix = conv(h, h, 1)
        self.out = conv(h, 2 * self.smoothing * self.taps + 2, 1)
        self._cache = None

    def levels_for(self, sizes):
        levels, n = 1, list(sizes)
        while any(v > self.coarsest for v in n):
            n = [(v + 1) // 2 for v in n]
            levels += 1
        return levels

    @staticmethod
    def pool_half(x):
        pad = []
        for a in range(x.dim() - 1, 1, -1):
            pad += [0, x.shape[a] % 2]
        if any(pad):
            x = F.pad(x, pad)
        return F.avg_pool3d(x, 2, 2) if x.dim() == 5 else F.avg_pool2d(x, 2, 2)

    @staticmethod
    def coarsen_cells(g):
        interior = g
        for a in range(2, g.dim()):
            n = g.shape[a] - 2
            interior = interior.narrow(a, 1, n + n % 2)
        pooled = (F.avg_pool3d if g.dim() == 5 else F.avg_pool2d)(interior, 2, 2)
        out = g.new_zeros([s + 2 if a >= 2 else s for a, s in enumerate(pooled.shape)])
        inner = out
        for a in range(2, g.dim()):
            inner = inner.narrow(a, 1, pooled.shape[a])
        inner.copy_(pooled)
        for a in range(2, g.dim()):
            for high in (False, True):
                value = g.narrow(a, g.shape[a] - 1 if high else 0, 1)
                for b in range(2, g.dim()):
                    if b != a:
                        value = value.narrow(b, g.shape[b] // 2, 1)
                slab = out.narrow(a, out.shape[a] - 1 if high else 0, 1)
                slab.copy_(value.expand_as(slab))
        return out

    def coefficients(self, cells):
        levels = self.levels_for([s - 2 for s in cells.shape[2:]])
        out, g = [], cells
        for level in range(levels):
            out.append(self.out(torch.relu(self.mix(torch.relu(self.spatial(g))))))
            if level + 1 < levels:
                g = self.coarsen_cells(g)
        return out

    def stencil(self, w, e):
        three = self.dim == 3
        p = F.pad(e, [1] * (6 if three else 4))
        nz, ny, nx = (e.shape[2] if three else 1), e.shape[-2], e.shape[-1]
        y, s = None, 0
        for dz in range(3 if three else 1):
            for dy in range(3):
                for dx in range(3):
                    shifted = p.narrow(-1, dx, nx).narrow(-2, dy, ny)
                    if three:
                        shifted = shifted.narrow(2, dz, nz)
                    term = w.narrow(1, s, 1) * shifted
                    y = term if y is None else y + term
                    s += 1
        return y

    def forward(self, x, cells=None):
        g = cells.to(x.dtype)
        key = (cells.data_ptr(), tuple(cells.shape))
        if not self.training and not torch.is_grad_enabled():
            if self._cache is None or self._cache[0] != key:
                self._cache = (key, self.coefficients(g))
            coef = self._cache[1]
        else:
            coef = self.coefficients(g)
        k, taps = self.smoothing, self.taps
        c0 = 2 * k * taps
        r = [x]
        for _ in range(1, len(coef)):
            r.append(self.pool_half(r[-1]))

        def smooth(c, first, e):
            for j in range(k):
                e = self.stencil(c.narrow(1, (first + j) * taps, taps), e)
            return e

        e = None
        for level in range(len(coef) - 1, -1, -1):
            c = coef[level]
            z = c.narrow(1, c0, 1) * smooth(c, 0, r[level])
            if e is not None:
                mode = "trilinear" if self.dim == 3 else "bilinear"
                up = F.interpolate(e, size=[2 * s for s in e.shape[2:]], mode=mode,
                                   align_corners=False)
                for a in range(2, x.dim()):
                    up = up.narrow(a, 0, z.shape[a])
                z = z + 4.0 * c.narrow(1, c0 + 1, 1) * up
            e = smooth(c, k, z)
        return e


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


def merge_rounds(paths, out_path):
    rounds = []
    for path in paths:
        with open(path) as f:
            rounds.append(json.load(f))
    cpp = min(rounds, key=lambda d: d["cpp"]["forward"]["best_s"])["cpp"]
    python = min(rounds, key=lambda d: d["python"]["forward"]["best_s"])["python"]
    worst = max(rounds, key=lambda d: d["max_relative_difference"])
    doc = dict(worst)
    doc.update({
        "rounds": len(rounds),
        "comparison_valid": all(d["comparison_valid"] for d in rounds),
        "ratio_cpp_over_python_best": cpp["forward"]["best_s"] / python["forward"]["best_s"],
        "ratio_cpp_over_python_median": cpp["forward"]["median_s"] / python["forward"]["median_s"],
        "python": python,
        "cpp": cpp,
    })
    with open(out_path, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    print(f"{len(rounds)} rounds: C++ / Python {doc['ratio_cpp_over_python_best']:.3f} (min), "
          f"{doc['ratio_cpp_over_python_median']:.3f} (median)")
    print(f"wrote {out_path}")
    return 0 if doc["comparison_valid"] else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cpp", help="the JSON bench_dcdm_inference wrote")
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
    vcycle = cpp["network"].get("architecture") == "vcycle"
    net = VcycleNet(cpp["network"]) if vcycle else DcdmNet(cpp["network"])
    net.load_state_dict(dict(data["parameters"]), strict=True)
    net.eval()
    x = data["input"]
    cells = data["cells"] if vcycle or cpp["network"]["cell_type_inputs"] else None

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
