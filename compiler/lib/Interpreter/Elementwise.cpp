//===- Elementwise.cpp - Interpreting constants and elementwise nn ops ----===//

#include "Kernels.h"

#include "gradc/runtime/dropout_mask.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>
#include <cstdint>
#include <optional>

using namespace mlir;

namespace gradc::interp::detail {

/// Calls `body(resultOffset, operandOffsets)` for every element of a result
/// of `resultShape`, with the offset each operand contributes under NumPy
/// broadcasting.
template <typename Body>
static void forEachBroadcastElement(llvm::ArrayRef<int64_t> resultShape,
                                    Operands operands, Body body) {
  int64_t count = 1;
  for (int64_t extent : resultShape)
    count *= extent;
  llvm::SmallVector<int64_t, 3> operandOffsets(operands.size());
  for (int64_t offset = 0; offset < count; ++offset) {
    llvm::SmallVector<int64_t> index = unravel(offset, resultShape);
    for (auto [slot, operand] : llvm::enumerate(operands))
      operandOffsets[slot] = broadcastOffset(index, shapeOf(*operand));
    body(offset, llvm::ArrayRef<int64_t>(operandOffsets));
  }
}

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

FailureOr<Tensor> evalConstant(nn::ConstantOp op) {
  Tensor result = zeros(op.getType());
  ElementsAttr value = op.getValue();
  Type element = result.type.getElementType();
  size_t offset = 0;
  if (isa<FloatType>(element)) {
    auto values = value.tryGetValues<APFloat>();
    if (!values)
      return emitError(op.getLoc()) << "cannot read the elements of " << value;
    for (const APFloat &number : *values)
      result.data[offset++] = number.convertToDouble();
    return result;
  }
  auto values = value.tryGetValues<APInt>();
  if (!values)
    return emitError(op.getLoc()) << "cannot read the elements of " << value;
  for (const APInt &number : *values) {
    if (element.isInteger(1)) {
      result.data[offset++] = number.getBoolValue() ? 1.0 : 0.0;
      continue;
    }
    int64_t integer = number.getSExtValue();
    double held = static_cast<double>(integer);
    if (!isExactI64(held) || static_cast<int64_t>(held) != integer)
      return emitError(op.getLoc())
             << "constant element " << integer
             << " cannot be held exactly by the interpreter (beyond 2^53)";
    result.data[offset++] = held;
  }
  return result;
}

//===----------------------------------------------------------------------===//
// Binary ops
//===----------------------------------------------------------------------===//

static double applyFloatBinary(Operation *op, double a, double b) {
  if (isa<nn::AddOp>(op))
    return a + b;
  if (isa<nn::SubOp>(op))
    return a - b;
  if (isa<nn::MulOp>(op))
    return a * b;
  if (isa<nn::DivOp>(op))
    return a / b;
  if (isa<nn::MaximumOp>(op))
    return nanMax(a, b);
  if (isa<nn::MinimumOp>(op))
    return nanMin(a, b);
  return std::pow(a, b);
}

/// i32 power by repeated squaring, wrapping like the other i32 arithmetic.
static int64_t wrappingPow(int64_t base, int64_t exponent) {
  uint32_t result = 1, factor = static_cast<uint32_t>(base);
  for (uint64_t rest = static_cast<uint64_t>(exponent); rest != 0; rest >>= 1) {
    if (rest & 1)
      result *= factor;
    factor *= factor;
  }
  return static_cast<int32_t>(result);
}

/// i32 arithmetic (division truncates toward zero); std::nullopt where the
/// result is undefined: division by zero, a negative power.
static std::optional<int64_t> applyIntBinary(Operation *op, int64_t a, int64_t b) {
  if (isa<nn::AddOp>(op))
    return a + b;
  if (isa<nn::SubOp>(op))
    return a - b;
  if (isa<nn::MulOp>(op))
    return a * b;
  if (isa<nn::DivOp>(op)) {
    if (b == 0)
      return std::nullopt;
    return a / b;
  }
  if (isa<nn::MaximumOp>(op))
    return std::max(a, b);
  if (isa<nn::MinimumOp>(op))
    return std::min(a, b);
  if (b < 0)
    return std::nullopt;
  return wrappingPow(a, b);
}

FailureOr<Tensor> evalBinary(Operation *op, Operands in) {
  Tensor result = zeros(op->getResult(0).getType());
  bool isInteger = result.type.getElementType().isInteger(32);
  const Tensor &lhs = *in[0], &rhs = *in[1];
  bool undefined = false;
  forEachBroadcastElement(shapeOf(result), in, [&](int64_t offset, auto operand) {
    double a = lhs.data[operand[0]], b = rhs.data[operand[1]];
    if (!isInteger) {
      result.data[offset] = applyFloatBinary(op, a, b);
      return;
    }
    std::optional<int64_t> value =
        applyIntBinary(op, static_cast<int64_t>(a), static_cast<int64_t>(b));
    if (!value)
      undefined = true;
    else
      result.data[offset] = wrapToI32(*value);
  });
  if (undefined)
    return emitError(op->getLoc())
           << (isa<nn::DivOp>(op) ? "integer division by zero"
                                  : "integer power with a negative exponent");
  return result;
}

//===----------------------------------------------------------------------===//
// Compare, select, cast
//===----------------------------------------------------------------------===//

static bool compare(nn::CmpPredicate predicate, double a, double b) {
  switch (predicate) {
  case nn::CmpPredicate::eq:
    return a == b;
  case nn::CmpPredicate::ne:
    return a != b;
  case nn::CmpPredicate::lt:
    return a < b;
  case nn::CmpPredicate::le:
    return a <= b;
  case nn::CmpPredicate::gt:
    return a > b;
  case nn::CmpPredicate::ge:
    return a >= b;
  }
  return false;
}

FailureOr<Tensor> evalCompare(nn::CompareOp op, Operands in) {
  Tensor result = zeros(op.getType());
  nn::CmpPredicate predicate = op.getPredicate();
  forEachBroadcastElement(shapeOf(result), in, [&](int64_t offset, auto operand) {
    bool holds = compare(predicate, in[0]->data[operand[0]], in[1]->data[operand[1]]);
    result.data[offset] = holds ? 1.0 : 0.0;
  });
  return result;
}

FailureOr<Tensor> evalSelect(nn::SelectOp op, Operands in) {
  Tensor result = zeros(op.getType());
  forEachBroadcastElement(shapeOf(result), in, [&](int64_t offset, auto operand) {
    bool cond = in[0]->data[operand[0]] != 0.0;
    result.data[offset] = cond ? in[1]->data[operand[1]] : in[2]->data[operand[2]];
  });
  return result;
}

FailureOr<Tensor> evalCast(nn::CastOp op, Operands in) {
  const Tensor &x = *in[0];
  Tensor result = zeros(op.getType());
  Type from = x.type.getElementType(), to = result.type.getElementType();
  for (auto [offset, value] : llvm::enumerate(x.data)) {
    double converted;
    if (to.isInteger(1)) {
      converted = value != 0.0 ? 1.0 : 0.0; // NaN is nonzero
    } else if (isa<FloatType>(to)) {
      converted = value;
    } else if (isa<FloatType>(from)) {
      double truncated = std::trunc(value);
      bool fits = to.isInteger(32)
                      ? std::isfinite(value) && truncated >= INT32_MIN &&
                            truncated <= INT32_MAX
                      : isExactI64(truncated);
      if (!fits)
        return emitError(op.getLoc()) << "cannot convert " << value << " (element "
                                      << offset << ") to " << to << ": out of range";
      converted = truncated;
    } else if (to.isInteger(32)) {
      converted = wrapToI32(static_cast<int64_t>(value));
    } else {
      converted = value; // i1 or i32 to i64
    }
    result.data[offset] = converted;
  }
  return result;
}

//===----------------------------------------------------------------------===//
// Unary ops
//===----------------------------------------------------------------------===//

// The function each op states (UnaryFunctionOpInterface::evaluate).
FailureOr<Tensor> evalUnary(nn::UnaryFunctionOpInterface op, Operands in) {
  Tensor result = zeros(op->getResult(0).getType());
  for (auto [offset, value] : llvm::enumerate(in[0]->data))
    result.data[offset] = op.evaluate(value);
  return result;
}

FailureOr<Tensor> evalLeakyRelu(nn::LeakyReluOp op, Operands in) {
  double slope = op.getSlope().convertToDouble();
  Tensor result = zeros(op.getType());
  for (auto [offset, x] : llvm::enumerate(in[0]->data))
    result.data[offset] = x > 0 ? x : slope * x;
  return result;
}

//===----------------------------------------------------------------------===//
// Dropout
//===----------------------------------------------------------------------===//

FailureOr<Tensor> evalDropout(nn::DropoutOp op, Operands in) {
  const Tensor &x = *in[0];
  // The key is the i64 operand's bits; the runtime reads it as uint64.
  uint64_t key = static_cast<uint64_t>(static_cast<int64_t>(in[1]->data[0]));
  uint64_t stream = op.getStream();
  double p = op.getP().convertToDouble();
  Tensor result = zeros(op.getType());
  for (auto [index, value] : llvm::enumerate(x.data))
    result.data[index] = value * gradc::rt::dropoutScale(key, stream, index, p);
  return result;
}

} // namespace gradc::interp::detail
