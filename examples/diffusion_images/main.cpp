// diffusion_images: denoisers trained on synthetic images (deepsolve::diffusion), their samples,
// the analysis of their Jacobian and the memorization-to-generalization curve of Kadkhodaie et
// al. (ICLR 2024). The first argument picks the command; each command parses its own options
// (commands.hpp).
#include "commands.hpp"
#include "common/commands.hpp"

namespace {

namespace ex = deepsolve::examples;
using namespace diffusion_images;

const char* const kOverview =
    "diffusion_images: denoisers trained on synthetic images, their samples, their Jacobian and\n"
    "the memorization-to-generalization transition (docs/diffusion.md)\n"
    "\n"
    "Usage: diffusion_images <command> [options]   (diffusion_images <command> --help)\n"
    "\n"
    "Commands:\n"
    "  train           train a UNet denoiser (normal or bias-free) on images F .. F+N-1 of a\n"
    "                  synthetic class (discs, c-alpha, shapes)\n"
    "  sample          draw K samples from a model (coarse-to-fine ascent for a blind model,\n"
    "                  Heun on the Karras schedule otherwise); a PNG grid\n"
    "  jacobian        the denoiser's Jacobian at a noisy image: effective dimension, leading\n"
    "                  eigenvalues and eigenvectors (PNG), asymmetry, homogeneity (JSON)\n"
    "  generalization  models trained on disjoint sets of N images for growing N: cosine of\n"
    "                  their samples from the same noise and to the nearest training image\n"
    "                  (CSV, PNG plot, sample grids)\n"
    "\n"
    "Exit status: 0 done, 2 bad input or a failure (one line on stderr says which).\n";

}  // namespace

int main(int argc, char** argv) {
  return ex::run_commands(kProgram, kOverview,
                          {{"train", train_command},
                           {"sample", sample_command},
                           {"jacobian", jacobian_command},
                           {"generalization", generalization_command}},
                          argc, argv);
}
