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
  if (schedule.kind == "cosine") {
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
              "' (expected constant, step, exponential or cosine)");
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
  if (schedule.kind == "cosine") {
    if (step < schedule.warmup)
      return baseLr * t / static_cast<double>(schedule.warmup);
    const int64_t span = schedule.steps - schedule.warmup;
    const double progress =
        span == 0 ? 1.0
                  : static_cast<double>(std::min(step - schedule.warmup, span)) /
                        static_cast<double>(span);
    constexpr double pi = 3.14159265358979323846;
    return schedule.minLr + (baseLr - schedule.minLr) * (1 + std::cos(pi * progress)) / 2;
  }
  return baseLr;
}

} // namespace gradc::rt
