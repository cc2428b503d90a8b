// progress.h — a one-line progress bar with rate and ETA, redrawn in place on a terminal.
#ifndef GRADC_RUNTIME_SRC_PROGRESS_H
#define GRADC_RUNTIME_SRC_PROGRESS_H

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <string>

namespace gradc::rt::detail {

/// Draws
///   epoch 2/5 [########------------] 187/468  412.5 steps/s  ETA 0:01:12  loss 0.4321
/// on `err` with a carriage return, at most ten times a second; clear()
/// erases it before other output. Does nothing when disabled.
class ProgressBar {
public:
  /// `totalSteps`: the optimizer step the run ends at; `firstStep`: the one
  /// it starts from (after a resume), so the rate counts this run's steps.
  ProgressBar(std::ostream &err, bool enabled, int64_t totalSteps, int64_t firstStep);

  void update(int64_t step, int64_t epoch, int64_t epochs, int64_t batch, int64_t batches,
              double loss);
  void clear();

private:
  std::ostream &err_;
  bool enabled_;
  bool drawn_ = false;
  int64_t totalSteps_, firstStep_;
  std::chrono::steady_clock::time_point start_, lastDraw_;
};

/// "1:02:03" or "2:03" for a duration in seconds.
std::string formatDuration(double seconds);

} // namespace gradc::rt::detail

#endif // GRADC_RUNTIME_SRC_PROGRESS_H
