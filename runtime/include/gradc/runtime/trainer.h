// trainer.h — the generated training program's main: command line, training loop,
// evaluation, prediction, logging and weights files, for any Model.
#ifndef GRADC_RUNTIME_TRAINER_H
#define GRADC_RUNTIME_TRAINER_H

#include "gradc/runtime/dataset.h"
#include "gradc/runtime/model.h"

#include <cstdint>
#include <iosfwd>
#include <vector>

namespace gradc::rt {

/// The whole main() of a generated training program:
///
///   int main(int argc, char **argv) {
///     FashionMLP model;
///     return gradc::rt::trainerMain(model, argc, argv);
///   }
///
/// Flags (defaults from ModelInfo, i.e. the model's `train { }` section):
///   --epochs N          passes over the training data (N >= 1)
///   --steps N           stop after N optimizer steps (N >= 1); without
///                       --epochs, train for as many epochs as N steps take
///   --lr X              base learning rate (finite, > 0), before the schedule
///   --seed N            seeds initialization, shuffling and dropout
///   --threads N         threads for the kernels (N >= 1; default: hardware)
///   --data FILE [--labels FILE]       training data
///   --test FILE [--test-labels FILE]  test data
///                       format from the name: .npy, .csv, IDX (-ubyte or .idx,
///                       optionally .gz); CSV files hold their labels in a column
///   --no-shuffle        train in file order
///   --load W.safetensors  start from these weights instead of initializing
///   --save W.safetensors  write the weights at the end
///   --init-only         initialize, write --save, exit
///   --eval              evaluate the --load weights on the test data, exit
///   --predict X --out Y.npy  write the output for every sample of X, exit
///   --log FILE          one record per epoch (and evaluation): FILE.csv or FILE.jsonl
///   --quiet             print only errors and the final line
///   --help
/// and those of a run you can trust (docs/training.md):
///   --validation F, --eval-every N, --early-stopping METRIC:P, --save-best W
///   --checkpoint-dir DIR, --checkpoint-every N, --no-checkpoints, --resume DIR
///   --check-numerics, --gradcheck [--gradcheck-entries K]
///   --tensorboard DIR, --plot FILE.svg [--from LOG], --progress, --no-progress
///
/// Input files must be readable and output files writable before anything
/// runs. Usage errors print "error: ..." naming the flag and return 2; runtime
/// errors (bad data, weights that do not fit) print "error: ..." and return 1;
/// no exception escapes. Normal output goes to `out`, errors to `err`.
///
/// Training: parameters are initialized by initializeParameters(model, seed)
/// (or loaded, or restored with the optimizer state and step from a
/// checkpoint), then resetOptimizer(). Each epoch visits the training samples
/// in epochOrder() and trains on full batches only — the last size mod batch
/// samples of the epoch's order are skipped, as PyTorch's drop_last=True. Step
/// t (Model::step()) uses learningRate(schedule, lr, t) and
/// stepRngKey(seed, t); a step whose loss or gradient norm is not finite
/// stops training with an error. The epoch's loss is the mean of its batch losses and
/// its metrics come from the summed statistics; then the test data, if any, is
/// evaluated with evaluate(). One line per epoch:
///   epoch 1/5  loss 0.5123  accuracy 0.8211  test_loss 0.4410  test_accuracy 0.8432  (3.2 s)
/// and a final line: "test accuracy 0.8765" (the first metric, or the loss
/// when there is none; "train ..." without test data).
int trainerMain(Model &model, int argc, char **argv);
int trainerMain(Model &model, int argc, const char *const *argv, std::ostream &out,
                std::ostream &err);

/// The order of the training samples in epoch `epoch` (0-based):
/// Rng(shuffleSeed(seed, epoch)).permutation(count), or 0, 1, ..., count − 1
/// without shuffling.
std::vector<int64_t> epochOrder(uint64_t seed, int64_t epoch, int64_t count, bool shuffle);

/// The seed of epoch `epoch`'s shuffle: output `epoch` of the splitmix64
/// stream of seed ^ 0x53485546464C45 ("SHUFFLE").
uint64_t shuffleSeed(uint64_t seed, int64_t epoch);

/// The dropout key of optimizer step `step`: output `step` of the splitmix64
/// stream of seed ^ 0x44524F504F5554 ("DROPOUT").
uint64_t stepRngKey(uint64_t seed, int64_t step);

/// The dropout key of optimizer step `step` on rank `rank` of a data-parallel
/// run: stepRngKey(seed, step) on rank 0, elsewhere output `rank` of the
/// splitmix64 stream of stepRngKey(seed, step) ^ 0x52414E4B ("RANK"), so that
/// every rank draws its own masks for its share of the batch.
uint64_t stepRngKey(uint64_t seed, int64_t step, int rank);

/// What evaluating a data set gives.
struct Evaluation {
  double loss = 0.0;           ///< the mean loss per sample
  std::vector<double> metrics; ///< one value per ModelInfo::metrics
  int64_t samples = 0;
};

/// Evaluates every sample of the data set exactly once, in file order: full
/// batches through Model::evalStep, the rest one at a time through
/// Model::evalOne. Throws Error for an empty data set.
Evaluation evaluate(Model &model, const Dataset &data);

} // namespace gradc::rt

#endif // GRADC_RUNTIME_TRAINER_H
