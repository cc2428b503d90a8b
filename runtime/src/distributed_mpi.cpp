// distributed_mpi.cpp — the job as MPI's world: collective operations with errors
// returned (not fatal), and a watchdog that ends a rank which waits too long.
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>

#include "gradc/runtime/error.h"

#include "distributed_internal.h"

#include <atomic>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>

namespace gradc::rt::detail {

namespace {

using Clock = std::chrono::steady_clock;

constexpr double kDefaultTimeoutSeconds = 300;

// Ends the process when one operation waits for the other ranks longer than
// the timeout: a rank that hangs (rather than dies, which the launcher sees)
// would otherwise hold every other rank in the operation forever. The
// launcher ends the rest of the job when a rank exits with an error.
class Watchdog {
public:
  Watchdog(int rank, int size) : rank_(rank), size_(size), thread_([this] { watch(); }) {}

  ~Watchdog() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }

  void setTimeout(double seconds) { timeout_.store(seconds); }

  void enter(const std::string &what) {
    const double timeout = timeout_.load();
    if (timeout <= 0)
      return;
    std::lock_guard<std::mutex> lock(mutex_);
    what_ = what;
    deadline_ = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                   std::chrono::duration<double>(timeout));
    waiting_ = true;
  }

  void leave() {
    std::lock_guard<std::mutex> lock(mutex_);
    waiting_ = false;
  }

private:
  void watch() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stop_) {
      wake_.wait_for(lock, std::chrono::milliseconds(500));
      if (stop_ || !waiting_ || Clock::now() < deadline_)
        continue;
      std::fprintf(stderr,
                   "error: rank %d of %d: %s: no answer from the other ranks for %g s (one "
                   "of them hangs or was stopped); ending the job (--collective-timeout "
                   "sets this limit)\n",
                   rank_, size_, what_.c_str(), timeout_.load());
      std::fflush(stderr);
      std::_Exit(1);
    }
  }

  const int rank_, size_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false, waiting_ = false;
  std::string what_;
  Clock::time_point deadline_;
  std::atomic<double> timeout_{kDefaultTimeoutSeconds};
  std::thread thread_;
};

class MpiCommunicator final : public Communicator {
public:
  MpiCommunicator() {
    int provided = 0;
    if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
      throw Error("MPI_Init failed: this process cannot join the other ranks");
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    check(MPI_Comm_rank(MPI_COMM_WORLD, &rank_), "MPI_Comm_rank");
    check(MPI_Comm_size(MPI_COMM_WORLD, &size_), "MPI_Comm_size");
    MPI_Comm local;
    check(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &local),
          "finding the ranks of this machine");
    check(MPI_Comm_size(local, &localSize_), "MPI_Comm_size");
    MPI_Comm_free(&local);
    watchdog_ = std::make_unique<Watchdog>(rank_, size_);
  }

  ~MpiCommunicator() override {
    watchdog_.reset();
    MPI_Finalize();
  }

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  int localSize() const override { return localSize_; }

  void sum(void *data, int64_t count, DType dtype, const std::string &what) override {
    if (dtype != DType::F32 && dtype != DType::F64)
      throw Error(what + ": cannot sum " + std::string(dtypeName(dtype)) + " values");
    MPI_Datatype type = dtype == DType::F32 ? MPI_FLOAT : MPI_DOUBLE;
    const size_t width = dtypeSize(dtype);
    Guard guard(*this, what);
    for (int64_t done = 0; done < count;) {
      int chunk = static_cast<int>(std::min<int64_t>(count - done, INT_MAX));
      check(MPI_Allreduce(MPI_IN_PLACE, static_cast<char *>(data) + done * width, chunk, type,
                          MPI_SUM, MPI_COMM_WORLD),
            what);
      done += chunk;
    }
  }

  void sumAgreed(double *data, int64_t count, const std::string &what) override {
    sum(data, count, DType::F64, what);
    broadcast(data, static_cast<uint64_t>(count) * sizeof(double), what);
  }

  void max(int64_t *data, int64_t count, const std::string &what) override {
    reduce(data, count, MPI_MAX, what);
  }
  void min(int64_t *data, int64_t count, const std::string &what) override {
    reduce(data, count, MPI_MIN, what);
  }

  void broadcast(void *data, uint64_t bytes, const std::string &what) override {
    Guard guard(*this, what);
    for (uint64_t done = 0; done < bytes;) {
      int chunk = static_cast<int>(std::min<uint64_t>(bytes - done, INT_MAX));
      check(MPI_Bcast(static_cast<char *>(data) + done, chunk, MPI_BYTE, 0, MPI_COMM_WORLD),
            what);
      done += static_cast<uint64_t>(chunk);
    }
  }

  std::vector<std::string> gather(const std::string &value, const std::string &what) override {
    if (value.size() > static_cast<size_t>(INT_MAX / size_))
      throw Error(what + ": " + std::to_string(value.size()) + " bytes is too much to gather");
    Guard guard(*this, what);
    int length = static_cast<int>(value.size());
    std::vector<int> lengths(static_cast<size_t>(size_));
    check(MPI_Allgather(&length, 1, MPI_INT, lengths.data(), 1, MPI_INT, MPI_COMM_WORLD), what);
    std::vector<int> offsets(lengths.size());
    int64_t total = 0;
    for (size_t r = 0; r < lengths.size(); ++r) {
      if (lengths[r] < 0 || total + lengths[r] > INT_MAX)
        throw Error(what + ": the ranks' values are too large to gather");
      offsets[r] = static_cast<int>(total);
      total += lengths[r];
    }
    std::string all(static_cast<size_t>(total), '\0');
    check(MPI_Allgatherv(value.data(), length, MPI_CHAR, all.data(), lengths.data(),
                         offsets.data(), MPI_CHAR, MPI_COMM_WORLD),
          what);
    std::vector<std::string> values;
    for (size_t r = 0; r < lengths.size(); ++r)
      values.push_back(all.substr(static_cast<size_t>(offsets[r]),
                                  static_cast<size_t>(lengths[r])));
    return values;
  }

  void setTimeout(double seconds) override { watchdog_->setTimeout(seconds); }

protected:
  void endJob(int code) override { MPI_Abort(MPI_COMM_WORLD, code); }

private:
  // Marks the time spent in one operation for the watchdog.
  struct Guard {
    Guard(MpiCommunicator &comm, const std::string &what) : comm(comm) {
      comm.watchdog_->enter(what);
    }
    ~Guard() { comm.watchdog_->leave(); }
    MpiCommunicator &comm;
  };

  void reduce(int64_t *data, int64_t count, MPI_Op op, const std::string &what) {
    if (count > INT_MAX)
      throw Error(what + ": too many values");
    Guard guard(*this, what);
    check(MPI_Allreduce(MPI_IN_PLACE, data, static_cast<int>(count), MPI_INT64_T, op,
                        MPI_COMM_WORLD),
          what);
  }

  void check(int code, const std::string &what) const {
    if (code == MPI_SUCCESS)
      return;
    char text[MPI_MAX_ERROR_STRING] = {};
    int length = 0;
    MPI_Error_string(code, text, &length);
    throw Error("rank " + std::to_string(rank_) + " of " + std::to_string(size_) + ": " +
                what + ": MPI failed: " + std::string(text, static_cast<size_t>(length)));
  }

  int rank_ = 0, size_ = 1, localSize_ = 1;
  std::unique_ptr<Watchdog> watchdog_;
};

} // namespace

std::unique_ptr<Communicator> joinMpiJob() { return std::make_unique<MpiCommunicator>(); }

} // namespace gradc::rt::detail
