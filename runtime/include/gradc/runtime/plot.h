// plot.h — an SVG chart of a training run's loss and metrics per epoch.
#ifndef GRADC_RUNTIME_PLOT_H
#define GRADC_RUNTIME_PLOT_H

#include "gradc/runtime/run_log.h"

#include <filesystem>
#include <string>
#include <vector>

namespace gradc::rt {

/// An SVG document (no scripts, no external resources) with one panel per
/// quantity — the loss first, then each metric — and in each panel one series
/// per curve that the records hold (`loss`, `val_loss`, `test_loss`), against
/// the epoch. Each panel has axes with ticks and labels, a grid and a legend;
/// each series is a `<g class="series" data-name="val_loss">` of polylines
/// (broken where a value is not finite) and point markers. Only "epoch"
/// records count; when an epoch appears more than once, its last record does.
/// Throws Error when the records hold no epoch with a value to draw.
std::string plotRun(const std::vector<LogRecord> &records, const std::string &title);

/// plotRun, written to `path` with writeFileAtomically.
void writePlot(const std::filesystem::path &path, const std::vector<LogRecord> &records,
               const std::string &title);

} // namespace gradc::rt

#endif // GRADC_RUNTIME_PLOT_H
