#!/usr/bin/env python3
"""Makes the small TorchScript models that tests/solvers/test_dcdm_network.cpp loads.

Run with Debian's PyTorch (apt-get install python3-torch, 1.13.1), from this folder:

    /usr/bin/python3 make_torchscript_model.py

It writes
  tiny_conv2d.pt    a traced 2D conv net (1 -> 4 channels 3x3 'same', ReLU, 4 -> 1 1x1) whose
                    output has the input's shape, with the extra file deepsolve_model.txt
                    ("dim=2" plus metadata), and
  tiny_shrink2d.pt  a traced 3x3 conv without padding: its output is smaller than its input, so
                    the loader must reject it; no extra file (its dimension comes from its weight),
and prints the output of tiny_conv2d on the test input, which the C++ test stores.
"""
import torch


class TinyConv2d(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, 4, 3, padding=1)
        self.conv2 = torch.nn.Conv2d(4, 1, 1)

    def forward(self, x):
        return self.conv2(torch.relu(self.conv1(x)))


def test_input():
    # Exactly representable values, so C++ builds the same input: ((i % 7) - 3) / 4 on a 5x6 grid
    # (ny = 5, nx = 6), i the natural index.
    return ((torch.arange(30) % 7 - 3).float() / 4).reshape(1, 1, 5, 6)


def main():
    torch.manual_seed(1234)
    net = TinyConv2d().eval()
    example = torch.zeros(1, 1, 8, 8)
    traced = torch.jit.trace(net, example)
    meta = "dim=2\ntraining_command=make_torchscript_model.py (untrained, seed 1234)\nseed=1234\n"
    torch.jit.save(traced, "tiny_conv2d.pt", _extra_files={"deepsolve_model.txt": meta})

    torch.manual_seed(99)
    shrink = torch.nn.Conv2d(1, 1, 3).eval()
    torch.jit.save(torch.jit.trace(shrink, example), "tiny_shrink2d.pt")

    with torch.no_grad():
        y = torch.jit.load("tiny_conv2d.pt")(test_input()).reshape(-1)
    print("parameters:", sum(p.numel() for p in net.parameters()))
    print("output (natural order, %d values):" % y.numel())
    print(",\n".join(", ".join("%.9gf" % float(v) for v in y[i:i + 6]) for i in range(0, y.numel(), 6)))


if __name__ == "__main__":
    main()
