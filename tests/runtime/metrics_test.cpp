// metrics_test.cpp — metric values from hand-computed confusion matrices and error sums.
#include "gradc/runtime/metrics.h"

#include "test_util.h"

#include <cmath>

namespace gradc::rt {
namespace {

MetricSpec classification(MetricKind kind, int64_t classes) {
  return {"metric", kind, classes, 1};
}

// Rows are true labels, columns predictions:
//            p0 p1 p2 p3    true
//   t0        5  1  0  0      6
//   t1        2  3  1  0      6
//   t2        0  0  0  0      0   (predicted once, never true)
//   t3        1  0  0  0      1   (true once, never predicted)
//   predicted 8  4  1  0     13
const std::vector<double> kConfusion = {5, 1, 0, 0, 2, 3, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0};

TEST(Metrics, AccuracyIsTraceOverTotal) {
  EXPECT_DOUBLE_EQ(metricValue(classification(MetricKind::Accuracy, 4), kConfusion.data(), 13),
                   8.0 / 13.0);
}

TEST(Metrics, MacroPrecisionRecallAndF1WithZeroDivisionZero) {
  // precision per class: 5/8, 3/4, 0/1, 0 (never predicted)
  EXPECT_DOUBLE_EQ(metricValue(classification(MetricKind::Precision, 4), kConfusion.data(), 13),
                   (5.0 / 8 + 3.0 / 4 + 0 + 0) / 4);
  // recall per class: 5/6, 3/6, 0 (never true), 0/1
  EXPECT_DOUBLE_EQ(metricValue(classification(MetricKind::Recall, 4), kConfusion.data(), 13),
                   (5.0 / 6 + 3.0 / 6 + 0 + 0) / 4);
  // f1 per class: 2·5/(8+6), 2·3/(4+6), 0, 0
  EXPECT_DOUBLE_EQ(metricValue(classification(MetricKind::F1, 4), kConfusion.data(), 13),
                   (10.0 / 14 + 6.0 / 10 + 0 + 0) / 4);
}

TEST(Metrics, MultiLabelScoresEachLabelsPositiveClass) {
  // Three labels, each [target][prediction]:
  //   label 0: TN 4, FP 1, FN 2, TP 3   precision 3/4, recall 3/5, f1 6/9
  //   label 1: TN 5, FP 0, FN 0, TP 5   1, 1, 1
  //   label 2: TN 10, FP 0, FN 0, TP 0  never positive: left out of the averages
  const std::vector<double> stats = {4, 1, 2, 3, 5, 0, 0, 5, 10, 0, 0, 0};
  auto spec = [](MetricKind kind) { return MetricSpec{"m", kind, 2, 1, 3}; };
  EXPECT_EQ(metricStatCount(spec(MetricKind::F1)), 12);
  EXPECT_DOUBLE_EQ(metricValue(spec(MetricKind::Accuracy), stats.data(), 10), 27.0 / 30);
  EXPECT_DOUBLE_EQ(metricValue(spec(MetricKind::Precision), stats.data(), 10),
                   (3.0 / 4 + 1) / 2);
  EXPECT_DOUBLE_EQ(metricValue(spec(MetricKind::Recall), stats.data(), 10), (3.0 / 5 + 1) / 2);
  EXPECT_DOUBLE_EQ(metricValue(spec(MetricKind::F1), stats.data(), 10), (6.0 / 9 + 1) / 2);
  EXPECT_RT_ERROR(metricStatCount(MetricSpec{"m", MetricKind::F1, 3, 1, 2}),
                  "multi-label metric m needs 2 classes per label, got 3");
}

TEST(Metrics, ClassesAbsentFromLabelsAndPredictionsAreNotAveraged) {
  // The same counts with a fifth class that never occurs: as scikit-learn,
  // which averages over the labels present in y_true or y_pred.
  std::vector<double> wider(25, 0.0);
  for (int64_t i = 0; i < 4; ++i)
    for (int64_t j = 0; j < 4; ++j)
      wider[i * 5 + j] = kConfusion[i * 4 + j];
  for (MetricKind kind : {MetricKind::Precision, MetricKind::Recall, MetricKind::F1})
    EXPECT_DOUBLE_EQ(metricValue(classification(kind, 5), wider.data(), 13),
                     metricValue(classification(kind, 4), kConfusion.data(), 13));
}

TEST(Metrics, PerfectPredictionsScoreOne) {
  std::vector<double> diagonal = {3, 0, 0, 4};
  for (MetricKind kind :
       {MetricKind::Accuracy, MetricKind::Precision, MetricKind::Recall, MetricKind::F1})
    EXPECT_DOUBLE_EQ(metricValue(classification(kind, 2), diagonal.data(), 7), 1.0);
}

TEST(Metrics, NothingCountedScoresZero) {
  std::vector<double> empty(4, 0.0);
  for (MetricKind kind :
       {MetricKind::Accuracy, MetricKind::Precision, MetricKind::Recall, MetricKind::F1})
    EXPECT_EQ(metricValue(classification(kind, 2), empty.data(), 0), 0.0);
}

TEST(Metrics, RegressionMetricsDivideByTerms) {
  MetricSpec mae{"mae", MetricKind::Mae, 0, 3};
  MetricSpec rmse{"rmse", MetricKind::Rmse, 0, 3};
  double absoluteSum = 6, squaredSum = 27;
  EXPECT_DOUBLE_EQ(metricValue(mae, &absoluteSum, 4), 0.5);        // 6 / (4·3)
  EXPECT_DOUBLE_EQ(metricValue(rmse, &squaredSum, 4), std::sqrt(27.0 / 12.0));
}

TEST(MetricTotals, SumsStepsAndSplitsStatisticsPerMetric) {
  std::vector<MetricSpec> metrics = {classification(MetricKind::Accuracy, 2),
                                     {"mae", MetricKind::Mae, 0, 1}};
  EXPECT_EQ(metricStatCount(metrics), 5);
  MetricTotals totals(metrics);
  totals.add({2, 1, 0, 1, 1.5});
  totals.add({1, 0, 1, 2, 2.5});
  EXPECT_EQ(totals.stats(), (std::vector<double>{3, 1, 1, 3, 4.0}));
  std::vector<double> values = totals.values(8);
  ASSERT_EQ(values.size(), 2u);
  EXPECT_DOUBLE_EQ(values[0], 6.0 / 8.0);
  EXPECT_DOUBLE_EQ(values[1], 0.5);
  EXPECT_RT_ERROR(totals.add({1, 2}), "a step reported 2 metric statistics, but the model's "
                                      "metrics need 5");
}

TEST(MetricTotals, InvalidSpecsAreErrors) {
  EXPECT_RT_ERROR(metricStatCount(classification(MetricKind::F1, 0)),
                  "metric metric needs at least 1 class, got 0");
  EXPECT_RT_ERROR(metricStatCount(MetricSpec{"mae", MetricKind::Mae, 0, 0}),
                  "metric mae needs at least 1 term per sample, got 0");
}

} // namespace
} // namespace gradc::rt
