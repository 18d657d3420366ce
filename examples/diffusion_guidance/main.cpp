// diffusion_guidance: conditional diffusion on low-dimensional data (deepsolve::diffusion,
// docs/diffusion.md): train a denoiser, sample with a guidance policy, and compare the policies.
#include "commands.hpp"
#include "common/commands.hpp"

namespace {

namespace ex = deepsolve::examples;
using namespace diffusion_guidance;

const char* const kOverview =
    "diffusion_guidance: classifier-free guidance and Adaptive Guidance on point data\n"
    "(docs/diffusion.md)\n"
    "\n"
    "Usage: diffusion_guidance <command> [options]   (<command> --help for its options)\n"
    "\n"
    "Commands:\n"
    "  train          train a conditional MLP denoiser by denoising score matching on a seeded\n"
    "                 data set (mixture8, the 2-D toys)\n"
    "  sample         draw samples of one label with a sampler and a guidance policy (none, cfg,\n"
    "                 interval, schedule, ag, linear-ag); CSV of the samples, JSON with the NFEs\n"
    "                 and, for an analytic data set, the sliced Wasserstein distance to the truth\n"
    "  fit-linear-ag  record full-CFG trajectories and fit LinearAG's coefficients to a file\n"
    "  compare        every policy on the same noise: NFEs, time, distance to the true\n"
    "                 conditional and agreement with full CFG, as a table (JSON, CSV)\n"
    "\n"
    "Exit status: 0 done, 2 bad input or a failure (one line on stderr says which).\n";

}  // namespace

int main(int argc, char** argv) {
  return ex::run_commands(kProgram, kOverview,
                          {{"train", train_command},
                           {"sample", sample_command},
                           {"fit-linear-ag", fit_linear_ag_command},
                           {"compare", compare_command}},
                          argc, argv);
}
