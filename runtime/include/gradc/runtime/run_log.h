// run_log.h — a training run's records (per epoch, per evaluation) as CSV or JSON
// lines, written while training and read back for plots.
#ifndef GRADC_RUNTIME_RUN_LOG_H
#define GRADC_RUNTIME_RUN_LOG_H

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace gradc::rt {

/// One value of a record: a count, a measurement or a word.
using LogValue = std::variant<int64_t, double, std::string>;

/// A record: named values in order. Its "record" field says what it is:
///   "run"    the run's settings (JSON lines only): model, fingerprint,
///            optimizer, batch, seed, lr, threads
///   "epoch"  the end of an epoch: epoch, step, lr, loss and the metrics, their
///            val_ and test_ counterparts, grad_norm, seconds
///   "eval"   an --eval-every evaluation: epoch, step, lr, val_ and test_
///            values, seconds
struct LogRecord {
  std::vector<std::pair<std::string, LogValue>> fields;

  void add(std::string name, LogValue value) {
    fields.emplace_back(std::move(name), std::move(value));
  }
  const LogValue *find(const std::string &name) const;
  /// The value of a numeric field, or nullopt.
  std::optional<double> number(const std::string &name) const;
  /// The "record" field, or "epoch" for records without one (older logs).
  std::string kind() const;
};

/// Appends records to FILE.csv or FILE.jsonl, flushing after each one.
///
/// CSV has one column per name of `columns`, fixed when the log is opened so
/// that every row lines up: a record leaves the columns it lacks empty, and
/// "run" records are not written. JSON lines write every record whole.
class RunLog {
public:
  /// Opens `path` (format from its suffix) for writing. With `keepBytes`, a
  /// resumed run's log is cut back to that many bytes — its size when the
  /// checkpoint was written — and continued; without it, or when the file is
  /// shorter, it starts afresh.
  RunLog(const std::filesystem::path &path, std::vector<std::string> columns,
         std::optional<uint64_t> keepBytes = std::nullopt);

  void write(const LogRecord &record);

  /// The file's size after the last record.
  uint64_t bytes() const { return bytes_; }
  const std::string &path() const { return path_; }

private:
  std::string path_;
  bool json_;
  std::vector<std::string> columns_;
  std::ofstream stream_;
  uint64_t bytes_ = 0;
};

/// Reads a log written by RunLog (CSV or JSON lines, by suffix). Throws Error
/// naming the file and line for text that is not such a log.
std::vector<LogRecord> readRunLog(const std::filesystem::path &path);

} // namespace gradc::rt

#endif // GRADC_RUNTIME_RUN_LOG_H
