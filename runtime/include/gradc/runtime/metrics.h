// metrics.h — metric values from the statistics steps report, summed over an epoch.
#ifndef GRADC_RUNTIME_METRICS_H
#define GRADC_RUNTIME_METRICS_H

#include "gradc/runtime/model.h"

#include <cstdint>
#include <vector>

namespace gradc::rt {

/// How many numbers one metric contributes to StepResult::metricStats:
/// classes² confusion-matrix counts (row = true label, column = prediction)
/// for accuracy, precision, recall and f1; one sum of error terms (|error| for
/// mae, error² for rmse) for the regression metrics. Throws Error for a
/// classification metric with fewer than 1 class or a regression metric with
/// termsPerSample < 1.
int64_t metricStatCount(const MetricSpec &metric);

/// The total of metricStatCount over the metrics.
int64_t metricStatCount(const std::vector<MetricSpec> &metrics);

/// A metric's value from its statistics summed over `samples` samples:
///   accuracy   trace / total count (0 when nothing was counted)
///   precision  macro average over classes of tp / (tp + fp)
///   recall     macro average over classes of tp / (tp + fn)
///   f1         macro average over classes of 2·tp / (2·tp + fp + fn)
///   mae        sum / (samples · termsPerSample)
///   rmse       sqrt(sum / (samples · termsPerSample))
/// As scikit-learn's precision_score / recall_score / f1_score with
/// average="macro" and zero_division=0: a class with no predicted (resp. true)
/// samples has precision (resp. recall, and f1 when both are empty for it) 0,
/// and the average runs over the classes that occur among the true labels or
/// the predictions.
double metricValue(const MetricSpec &metric, const double *stats, int64_t samples);

/// Statistics summed over steps, and the values they give.
class MetricTotals {
public:
  explicit MetricTotals(const std::vector<MetricSpec> &metrics);

  /// Adds one step's statistics; throws Error when their count is not
  /// metricStatCount(metrics).
  void add(const std::vector<double> &stats);

  /// One value per metric, in the order of the metrics, from the statistics of
  /// `samples` samples.
  std::vector<double> values(int64_t samples) const;

  const std::vector<double> &stats() const { return totals_; }

private:
  std::vector<MetricSpec> metrics_;
  std::vector<double> totals_;
};

} // namespace gradc::rt

#endif // GRADC_RUNTIME_METRICS_H
