// csv.h — reader for numeric CSV tables: a feature matrix plus an optional label column.
#ifndef GRADC_RUNTIME_CSV_H
#define GRADC_RUNTIME_CSV_H

#include "gradc/runtime/load_limits.h"
#include "gradc/runtime/tensor.h"

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace gradc::rt {

struct CsvOptions {
  /// Whether the first line names the columns.
  bool hasHeader = true;
  /// The label column, by header name (needs hasHeader) ...
  std::optional<std::string> labelColumnName;
  /// ... or by 0-based index. At most one of the two may be set; with neither,
  /// every column is a feature.
  std::optional<size_t> labelColumnIndex;
  /// With labelColumnName: a table without that column is read as features
  /// only (prediction input in the training layout, or without the label).
  bool labelColumnOptional = false;
  /// The feature columns by header name, in the order the features are laid
  /// out (needs hasHeader): a table's columns may come in any order, but every
  /// one must be here or be the label column. Without it, every column but
  /// the label is a feature, in file order.
  std::optional<std::vector<std::string>> featureColumns;
  /// F32 or F64.
  DType featureDType = DType::F32;
  /// I64 or I32 (class indices: cells must be integers), F32 or F64 (targets).
  DType labelDType = DType::I64;
  LoadLimits limits;
};

struct CsvTable {
  /// [rows, feature columns], row-major, in file order.
  Tensor features;
  /// [rows], present when a label column was chosen.
  std::optional<Tensor> labels;
  /// Names of the feature columns in the order of `features` (empty without a
  /// header).
  std::vector<std::string> featureNames;
};

/// The names in the first line of a CSV file (its header, when it has one),
/// as loadCsv reads them. Throws Error naming the file when it cannot be read.
std::vector<std::string> readCsvHeader(const std::filesystem::path &path);

/// Reads a comma-separated table of numbers. Lines may end in LF or CR LF; a
/// UTF-8 byte-order mark, blank space around cells and blank lines at the end
/// are ignored. Quoted fields are not supported.
///
/// Errors name the line and column ("data.csv:3:9: ..."): an empty file, a
/// header without data rows, a row with a different number of fields than the
/// first, an empty cell, a cell that is not a number, NaN or infinity, a value
/// out of range of its dtype, a non-integer class label, a label column that
/// does not exist, and with featureColumns a column missing from the table or
/// one the list does not name (both name the columns expected).
CsvTable loadCsv(const std::filesystem::path &path, const CsvOptions &options = {});

} // namespace gradc::rt

#endif // GRADC_RUNTIME_CSV_H
