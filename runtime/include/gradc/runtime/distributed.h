// distributed.h — the processes of a data-parallel training run and the collective
// operations the trainer needs from them (docs/distributed.md).
#ifndef GRADC_RUNTIME_DISTRIBUTED_H
#define GRADC_RUNTIME_DISTRIBUTED_H

#include "gradc/runtime/tensor.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace gradc::rt {

/// The ranks of one job. Every operation is collective: each rank calls the
/// same operations in the same order with the same counts. `what` names the
/// operation in error messages ("the gradients of step 12").
///
/// A failed operation throws Error. An operation that waits longer than the
/// timeout for the other ranks (one of them hangs) ends this process with a
/// message, and the launcher then ends the job.
class Communicator {
public:
  virtual ~Communicator() = default;

  virtual int rank() const = 0;
  virtual int size() const = 0;
  /// Ranks of this job on this machine (they share its cores).
  virtual int localSize() const = 0;

  /// Sums `count` values of `dtype` (F32 or F64) over the ranks, in place.
  virtual void sum(void *data, int64_t count, DType dtype, const std::string &what) = 0;
  /// Sums `count` doubles over the ranks, in place, such that every rank
  /// holds bitwise the same result: values that decide the control flow
  /// (evaluations, early stopping) must agree on every rank.
  virtual void sumAgreed(double *data, int64_t count, const std::string &what) = 0;
  /// Element-wise maximum / minimum over the ranks, in place.
  virtual void max(int64_t *data, int64_t count, const std::string &what) = 0;
  virtual void min(int64_t *data, int64_t count, const std::string &what) = 0;
  /// Copies `bytes` bytes at `data` from rank 0 to every other rank.
  virtual void broadcast(void *data, uint64_t bytes, const std::string &what) = 0;
  /// Every rank's `value`, in rank order.
  virtual std::vector<std::string> gather(const std::string &value, const std::string &what) = 0;

  /// Rank 0's `text` on every rank.
  void broadcast(std::string &text, const std::string &what);

  /// How long an operation may wait for the other ranks, in seconds (0: no
  /// limit).
  virtual void setTimeout(double seconds) = 0;

  /// Writes `message` to stderr and ends every process of the job with exit
  /// code `code`.
  [[noreturn]] void abort(const std::string &message, int code);

protected:
  /// Ends the other processes of the job, if any (abort() ends this one).
  virtual void endJob(int code) = 0;
};

/// A job of one process: every operation leaves the data as it is.
std::unique_ptr<Communicator> singleProcess();

/// The job this process was started in: MPI's world when the process was
/// launched by mpirun or a launcher like it (OMPI_COMM_WORLD_SIZE, PMIX_RANK
/// or PMI_RANK is set) and the runtime was built with MPI — MPI is initialized
/// then and finalized when the communicator is destroyed — and otherwise one
/// process, without touching MPI. Throws Error when launched as one of several
/// ranks by a runtime built without MPI.
std::unique_ptr<Communicator> joinJob();

/// Whether this runtime was built with MPI.
bool builtWithMpi();

/// The number of ranks the environment says this process was launched among
/// (1 when it was not launched by an MPI launcher), and its rank among them.
int launchedRanks();
int launchedRank();

} // namespace gradc::rt

#endif // GRADC_RUNTIME_DISTRIBUTED_H
