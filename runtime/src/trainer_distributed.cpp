// trainer_distributed.cpp — trainerMain for a job of several ranks: agreement on
// errors, the start-up check that every rank runs the same program and flags, the
// weights from rank 0, and evaluation split over the ranks.
#include "gradc/runtime/checkpoint.h"
#include "gradc/runtime/distributed.h"
#include "gradc/runtime/error.h"
#include "gradc/runtime/kernels.h"
#include "gradc/runtime/metrics.h"
#include "gradc/runtime/weights.h"

#include "trainer_internal.h"

#include <nlohmann/json.hpp>

#include <sched.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <thread>

namespace gradc::rt::detail {

namespace {

using nlohmann::json;

// The CRC-32C and size of this process's executable: ranks that run different
// builds of a model (other flags, another compiler) may round differently.
std::pair<uint32_t, uint64_t> executableDigest() {
  std::ifstream file("/proc/self/exe", std::ios::binary);
  if (!file)
    return {0, 0};
  std::vector<char> buffer(1 << 20);
  uint32_t crc = 0;
  uint64_t size = 0;
  while (file) {
    file.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const auto got = static_cast<size_t>(file.gcount());
    crc = crc32c(buffer.data(), got, crc);
    size += got;
  }
  return {crc, size};
}

// What every rank must share: the model, the executable, and the flags that
// decide what is computed (data paths may differ from machine to machine).
json identity(const Model &model, const TrainerOptions &options) {
  const ModelInfo &info = model.info();
  auto [crc, bytes] = executableDigest();
  char digest[16];
  std::snprintf(digest, sizeof digest, "%08x", crc);
  return {{"model", info.name},
          {"fingerprint", info.fingerprint},
          {"executable", std::string(digest) + ", " + std::to_string(bytes) + " bytes"},
          {"flags",
           {{"mode", static_cast<int>(options.mode)},
            {"--epochs", options.epochs},
            {"--steps", options.steps ? *options.steps : 0},
            {"--lr", options.lr},
            {"--seed", options.seed},
            {"--validation", options.validation},
            {"--no-shuffle", !options.shuffle},
            {"--eval-every", options.evalEvery},
            {"--early-stopping", options.earlyStoppingMetric + ":" +
                                     std::to_string(options.patience)},
            {"--resume", !options.resume.empty()},
            {"--load", !options.load.empty()},
            {"--check-numerics", options.checkNumerics},
            {"--check-replicas", options.checkReplicas},
            {"--checkpoint-every", options.checkpointEvery},
            {"--test", !options.test.kind.empty()}}}};
}

// Throws Error (the same on every rank) unless every rank runs the same model,
// executable and flags as rank 0.
void checkSameJob(Communicator &comm, const Model &model, const TrainerOptions &options) {
  std::vector<std::string> all = comm.gather(identity(model, options).dump(), "the start-up check");
  const json first = json::parse(all.front());
  for (size_t r = 1; r < all.size(); ++r) {
    const json other = json::parse(all[r]);
    const std::string rank = "rank " + std::to_string(r);
    if (other["model"] != first["model"] || other["fingerprint"] != first["fingerprint"])
      throw Error("the ranks run different models: " + rank + " runs " +
                  other["model"].get<std::string>() + " (fingerprint " +
                  other["fingerprint"].get<std::string>() + ") and rank 0 runs " +
                  first["model"].get<std::string>() + " (fingerprint " +
                  first["fingerprint"].get<std::string>() +
                  "): launch the same program on every rank");
    if (other["executable"] != first["executable"])
      throw Error("the ranks run different executables of model " +
                  first["model"].get<std::string>() + ": " + rank + "'s has CRC-32C " +
                  other["executable"].get<std::string>() + ", rank 0's " +
                  first["executable"].get<std::string>() +
                  "; every rank must run the same build, or their weights drift apart");
    for (const auto &[flag, value] : first["flags"].items())
      if (other["flags"][flag] != value)
        throw Error("the ranks were started with different flags: " + rank + " has " +
                    (flag == "mode" ? "another mode" : flag + " " + other["flags"][flag].dump()) +
                    " and rank 0 " + (flag == "mode" ? "" : flag + " " + value.dump()) +
                    ": give every rank the same flags");
  }
}

// The default --threads of one rank: the cores this process may run on,
// shared with the job's other ranks on this machine.
int threadsPerRank(const Communicator &comm) {
  int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0 &&
      CPU_COUNT(&set) < cores)
    return CPU_COUNT(&set); // the launcher bound this rank to its own cores
  return std::max(1, cores / std::max(1, comm.localSize()));
}

int runEvalShared(Model &model, Communicator &comm, const TrainerOptions &options,
                  std::ostream &out, std::ostream &err) {
  const ModelInfo &info = model.info();
  auto start = std::chrono::steady_clock::now();
  Dataset test;
  collectively(comm, err, [&] { test = loadDataset(info, options.test); });
  Evaluation result = evaluateShared(model, test, comm);
  if (!options.quiet) {
    LogRecord record;
    addMetricFields(record, "test_", result.loss, info.metrics, result.metrics);
    out << formatFields(record) << "  (" << test.size << " samples on " << comm.size()
        << " ranks, " << fixed(secondsSince(start), 1) << " s)\n";
  }
  out << finalLine("test", result.loss, info.metrics, result.metrics) << '\n';
  return 0;
}

int runShared(Model &model, Communicator &comm, const TrainerOptions &options,
              std::ostream &out, std::ostream &err) {
  checkRanks(model.info(), comm.size(), options.mode);
  setThreads(options.threads);
  // Rank 0 initializes or loads the weights, and every rank starts from its bits.
  collectively(comm, err, [&] {
    if (comm.rank() != 0)
      return;
    if (!options.load.empty() && options.loadPartial)
      detail::loadPartially(model, options, out);
    else if (!options.load.empty())
      loadWeights(model, options.load);
    else
      initializeParameters(model, options.seed);
  });
  model.resetOptimizer();
  broadcastState(model, comm);
  model.setCheckNumerics(options.checkNumerics);
  if (options.mode == Mode::Eval)
    return runEvalShared(model, comm, options, out, err);
  return runTraining(model, comm, options, out, err);
}

} // namespace

void collectively(Communicator &comm, std::ostream &err, const std::function<void()> &body) {
  if (comm.size() == 1) {
    body();
    return;
  }
  int64_t code = 0;
  std::string message;
  try {
    body();
  } catch (const UsageError &error) {
    code = 2;
    message = error.what();
  } catch (const std::bad_alloc &) {
    code = 1;
    message = "out of memory";
  } catch (const std::exception &error) {
    code = 1;
    message = error.what();
  }
  int64_t codes[2] = {code, comm.rank() == 0 ? code : 0}; // the largest, rank 0's
  comm.max(codes, 2, "sharing errors");
  if (codes[0] == 0)
    return;
  if (code != 0 && (comm.rank() == 0 || codes[1] == 0)) {
    std::string who = comm.rank() == 0 ? "" : "rank " + std::to_string(comm.rank()) + " of " +
                                                 std::to_string(comm.size()) + ": ";
    err << "error: " << who << message << std::endl;
  }
  throw JobFailed{static_cast<int>(codes[0])};
}

Evaluation evaluateShared(Model &model, const Dataset &data, Communicator &comm) {
  if (comm.size() == 1)
    return evaluate(model, data);
  const ModelInfo &info = model.info();
  checkBatch(info);
  if (data.size < 1)
    throw Error("cannot evaluate an empty data set");
  const int64_t ranks = comm.size(), rank = comm.rank();
  const int64_t begin = data.size * rank / ranks, end = data.size * (rank + 1) / ranks;
  MetricTotals totals(info.metrics);
  // The mean of the batches' losses, each weighted by what its loss counts
  // (a batch whose every label is ignored has a NaN loss and no weight).
  double lossSum = 0, weightSum = 0;
  auto addLoss = [&](double loss, int64_t weight) {
    if (weight > 0) {
      lossSum += loss * static_cast<double>(weight);
      weightSum += static_cast<double>(weight);
    }
  };
  std::vector<Tensor> batch = batchTensors(info.inputs, info.batch),
                      one = batchTensors(info.inputs, 1);
  int64_t i = begin;
  for (; i + info.batch <= end; i += info.batch) {
    StepResult result = model.evalStep(inputsAt(data, i, info.batch, batch).data(),
                                       samplePointers(data.labels, i).data());
    addLoss(result.loss, lossWeight(info, data, i, info.batch));
    totals.add(result.metricStats);
  }
  for (; i < end; ++i) {
    StepResult result = model.evalOne(inputsAt(data, i, 1, one).data(),
                                      samplePointers(data.labels, i).data());
    addLoss(result.loss, lossWeight(info, data, i, 1));
    totals.add(result.metricStats);
  }
  std::vector<double> sums = {lossSum, weightSum};
  sums.insert(sums.end(), totals.stats().begin(), totals.stats().end());
  comm.sumAgreed(sums.data(), static_cast<int64_t>(sums.size()), "the evaluation's sums");
  MetricTotals all(info.metrics);
  all.add(std::vector<double>(sums.begin() + 2, sums.end()));
  Evaluation evaluation;
  evaluation.samples = data.size;
  evaluation.loss = sums[0] / sums[1];
  evaluation.metrics = all.values(data.size);
  return evaluation;
}

void broadcastState(Model &model, Communicator &comm) {
  if (comm.size() == 1)
    return;
  for (const BufferRef &buffer : model.buffers())
    comm.broadcast(buffer.data, static_cast<uint64_t>(buffer.numElements()) *
                                    dtypeSize(buffer.dtype),
                   "the initial " + buffer.name);
  int64_t step = model.step();
  comm.broadcast(&step, sizeof step, "the step");
  model.setStep(step);
}

int distributedMain(Model &model, Communicator &comm, int argc, const char *const *argv,
                    std::ostream &out, std::ostream &err) {
  // Only rank 0 prints, logs and writes files.
  std::ostream silent(nullptr);
  std::ostream &rankOut = comm.rank() == 0 ? out : silent;
  try {
    std::optional<TrainerOptions> options;
    ParseContext context;
    context.ownsFiles = comm.rank() == 0;
    context.defaultThreads = threadsPerRank(comm);
    collectively(comm, err, [&] {
      options = parseTrainerOptions(model.info(), argc, argv, rankOut, context);
    });
    if (!options)
      return 0; // --help, on every rank
    comm.setTimeout(options->collectiveTimeout);
    collectively(comm, err, [&] {
      checkSameJob(comm, model, *options);
      checkRanks(model.info(), comm.size(), options->mode);
    });
    if (options->mode == Mode::Train || options->mode == Mode::Eval)
      return runShared(model, comm, *options, rankOut, err);
    // The other modes are not worth splitting: rank 0 runs them alone.
    if (comm.rank() != 0)
      return 0;
    auto alone = singleProcess();
    return runOneProcess(model, *alone, *options, out, err);
  } catch (const JobFailed &failed) {
    return failed.code;
  } catch (const AgreedError &error) {
    if (comm.rank() == 0)
      err << "error: " << error.what() << std::endl;
    return error.code;
  } catch (const std::bad_alloc &) {
    comm.abort("error: rank " + std::to_string(comm.rank()) + " of " +
                   std::to_string(comm.size()) + ": out of memory; ending the job",
               1);
  } catch (const std::exception &error) {
    comm.abort("error: rank " + std::to_string(comm.rank()) + " of " +
                   std::to_string(comm.size()) + ": " + error.what() + "\nending the job",
               1);
  }
}

} // namespace gradc::rt::detail
