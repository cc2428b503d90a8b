// distributed.cpp — the one-process job, and which job this process belongs to.
#include "gradc/runtime/distributed.h"

#include "gradc/runtime/error.h"

#include "distributed_internal.h"

#include <cstdio>
#include <cstdlib>
#include <iostream>

namespace gradc::rt {

namespace {

class SingleProcess final : public Communicator {
public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  int localSize() const override { return 1; }
  void sum(void *, int64_t, DType, const std::string &) override {}
  void sumAgreed(double *, int64_t, const std::string &) override {}
  void max(int64_t *, int64_t, const std::string &) override {}
  void min(int64_t *, int64_t, const std::string &) override {}
  void broadcast(void *, uint64_t, const std::string &) override {}
  std::vector<std::string> gather(const std::string &value, const std::string &) override {
    return {value};
  }
  void setTimeout(double) override {}

protected:
  void endJob(int) override {}
};

// The first of the launchers' variables that is set, as a positive count.
int environmentCount(std::initializer_list<const char *> names) {
  for (const char *name : names) {
    const char *value = std::getenv(name);
    if (value == nullptr || *value == '\0')
      continue;
    char *end = nullptr;
    long count = std::strtol(value, &end, 10);
    if (end != value && *end == '\0' && count > 0 && count < (1L << 30))
      return static_cast<int>(count);
  }
  return 0;
}

} // namespace

void Communicator::broadcast(std::string &text, const std::string &what) {
  uint64_t length = text.size();
  broadcast(&length, sizeof length, what);
  text.resize(length);
  if (length > 0)
    broadcast(text.data(), length, what);
}

void Communicator::abort(const std::string &message, int code) {
  std::fflush(stdout);
  std::cout.flush();
  std::fprintf(stderr, "%s\n", message.c_str());
  std::fflush(stderr);
  endJob(code);
  std::_Exit(code);
}

std::unique_ptr<Communicator> singleProcess() { return std::make_unique<SingleProcess>(); }

int launchedRanks() {
  int ranks = environmentCount({"OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "PMI_SIZE"});
  return ranks > 0 ? ranks : 1;
}

int launchedRank() {
  for (const char *name : {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK"}) {
    const char *value = std::getenv(name);
    if (value != nullptr && *value != '\0')
      return std::atoi(value);
  }
  return 0;
}

bool builtWithMpi() {
#ifdef GRADC_HAVE_MPI
  return true;
#else
  return false;
#endif
}

std::unique_ptr<Communicator> joinJob() {
  const bool launched = std::getenv("OMPI_COMM_WORLD_SIZE") || std::getenv("PMIX_RANK") ||
                        std::getenv("PMI_RANK");
  if (!launched)
    return singleProcess();
  if (detail::joinMpiJob != nullptr)
    return detail::joinMpiJob();
  if (launchedRanks() == 1)
    return singleProcess();
  if (!builtWithMpi())
    throw Error("this program was launched as one of " + std::to_string(launchedRanks()) +
                " ranks, but gradc's runtime was built without MPI, so the ranks cannot "
                "train together: rebuild gradc with libopenmpi-dev installed "
                "(docs/distributed.md), or run the program without mpirun");
  throw Error("this program was launched as one of " + std::to_string(launchedRanks()) +
              " ranks, but it was compiled for one process: compile the model with gradc "
              "--ranks " + std::to_string(launchedRanks()) +
              " to train on " + std::to_string(launchedRanks()) +
              " ranks (docs/distributed.md), or run the program without mpirun");
}

} // namespace gradc::rt
