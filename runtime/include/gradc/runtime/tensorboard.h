// tensorboard.h — TensorBoard event files: scalars, histograms and text, written as
// TFRecords of hand-encoded Event protocol buffers.
#ifndef GRADC_RUNTIME_TENSORBOARD_H
#define GRADC_RUNTIME_TENSORBOARD_H

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace gradc::rt {

/// TFRecord framing of one record: its length as a little-endian uint64, the
/// masked CRC-32C of those 8 bytes (little-endian uint32), the data, and the
/// masked CRC-32C of the data.
std::string tfRecord(std::string_view data);

/// TensorFlow's masking of a CRC-32C: rotate right by 15 bits, add 0xa282ead8.
uint32_t maskedCrc32c(std::string_view data);

/// The buckets of a histogram: bucket i counts the values in
/// (limits[i − 1], limits[i]] (the first from min), as TensorBoard's
/// HistogramProto holds them.
struct Histogram {
  double min = 0, max = 0, count = 0, sum = 0, sumSquares = 0;
  std::vector<double> limits, counts;
};

/// `buckets` equal-width buckets from the smallest to the largest finite value
/// (one bucket when they are equal; no buckets for no finite values).
Histogram makeHistogram(const std::vector<double> &values, int buckets = 30);

/// Writes DIR/events.out.tfevents.<unix time>.<host>.<pid>.gradc, which
/// TensorBoard reads (`tensorboard --logdir DIR`): first an Event with
/// file_version "brain.Event:2", then one Event per value, each with the
/// wall time and the step:
///   Event    { double wall_time = 1; int64 step = 2; string file_version = 3;
///              Summary summary = 5; }
///   Summary  { repeated Value value = 1; }
///   Value    { string tag = 1; float simple_value = 2; HistogramProto histo = 5;
///              TensorProto tensor = 8; SummaryMetadata metadata = 9; }
/// Text goes to TensorBoard's text plugin: a DT_STRING TensorProto whose
/// metadata names the plugin "text".
class EventWriter {
public:
  explicit EventWriter(const std::filesystem::path &directory);

  const std::filesystem::path &path() const { return path_; }

  void scalar(const std::string &tag, int64_t step, double value);
  void histogram(const std::string &tag, int64_t step, const Histogram &histogram);
  void text(const std::string &tag, int64_t step, const std::string &markdown);

  /// Makes what was written visible to readers; throws Error when it fails.
  void flush();

private:
  void writeEvent(int64_t step, const std::string &summaryValue);

  std::filesystem::path path_;
  std::ofstream stream_;
};

} // namespace gradc::rt

#endif // GRADC_RUNTIME_TENSORBOARD_H
