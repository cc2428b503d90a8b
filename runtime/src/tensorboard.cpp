// tensorboard.cpp — TFRecord framing and hand-encoded Event protocol buffers.
#include "gradc/runtime/tensorboard.h"

#include "gradc/runtime/checkpoint.h"
#include "gradc/runtime/error.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>

namespace gradc::rt {

namespace {

// Protocol buffer wire types.
constexpr uint32_t kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5;

// The protocol buffer encoding of fields, appended to a message's bytes.
class ProtoWriter {
public:
  void varint(uint64_t value) {
    while (value >= 0x80) {
      bytes_.push_back(static_cast<char>((value & 0x7F) | 0x80));
      value >>= 7;
    }
    bytes_.push_back(static_cast<char>(value));
  }
  void key(uint32_t field, uint32_t wireType) { varint((uint64_t{field} << 3) | wireType); }
  void varintField(uint32_t field, uint64_t value) {
    key(field, kVarint);
    varint(value);
  }
  void doubleField(uint32_t field, double value) {
    key(field, kFixed64);
    littleEndian(value);
  }
  void floatField(uint32_t field, float value) {
    key(field, kFixed32);
    littleEndian(value);
  }
  void bytesField(uint32_t field, std::string_view data) {
    key(field, kLengthDelimited);
    varint(data.size());
    bytes_.append(data);
  }
  void packedDoubles(uint32_t field, const std::vector<double> &values) {
    ProtoWriter packed;
    for (double value : values)
      packed.littleEndian(value);
    bytesField(field, packed.bytes());
  }
  const std::string &bytes() const { return bytes_; }

private:
  // Floating-point values as their IEEE 754 bit pattern, low byte first.
  void littleEndian(double value) {
    uint64_t bits;
    std::memcpy(&bits, &value, sizeof bits);
    appendBits(bits, 8);
  }
  void littleEndian(float value) {
    uint32_t bits;
    std::memcpy(&bits, &value, sizeof bits);
    appendBits(bits, 4);
  }
  void appendBits(uint64_t bits, int bytes) {
    for (int i = 0; i < bytes; ++i)
      bytes_.push_back(static_cast<char>((bits >> (8 * i)) & 0xFF));
  }

  std::string bytes_;
};

void appendLittleEndian(std::string &out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i)
    out.push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
}

std::string hostName() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0')
    return "localhost";
  std::string text(name);
  std::replace(text.begin(), text.end(), '/', '_');
  return text;
}

double wallTime() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

} // namespace

uint32_t maskedCrc32c(std::string_view data) {
  uint32_t crc = crc32c(data.data(), data.size());
  return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
}

std::string tfRecord(std::string_view data) {
  std::string length;
  appendLittleEndian(length, data.size(), 8);
  std::string record = length;
  appendLittleEndian(record, maskedCrc32c(length), 4);
  record.append(data);
  appendLittleEndian(record, maskedCrc32c(data), 4);
  return record;
}

Histogram makeHistogram(const std::vector<double> &values, int buckets) {
  Histogram histogram;
  bool any = false;
  for (double value : values) {
    if (!std::isfinite(value))
      continue;
    histogram.min = any ? std::min(histogram.min, value) : value;
    histogram.max = any ? std::max(histogram.max, value) : value;
    histogram.count += 1;
    histogram.sum += value;
    histogram.sumSquares += value * value;
    any = true;
  }
  if (!any)
    return histogram;
  if (histogram.max == histogram.min)
    buckets = 1;
  const double width = (histogram.max - histogram.min) / buckets;
  histogram.counts.assign(static_cast<size_t>(buckets), 0.0);
  for (int i = 0; i < buckets; ++i)
    histogram.limits.push_back(i + 1 == buckets ? histogram.max
                                                : histogram.min + width * (i + 1));
  for (double value : values) {
    if (!std::isfinite(value))
      continue;
    auto bucket = static_cast<int64_t>(width > 0 ? (value - histogram.min) / width : 0);
    histogram.counts[static_cast<size_t>(std::clamp<int64_t>(bucket, 0, buckets - 1))] += 1;
  }
  return histogram;
}

EventWriter::EventWriter(const std::filesystem::path &directory) {
  const auto seconds = static_cast<int64_t>(wallTime());
  path_ = directory / ("events.out.tfevents." + std::to_string(seconds) + "." + hostName() +
                       "." + std::to_string(::getpid()) + ".gradc");
  stream_.open(path_, std::ios::binary | std::ios::trunc);
  if (!stream_)
    throw Error::inFile(path_.string(), "cannot open for writing");
  ProtoWriter event;
  event.doubleField(1, wallTime());
  event.varintField(2, 0);
  event.bytesField(3, "brain.Event:2");
  stream_ << tfRecord(event.bytes());
  flush();
}

void EventWriter::writeEvent(int64_t step, const std::string &summaryValue) {
  ProtoWriter summary;
  summary.bytesField(1, summaryValue);
  ProtoWriter event;
  event.doubleField(1, wallTime());
  event.varintField(2, static_cast<uint64_t>(step));
  event.bytesField(5, summary.bytes());
  stream_ << tfRecord(event.bytes());
}

void EventWriter::scalar(const std::string &tag, int64_t step, double value) {
  ProtoWriter summaryValue;
  summaryValue.bytesField(1, tag);
  summaryValue.floatField(2, static_cast<float>(value));
  writeEvent(step, summaryValue.bytes());
}

void EventWriter::histogram(const std::string &tag, int64_t step, const Histogram &histogram) {
  ProtoWriter histo;
  histo.doubleField(1, histogram.min);
  histo.doubleField(2, histogram.max);
  histo.doubleField(3, histogram.count);
  histo.doubleField(4, histogram.sum);
  histo.doubleField(5, histogram.sumSquares);
  histo.packedDoubles(6, histogram.limits);
  histo.packedDoubles(7, histogram.counts);
  ProtoWriter summaryValue;
  summaryValue.bytesField(1, tag);
  summaryValue.bytesField(5, histo.bytes());
  writeEvent(step, summaryValue.bytes());
}

void EventWriter::text(const std::string &tag, int64_t step, const std::string &markdown) {
  constexpr uint64_t kStringDType = 7; // tensorflow.DT_STRING
  ProtoWriter tensor;
  tensor.varintField(1, kStringDType);
  tensor.bytesField(2, "");    // TensorShapeProto of a scalar: no dims
  tensor.bytesField(8, markdown); // string_val
  ProtoWriter pluginData;
  pluginData.bytesField(1, "text"); // plugin_name
  ProtoWriter metadata;
  metadata.bytesField(1, pluginData.bytes());
  ProtoWriter summaryValue;
  summaryValue.bytesField(1, tag);
  summaryValue.bytesField(8, tensor.bytes());
  summaryValue.bytesField(9, metadata.bytes());
  writeEvent(step, summaryValue.bytes());
}

void EventWriter::flush() {
  stream_.flush();
  if (!stream_)
    throw Error::inFile(path_.string(), "cannot write the event file");
}

} // namespace gradc::rt
