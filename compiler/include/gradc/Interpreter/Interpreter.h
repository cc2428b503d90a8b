//===- Interpreter.h - Reference interpreter for the nn dialect -*- C++ -*-===//
//
// Runs a function of an nn-dialect module on concrete tensors with naive
// loops that mirror each op's definition. It is the correctness oracle of
// the compiler: gradient checks against finite differences and cross-checks
// against PyTorch run programs through it, so it favours obviously correct
// code over speed.
//
// Values are held as doubles: f64 exactly, f32 rounded to float after every
// op (so an f32 program behaves like f32), and integer and i1 elements as
// exact integers. An i64 value must be one a double holds exactly (every
// value within +-2^53 is); an argument or constant that is not is reported
// as an error.
//
//===----------------------------------------------------------------------===//

#ifndef GRADC_INTERPRETER_INTERPRETER_H
#define GRADC_INTERPRETER_INTERPRETER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/Support/LogicalResult.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <optional>
#include <vector>

namespace gradc::interp {

/// A dense tensor value: `data` holds the elements of `type` in row-major
/// order, one double per element.
struct Tensor {
  mlir::RankedTensorType type;
  std::vector<double> data;
};

/// Evaluates functions of one module. Supports func.func, func.call,
/// func.return and every op of the nn dialect. Errors (an argument of the
/// wrong count, shape or element type, an op the interpreter does not know,
/// an out-of-range label or index) are reported through the module's
/// MLIRContext at the offending location, and run() returns failure. The
/// module is verified on the first run() and must not change afterwards.
class Interpreter {
public:
  explicit Interpreter(mlir::ModuleOp module);

  /// Runs the function named `funcName` on `args` and returns its results.
  mlir::FailureOr<std::vector<Tensor>> run(llvm::StringRef funcName,
                                           llvm::ArrayRef<Tensor> args);

private:
  mlir::ModuleOp module;
  /// Whether the module passed the verifier; checked once, on the first run.
  std::optional<bool> verified;
};

} // namespace gradc::interp

#endif // GRADC_INTERPRETER_INTERPRETER_H
