// progress.cpp — the training progress bar.
#include "progress.h"

#include <cmath>
#include <cstdio>
#include <ostream>

namespace gradc::rt::detail {

namespace {

constexpr int kBarWidth = 20;
constexpr double kRedrawSeconds = 0.1;

} // namespace

std::string formatDuration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0)
    return "?";
  auto total = static_cast<int64_t>(std::llround(seconds));
  char text[64];
  if (total >= 3600)
    std::snprintf(text, sizeof text, "%lld:%02lld:%02lld", static_cast<long long>(total / 3600),
                  static_cast<long long>(total / 60 % 60), static_cast<long long>(total % 60));
  else
    std::snprintf(text, sizeof text, "%lld:%02lld", static_cast<long long>(total / 60),
                  static_cast<long long>(total % 60));
  return text;
}

ProgressBar::ProgressBar(std::ostream &err, bool enabled, int64_t totalSteps, int64_t firstStep)
    : err_(err), enabled_(enabled), totalSteps_(totalSteps), firstStep_(firstStep),
      start_(std::chrono::steady_clock::now()), lastDraw_(start_) {}

void ProgressBar::update(int64_t step, int64_t epoch, int64_t epochs, int64_t batch,
                         int64_t batches, double loss) {
  if (!enabled_)
    return;
  auto now = std::chrono::steady_clock::now();
  if (drawn_ && std::chrono::duration<double>(now - lastDraw_).count() < kRedrawSeconds &&
      batch != batches)
    return;
  lastDraw_ = now;
  double elapsed = std::chrono::duration<double>(now - start_).count();
  double rate = elapsed > 0 ? static_cast<double>(step - firstStep_) / elapsed : 0;
  int filled = batches > 0 ? static_cast<int>(kBarWidth * batch / batches) : 0;
  std::string bar(static_cast<size_t>(filled), '#');
  bar.append(static_cast<size_t>(kBarWidth - filled), '-');
  char text[256];
  std::snprintf(text, sizeof text, "\r\033[Kepoch %lld/%lld [%s] %lld/%lld  %.1f steps/s  ETA %s  loss %.4f",
                static_cast<long long>(epoch), static_cast<long long>(epochs), bar.c_str(),
                static_cast<long long>(batch), static_cast<long long>(batches), rate,
                rate > 0 ? formatDuration(static_cast<double>(totalSteps_ - step) / rate).c_str()
                         : "?",
                loss);
  err_ << text << std::flush;
  drawn_ = true;
}

void ProgressBar::clear() {
  if (!drawn_)
    return;
  err_ << "\r\033[K" << std::flush;
  drawn_ = false;
}

} // namespace gradc::rt::detail
