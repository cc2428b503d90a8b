//===- NNAttrs.h - the train section as typed attributes --------*- C++ -*-===//
//
// The language's training defaults, stated once, and the tables of each
// optimizer's and schedule's settings. The front end checks a model's train
// section against them, the dialect verifies #nn.train against them, and
// the passes and the emitter read their values through the attributes.
//
//===----------------------------------------------------------------------===//

#ifndef GRADC_DIALECT_NN_IR_NNATTRS_H
#define GRADC_DIALECT_NN_IR_NNATTRS_H

#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/bit.h"

#include <optional>

#include "gradc/Dialect/NN/IR/NNEnums.h.inc"

namespace gradc::nn {

/// The defaults of the train section's settings that do not depend on the
/// optimizer or the schedule (those are in their tables below).
namespace train_defaults {
inline constexpr int64_t kBatch = 32;
inline constexpr int64_t kEpochs = 1;
inline constexpr int64_t kSeed = 0;
inline constexpr double kValidation = 0.0;
inline constexpr double kL1 = 0.0;
inline constexpr double kL2 = 0.0;
/// A data source's input scale and whether a CSV file has a header row.
inline constexpr double kScale = 1.0;
inline constexpr bool kHeader = true;
/// early_stopping's metric and patience.
inline constexpr llvm::StringLiteral kEarlyStoppingMetric = "val_loss";
inline constexpr int64_t kEarlyStoppingPatience = 3;
} // namespace train_defaults

/// One setting of an optimizer or a schedule: its name, what it holds, its
/// default (none: the model must give it) and the values it takes.
struct SettingSpec {
  enum class Type { Real, Integer, Flag };
  llvm::StringLiteral name;
  Type type;
  std::optional<double> fallback;
  double low, high;
  bool lowOpen, highOpen;

  /// Whether `value` is in range (an integer setting's `low` is its minimum).
  bool contains(double value) const;
  /// The range as the diagnostics write it: "[0, 1)".
  std::string range() const;
};

/// An optimizer's hyperparameters, torch.optim's defaults, and its default
/// learning rate (none for sgd, which needs one).
llvm::ArrayRef<SettingSpec> optimizerSettings(OptimizerKind kind);
std::optional<double> defaultLearningRate(OptimizerKind kind);

/// A schedule's settings.
llvm::ArrayRef<SettingSpec> scheduleSettings(ScheduleKind kind);

/// The spec of `name` in `specs`, or nullptr.
const SettingSpec *findSetting(llvm::ArrayRef<SettingSpec> specs, llvm::StringRef name);

} // namespace gradc::nn

namespace gradc::nn {
/// A double as an attribute parameter: hashed by its bits, printed and
/// parsed exactly (mlir gives a bare double neither).
struct F64 {
  double value = 0.0;
  constexpr F64() = default;
  constexpr F64(double value) : value(value) {}
  constexpr operator double() const { return value; }
};
inline llvm::hash_code hash_value(F64 v) {
  return llvm::hash_value(llvm::bit_cast<uint64_t>(v.value));
}
inline mlir::AsmPrinter &operator<<(mlir::AsmPrinter &printer, F64 v) {
  printer.printFloat(llvm::APFloat(v.value));
  return printer;
}
} // namespace gradc::nn

namespace mlir {
template <>
struct FieldParser<gradc::nn::F64> {
  static FailureOr<gradc::nn::F64> parse(AsmParser &parser) {
    double value;
    if (parser.parseFloat(value))
      return failure();
    return gradc::nn::F64(value);
  }
};
template <>
struct FieldParser<std::optional<gradc::nn::F64>> {
  static FailureOr<std::optional<gradc::nn::F64>> parse(AsmParser &parser) {
    FailureOr<gradc::nn::F64> value = FieldParser<gradc::nn::F64>::parse(parser);
    if (failed(value))
      return failure();
    return std::optional<gradc::nn::F64>(*value);
  }
};
} // namespace mlir

#define GET_ATTRDEF_CLASSES
#include "gradc/Dialect/NN/IR/NNAttrs.h.inc"

#endif // GRADC_DIALECT_NN_IR_NNATTRS_H
