// metrics.cpp — accuracy, macro precision/recall/F1, MAE and RMSE from summed statistics.
#include "gradc/runtime/metrics.h"

#include "gradc/runtime/checked_math.h"
#include "gradc/runtime/error.h"

#include <algorithm>
#include <cmath>

namespace gradc::rt {

namespace {

bool isClassification(MetricKind kind) {
  return kind == MetricKind::Accuracy || kind == MetricKind::Precision ||
         kind == MetricKind::Recall || kind == MetricKind::F1;
}

// The macro average over present classes of a per-class score computed from
// (true positives, predicted count, true count).
template <typename Score>
double macroAverage(const double *confusion, int64_t classes, Score score) {
  double sum = 0;
  int64_t present = 0;
  for (int64_t k = 0; k < classes; ++k) {
    double truePositives = confusion[k * classes + k];
    double predicted = 0, actual = 0;
    for (int64_t j = 0; j < classes; ++j) {
      predicted += confusion[j * classes + k];
      actual += confusion[k * classes + j];
    }
    if (predicted == 0 && actual == 0)
      continue;
    ++present;
    sum += score(truePositives, predicted, actual);
  }
  return present == 0 ? 0.0 : sum / static_cast<double>(present);
}

double ratio(double numerator, double denominator) {
  return denominator == 0 ? 0.0 : numerator / denominator;
}

} // namespace

int64_t metricStatCount(const MetricSpec &metric) {
  if (isClassification(metric.kind)) {
    if (metric.classes < 1)
      throw Error("metric " + metric.name + " needs at least 1 class, got " +
                  std::to_string(metric.classes));
    if (metric.labels < 0 || (metric.labels > 0 && metric.classes != 2))
      throw Error("multi-label metric " + metric.name + " needs 2 classes per label, got " +
                  std::to_string(metric.classes));
    return checkedMul(checkedMul(metric.classes, metric.classes),
                      std::max<int64_t>(metric.labels, 1));
  }
  if (metric.termsPerSample < 1)
    throw Error("metric " + metric.name + " needs at least 1 term per sample, got " +
                std::to_string(metric.termsPerSample));
  return 1;
}

int64_t metricStatCount(const std::vector<MetricSpec> &metrics) {
  int64_t total = 0;
  for (const MetricSpec &metric : metrics)
    total = checkedAdd(total, metricStatCount(metric));
  return total;
}

// Multi-label precision, recall and F1: the score of each label's positive
// class, averaged over the labels that occur among targets or predictions.
template <typename Score>
double labelAverage(const double *confusions, int64_t labels, Score score) {
  double sum = 0;
  int64_t present = 0;
  for (int64_t k = 0; k < labels; ++k) {
    const double *m = confusions + 4 * k; // [target][prediction]
    const double truePositives = m[3], predicted = m[1] + m[3], actual = m[2] + m[3];
    if (predicted == 0 && actual == 0)
      continue;
    ++present;
    sum += score(truePositives, predicted, actual);
  }
  return present == 0 ? 0.0 : sum / static_cast<double>(present);
}

double metricValue(const MetricSpec &metric, const double *stats, int64_t samples) {
  const int64_t classes = metric.classes;
  if (metric.labels > 0 && metric.kind != MetricKind::Accuracy) {
    switch (metric.kind) {
    case MetricKind::Precision:
      return labelAverage(stats, metric.labels,
                          [](double tp, double predicted, double) { return ratio(tp, predicted); });
    case MetricKind::Recall:
      return labelAverage(stats, metric.labels,
                          [](double tp, double, double actual) { return ratio(tp, actual); });
    default:
      return labelAverage(stats, metric.labels, [](double tp, double predicted, double actual) {
        return ratio(2 * tp, predicted + actual);
      });
    }
  }
  switch (metric.kind) {
  case MetricKind::Accuracy: {
    // Of every (sample, label) decision for multi-label classifiers.
    double trace = 0, total = 0;
    for (int64_t label = 0; label < std::max<int64_t>(metric.labels, 1); ++label)
      for (int64_t i = 0; i < classes; ++i)
        for (int64_t j = 0; j < classes; ++j) {
          const double count = stats[label * classes * classes + i * classes + j];
          total += count;
          if (i == j)
            trace += count;
        }
    return ratio(trace, total);
  }
  case MetricKind::Precision:
    return macroAverage(stats, classes,
                        [](double tp, double predicted, double) { return ratio(tp, predicted); });
  case MetricKind::Recall:
    return macroAverage(stats, classes,
                        [](double tp, double, double actual) { return ratio(tp, actual); });
  case MetricKind::F1:
    // 2·tp / (2·tp + fp + fn), with fp + tp = predicted and fn + tp = actual.
    return macroAverage(stats, classes, [](double tp, double predicted, double actual) {
      return ratio(2 * tp, predicted + actual);
    });
  case MetricKind::Mae:
  case MetricKind::Rmse: {
    double terms = static_cast<double>(samples) * static_cast<double>(metric.termsPerSample);
    double mean = ratio(stats[0], terms);
    return metric.kind == MetricKind::Mae ? mean : std::sqrt(mean);
  }
  }
  throw Error("unknown kind of metric " + metric.name);
}

MetricTotals::MetricTotals(const std::vector<MetricSpec> &metrics)
    : metrics_(metrics),
      totals_(static_cast<size_t>(metricStatCount(metrics)), 0.0) {}

void MetricTotals::add(const std::vector<double> &stats) {
  if (stats.size() != totals_.size())
    throw Error("a step reported " + std::to_string(stats.size()) +
                " metric statistics, but the model's metrics need " +
                std::to_string(totals_.size()));
  for (size_t i = 0; i < stats.size(); ++i)
    totals_[i] += stats[i];
}

std::vector<double> MetricTotals::values(int64_t samples) const {
  std::vector<double> values;
  const double *stats = totals_.data();
  for (const MetricSpec &metric : metrics_) {
    values.push_back(metricValue(metric, stats, samples));
    stats += metricStatCount(metric);
  }
  return values;
}

} // namespace gradc::rt
