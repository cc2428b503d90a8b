// schedule.cpp — learning-rate schedules.
#include "gradc/runtime/schedule.h"

#include "gradc/runtime/error.h"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace gradc::rt {

namespace {

[[noreturn]] void invalid(const Schedule &schedule, const std::string &what) {
  throw Error("invalid " + schedule.kind + " schedule: " + what);
}

std::string number(double value) {
  std::ostringstream text;
  text << value;
  return text.str();
}

} // namespace

void validateSchedule(const Schedule &schedule) {
  if (schedule.kind == "constant")
    return;
  if (schedule.kind == "step") {
    if (schedule.every < 1)
      invalid(schedule, "every must be at least 1, got " + std::to_string(schedule.every));
    if (!(schedule.gamma >= 0) || !std::isfinite(schedule.gamma))
      invalid(schedule, "gamma must be a finite number >= 0, got " + number(schedule.gamma));
    return;
  }
  if (schedule.kind == "exponential") {
    if (!(schedule.gamma >= 0) || !std::isfinite(schedule.gamma))
      invalid(schedule, "gamma must be a finite number >= 0, got " + number(schedule.gamma));
    return;
  }
  if (schedule.kind == "one_cycle") {
    if (schedule.steps < 2)
      invalid(schedule, "steps must be at least 2, got " + std::to_string(schedule.steps));
    if (!(schedule.pctStart > 0 && schedule.pctStart <= 1))
      invalid(schedule, "pct_start must be in (0, 1], got " + number(schedule.pctStart));
    if (!(schedule.divFactor > 0) || !std::isfinite(schedule.divFactor))
      invalid(schedule, "div_factor must be a finite number > 0, got " +
                            number(schedule.divFactor));
    if (!(schedule.finalDivFactor > 0) || !std::isfinite(schedule.finalDivFactor))
      invalid(schedule, "final_div_factor must be a finite number > 0, got " +
                            number(schedule.finalDivFactor));
    return;
  }
  if (schedule.kind == "cosine" || schedule.kind == "linear") {
    if (schedule.steps < 1)
      invalid(schedule, "steps must be at least 1, got " + std::to_string(schedule.steps));
    if (schedule.warmup < 0 || schedule.warmup > schedule.steps)
      invalid(schedule, "warmup must be in [0, steps = " + std::to_string(schedule.steps) +
                            "], got " + std::to_string(schedule.warmup));
    if (!(schedule.minLr >= 0) || !std::isfinite(schedule.minLr))
      invalid(schedule, "min_lr must be a finite number >= 0, got " + number(schedule.minLr));
    return;
  }
  throw Error("unknown learning-rate schedule '" + schedule.kind +
              "' (expected constant, step, exponential, cosine, linear or one_cycle)");
}

double learningRate(const Schedule &schedule, double baseLr, int64_t step) {
  validateSchedule(schedule);
  if (step < 0)
    throw Error("learning rate asked for negative step " + std::to_string(step));
  const double t = static_cast<double>(step);
  if (schedule.kind == "step")
    return baseLr * std::pow(schedule.gamma, static_cast<double>(step / schedule.every));
  if (schedule.kind == "exponential")
    return baseLr * std::pow(schedule.gamma, t);
  constexpr double pi = 3.14159265358979323846;
  if (schedule.kind == "cosine" || schedule.kind == "linear") {
    if (step < schedule.warmup)
      return baseLr * t / static_cast<double>(schedule.warmup);
    const int64_t span = schedule.steps - schedule.warmup;
    const double progress =
        span == 0 ? 1.0
                  : static_cast<double>(std::min(step - schedule.warmup, span)) /
                        static_cast<double>(span);
    if (schedule.kind == "linear")
      return schedule.minLr + (baseLr - schedule.minLr) * (1 - progress);
    return schedule.minLr + (baseLr - schedule.minLr) * (1 + std::cos(pi * progress)) / 2;
  }
  if (schedule.kind == "one_cycle") {
    // As torch's OneCycleLR computes it: two phases ending at steps
    // pct_start · steps − 1 and steps − 1, each a cosine annealing.
    const double initial = baseLr / schedule.divFactor;
    const double final = initial / schedule.finalDivFactor;
    const double peakStep = schedule.pctStart * static_cast<double>(schedule.steps) - 1;
    const double lastStep = static_cast<double>(schedule.steps) - 1;
    auto anneal = [&](double from, double to, double pct) {
      return to + (from - to) / 2.0 * (std::cos(pi * pct) + 1);
    };
    const double at = std::min(t, lastStep);
    if (at <= peakStep)
      return anneal(initial, baseLr, peakStep <= 0 ? 1.0 : at / peakStep);
    return anneal(baseLr, final, (at - peakStep) / (lastStep - peakStep));
  }
  return baseLr;
}

} // namespace gradc::rt
