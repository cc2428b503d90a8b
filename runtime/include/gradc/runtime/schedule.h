// schedule.h — the learning rate of each optimizer step under a model's schedule.
#ifndef GRADC_RUNTIME_SCHEDULE_H
#define GRADC_RUNTIME_SCHEDULE_H

#include "gradc/runtime/model.h"

#include <cstdint>

namespace gradc::rt {

/// Throws Error unless the schedule is one learningRate() can evaluate: kind
/// "constant", "step" (every ≥ 1, gamma ≥ 0), "exponential" (gamma ≥ 0) or
/// "cosine" or "linear" (steps ≥ 1, 0 ≤ warmup ≤ steps, min_lr ≥ 0), or
/// "one_cycle" (steps ≥ 2, pct_start in (0, 1], div factors > 0).
void validateSchedule(const Schedule &schedule);

/// The learning rate of optimizer step `step` (0-based) for base rate `baseLr`,
/// exactly as model.h writes it:
///   constant     baseLr
///   step         baseLr · gamma^⌊step / every⌋
///   exponential  baseLr · gamma^step
///   cosine       baseLr · step / warmup while step < warmup; then
///                minLr + (baseLr − minLr) · (1 + cos(π · p)) / 2 with
///                p = min(step − warmup, steps − warmup) / (steps − warmup)
///                (p = 1 when steps == warmup), so the rate stays at minLr
///                after `steps` steps.
///   linear       the same warmup; then minLr + (baseLr − minLr) · (1 − p)
///   one_cycle    torch.optim.lr_scheduler.OneCycleLR(max_lr = baseLr,
///                total_steps = steps, pct_start, div_factor, final_div_factor,
///                anneal_strategy "cos", three_phase False) for the learning
///                rate (gradc cycles no momentum: cycle_momentum=False): from
///                baseLr / div_factor up to baseLr by step pct_start · steps − 1,
///                then down to baseLr / div_factor / final_div_factor at step
///                steps − 1, where it stays.
/// Throws Error for an invalid schedule or a negative step.
double learningRate(const Schedule &schedule, double baseLr, int64_t step);

} // namespace gradc::rt

#endif // GRADC_RUNTIME_SCHEDULE_H
