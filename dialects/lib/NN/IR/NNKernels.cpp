//===- NNKernels.cpp - how each nn op runs in the generated program -------===//
//
// The ElementwiseOpInterface and KernelOpInterface of every nn op: the C++
// the emitter prints for it (an element expression, or the statements of a
// runtime call or loop nest), its FLOPs, and the fusions it can lead. Each
// op's runtime call is stated here and nowhere else; the runtime functions
// are declared in runtime/include/gradc/runtime/kernels.h.
//
// Over 800 lines on purpose: every op's kernel in one place, one section per
// op family in the order of NNOps.td, as NNDerivatives.cpp holds every VJP.
//
//===----------------------------------------------------------------------===//

#include "gradc/Dialect/NN/IR/CppKernels.h"
#include "gradc/Dialect/NN/IR/NNOps.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/Support/Format.h"

#include <cmath>

using namespace mlir;
using namespace gradc;
using namespace gradc::nn;

//===----------------------------------------------------------------------===//
// C++ pieces shared with the emitter
//===----------------------------------------------------------------------===//

std::string cpp::typeName(Type element) {
  if (element.isF32())
    return "float";
  if (element.isF64())
    return "double";
  if (element.isInteger(1))
    return "bool";
  if (element.isInteger(64))
    return "int64_t";
  return "int32_t";
}

std::string cpp::ignoredLabel(std::optional<int64_t> ignoreIndex) {
  return ignoreIndex ? ", " + std::to_string(*ignoreIndex) : std::string();
}

std::string cpp::literal(double value, Type element) {
  if (std::isnan(value))
    return element.isF32() ? "std::numeric_limits<float>::quiet_NaN()"
                           : "std::numeric_limits<double>::quiet_NaN()";
  if (std::isinf(value)) {
    std::string inf = "std::numeric_limits<" + typeName(element) + ">::infinity()";
    return value < 0 ? "-" + inf : inf;
  }
  if (!isa<FloatType>(element)) {
    if (element.isInteger(1))
      return value != 0 ? "true" : "false";
    return std::to_string(static_cast<int64_t>(value));
  }
  std::string text;
  llvm::raw_string_ostream os(text);
  os << llvm::format(element.isF32() ? "%.9g" : "%.17g", value);
  if (text.find_first_of(".e") == std::string::npos)
    text += ".0";
  if (element.isF32())
    text += "f";
  return text;
}

SmallVector<int64_t> cpp::stridesOf(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t i = static_cast<int64_t>(shape.size()) - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * shape[i + 1];
  return strides;
}

int64_t cpp::product(ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

std::string cpp::broadcastIndex(ArrayRef<int64_t> shape, ArrayRef<int64_t> result) {
  SmallVector<int64_t> strides = stridesOf(shape);
  size_t offset = result.size() - shape.size();
  std::string index;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1)
      continue;
    std::string term = "i" + std::to_string(d + offset);
    if (strides[d] != 1)
      term += " * " + std::to_string(strides[d]);
    index += (index.empty() ? "" : " + ") + term;
  }
  return index.empty() ? "0" : index;
}

std::string cpp::openLoops(llvm::raw_ostream &os, ArrayRef<int64_t> shape,
                           std::string indent) {
  for (size_t d = 0; d < shape.size(); ++d) {
    os << indent << "for (int64_t i" << d << " = 0; i" << d << " < " << shape[d]
       << "; ++i" << d << ")\n";
    indent += "  ";
  }
  return indent;
}

using cpp::broadcastIndex;
using cpp::literal;
using cpp::openLoops;
using cpp::product;
using cpp::stridesOf;

namespace {

ArrayRef<int64_t> shapeOf(Value value) {
  return cast<RankedTensorType>(value.getType()).getShape();
}
Type elementOf(Value value) { return cast<RankedTensorType>(value.getType()).getElementType(); }
int64_t countOf(Value value) { return cast<RankedTensorType>(value.getType()).getNumElements(); }
std::string typeOf(Value value) { return cpp::typeName(elementOf(value)); }

/// A literal of the element type of `like`.
std::string literalLike(Value like, double value) { return literal(value, elementOf(like)); }

std::string pairOf(ArrayRef<int64_t> values) {
  return std::to_string(values[0]) + ", " + std::to_string(values[1]);
}

/// "outer, extent, inner" of `shape` split at `axis`, as the runtime's
/// row-wise kernels take it.
std::string axisSplit(ArrayRef<int64_t> shape, int64_t axis) {
  return std::to_string(product(shape.take_front(axis))) + ", " +
         std::to_string(shape[axis]) + ", " + std::to_string(product(shape.drop_front(axis + 1)));
}

constexpr const char *kRuntime = "gradc::rt::";

} // namespace

//===----------------------------------------------------------------------===//
// Elementwise ops: one C++ expression per element
//===----------------------------------------------------------------------===//

std::string AddOp::getCppExpression(ArrayRef<std::string> a) { return a[0] + " + " + a[1]; }
std::string SubOp::getCppExpression(ArrayRef<std::string> a) { return a[0] + " - " + a[1]; }
std::string MulOp::getCppExpression(ArrayRef<std::string> a) { return a[0] + " * " + a[1]; }
std::string DivOp::getCppExpression(ArrayRef<std::string> a) { return a[0] + " / " + a[1]; }

// NaN propagates through maximum and minimum, as in PyTorch.
std::string MaximumOp::getCppExpression(ArrayRef<std::string> a) {
  return "(" + a[0] + " > " + a[1] + " || " + a[0] + " != " + a[0] + ") ? " + a[0] + " : " +
         a[1];
}
std::string MinimumOp::getCppExpression(ArrayRef<std::string> a) {
  return "(" + a[0] + " < " + a[1] + " || " + a[0] + " != " + a[0] + ") ? " + a[0] + " : " +
         a[1];
}

std::string PowOp::getCppExpression(ArrayRef<std::string> a) {
  return "std::pow(" + a[0] + ", " + a[1] + ")";
}

std::string CompareOp::getCppExpression(ArrayRef<std::string> a) {
  static const char *ops[] = {" == ", " != ", " < ", " <= ", " > ", " >= "};
  return a[0] + ops[static_cast<int>(getPredicate())] + a[1];
}

std::string SelectOp::getCppExpression(ArrayRef<std::string> a) {
  return a[0] + " ? " + a[1] + " : " + a[2];
}

std::string CastOp::getCppExpression(ArrayRef<std::string> a) {
  Type element = elementOf(getResult());
  if (element.isInteger(1))
    return a[0] + " != " + literal(0, elementOf(getX()));
  return "static_cast<" + cpp::typeName(element) + ">(" + a[0] + ")";
}

// Unary functions: each one's value in f64 (UnaryFunctionOpInterface), then
// its C++ element expression.

std::string NegOp::getCppExpression(ArrayRef<std::string> a) { return "-" + a[0]; }
// exp, sigmoid and silu call gradc::rt::math::exp (runtime/include/gradc/
// runtime/math.h): for float a polynomial a fused loop vectorizes, within
// 1 ulp; for double std::exp.
std::string ExpOp::getCppExpression(ArrayRef<std::string> a) {
  return "gradc::rt::math::exp(" + a[0] + ")";
}
std::string LogOp::getCppExpression(ArrayRef<std::string> a) { return "std::log(" + a[0] + ")"; }
std::string SqrtOp::getCppExpression(ArrayRef<std::string> a) {
  return "std::sqrt(" + a[0] + ")";
}
std::string RsqrtOp::getCppExpression(ArrayRef<std::string> a) {
  return literalLike(getResult(), 1) + " / std::sqrt(" + a[0] + ")";
}
std::string AbsOp::getCppExpression(ArrayRef<std::string> a) { return "std::abs(" + a[0] + ")"; }
std::string SignOp::getCppExpression(ArrayRef<std::string> a) {
  std::string zero = literalLike(getResult(), 0);
  return "static_cast<" + typeOf(getResult()) + ">((" + a[0] + " > " + zero + ") - (" + a[0] +
         " < " + zero + "))";
}
std::string SquareOp::getCppExpression(ArrayRef<std::string> a) { return a[0] + " * " + a[0]; }
// gradc::rt::math::erf (runtime/include/gradc/runtime/math.h): for float a
// polynomial a fused loop vectorizes, within 1.4 ulp; for double std::erf.
std::string ErfOp::getCppExpression(ArrayRef<std::string> a) {
  return "gradc::rt::math::erf(" + a[0] + ")";
}

// NaN propagates through relu, as in PyTorch.
std::string ReluOp::getCppExpression(ArrayRef<std::string> a) {
  std::string zero = literalLike(getResult(), 0);
  return a[0] + " > " + zero + " || " + a[0] + " != " + a[0] + " ? " + a[0] + " : " + zero;
}
std::string SigmoidOp::getCppExpression(ArrayRef<std::string> a) {
  std::string one = literalLike(getResult(), 1);
  return one + " / (" + one + " + gradc::rt::math::exp(-" + a[0] + "))";
}
std::string TanhOp::getCppExpression(ArrayRef<std::string> a) {
  return "std::tanh(" + a[0] + ")";
}
std::string GeluOp::getCppExpression(ArrayRef<std::string> a) {
  Value r = getResult();
  return literalLike(r, 0.5) + " * " + a[0] + " * (" + literalLike(r, 1) +
         " + gradc::rt::math::erf(" + a[0] + " * " + literalLike(r, M_SQRT1_2) + "))";
}
std::string SoftplusOp::getCppExpression(ArrayRef<std::string> a) {
  return "std::max(" + a[0] + ", " + literalLike(getResult(), 0) +
         ") + std::log1p(std::exp(-std::abs(" + a[0] + ")))";
}
// x / (1 + e^-x): a large negative x gives -0, as x * sigmoid(x) does.
std::string SiluOp::getCppExpression(ArrayRef<std::string> a) {
  return a[0] + " / (" + literalLike(getResult(), 1) + " + gradc::rt::math::exp(-" + a[0] +
         "))";
}
std::string LeakyReluOp::getCppExpression(ArrayRef<std::string> a) {
  Value r = getResult();
  return a[0] + " > " + literalLike(r, 0) + " ? " + a[0] + " : " +
         literalLike(r, getSlope().convertToDouble()) + " * " + a[0];
}

namespace {
/// max(x, 0) that keeps a NaN, as std::max(x, 0) does in the generated code.
double maxZero(double x) { return x > 0 || std::isnan(x) ? x : 0.0; }
} // namespace

double NegOp::evaluate(double x) { return -x; }
double ExpOp::evaluate(double x) { return std::exp(x); }
double LogOp::evaluate(double x) { return std::log(x); }
double SqrtOp::evaluate(double x) { return std::sqrt(x); }
double RsqrtOp::evaluate(double x) { return 1.0 / std::sqrt(x); }
double AbsOp::evaluate(double x) { return std::fabs(x); }
double SignOp::evaluate(double x) { return x > 0 ? 1.0 : (x < 0 ? -1.0 : 0.0); }
double SquareOp::evaluate(double x) { return x * x; }
double ErfOp::evaluate(double x) { return std::erf(x); }
double ReluOp::evaluate(double x) { return maxZero(x); }
double SigmoidOp::evaluate(double x) { return 1.0 / (1.0 + std::exp(-x)); }
double TanhOp::evaluate(double x) { return std::tanh(x); }
double GeluOp::evaluate(double x) { return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0))); }
double SoftplusOp::evaluate(double x) { return maxZero(x) + std::log1p(std::exp(-std::fabs(x))); }
double SiluOp::evaluate(double x) { return x / (1.0 + std::exp(-x)); }

//===----------------------------------------------------------------------===//
// Constants and data movement: loop nests, no FLOPs
//===----------------------------------------------------------------------===//

LogicalResult ConstantOp::printKernel(llvm::raw_ostream &os, ArrayRef<std::string>,
                                      ArrayRef<std::string> results) {
  Type element = elementOf(getResult());
  auto value = dyn_cast<DenseElementsAttr>(getValue());
  if (!value)
    return emitError("constant without a dense value");
  int64_t count = countOf(getResult());
  auto numberAt = [&](int64_t i) -> double {
    if (isa<FloatType>(element))
      return value.isSplat() ? value.getSplatValue<APFloat>().convertToDouble()
                             : (value.getValues<APFloat>()[i]).convertToDouble();
    if (element.isInteger(1))
      return value.isSplat() ? value.getSplatValue<bool>() : value.getValues<bool>()[i];
    APInt v = value.isSplat() ? value.getSplatValue<APInt>() : value.getValues<APInt>()[i];
    return static_cast<double>(v.getSExtValue());
  };
  const std::string &out = results[0];
  if (value.isSplat()) {
    if (count == 1)
      os << "  " << out << "[0] = " << literal(numberAt(0), element) << ";\n";
    else
      os << "  std::fill_n(" << out << ", " << count << ", " << literal(numberAt(0), element)
         << ");\n";
    return success();
  }
  os << "  {\n    static const " << cpp::typeName(element) << " values[" << count << "] = {";
  for (int64_t i = 0; i < count; ++i)
    os << (i ? ", " : "") << literal(numberAt(i), element);
  os << "};\n    std::copy_n(values, " << count << ", " << out << ");\n  }\n";
  return success();
}

LogicalResult TransposeOp::printKernel(llvm::raw_ostream &os, ArrayRef<std::string> operands,
                                       ArrayRef<std::string> results) {
  ArrayRef<int64_t> shape = shapeOf(getResult());
  ArrayRef<int64_t> perm = getPermutation();
  SmallVector<int64_t> inStrides = stridesOf(shapeOf(getX()));
  std::string index;
  for (size_t d = 0; d < perm.size(); ++d)
    index += (d ? " + i" : "i") + std::to_string(d) + " * " + std::to_string(inStrides[perm[d]]);
  std::string indent = openLoops(os, shape);
  os << indent << results[0] << "[" << broadcastIndex(shape, shape) << "] = " << operands[0]
     << "[" << (index.empty() ? "0" : index) << "];\n";
  return success();
}

LogicalResult BroadcastToOp::printKernel(llvm::raw_ostream &os, ArrayRef<std::string> operands,
                                         ArrayRef<std::string> results) {
  ArrayRef<int64_t> shape = shapeOf(getResult());
  std::string indent = openLoops(os, shape);
  os << indent << results[0] << "[" << broadcastIndex(shape, shape) << "] = " << operands[0]
     << "[" << broadcastIndex(shapeOf(getX()), shape) << "];\n";
  return success();
}

LogicalResult SliceOp::printKernel(llvm::raw_ostream &os, ArrayRef<std::string> operands,
                                   ArrayRef<std::string> results) {
  ArrayRef<int64_t> shape = shapeOf(getResult());
  ArrayRef<int64_t> start = getStart();
  SmallVector<int64_t> inStrides = stridesOf(shapeOf(getX()));
  std::string index;
  for (size_t d = 0; d < shape.size(); ++d)
    index += (d ? " + (i" : "(i") + std::to_string(d) + " + " + std::to_string(start[d]) +
             ") * " + std::to_string(inStrides[d]);
  std::string indent = openLoops(os, shape);
  os << indent << results[0] << "[" << broadcastIndex(shape, shape) << "] = " << operands[0]
     << "[" << (index.empty() ? "0" : index) << "];\n";
  return success();
}

// Each input into its window of the output.
LogicalResult ConcatOp::printKernel(llvm::raw_ostream &os, ArrayRef<std::string> operands,
                                    ArrayRef<std::string> results) {
  int64_t axis = getAxis();
  SmallVector<int64_t> outStrides = stridesOf(shapeOf(getResult()));
  int64_t offset = 0;
  for (auto [in, name] : llvm::zip_equal(getInputs(), operands)) {
    ArrayRef<int64_t> inShape = shapeOf(in);
    std::string index;
    for (size_t d = 0; d < inShape.size(); ++d) {
      std::string dim = "i" + std::to_string(d);
      if (static_cast<int64_t>(d) == axis && offset)
        dim = "(" + dim + " + " + std::to_string(offset) + ")";
      index += (d ? " + " : "") + dim + " * " + std::to_string(outStrides[d]);
    }
    std::string indent = openLoops(os, inShape);
    os << indent << results[0] << "[" << (index.empty() ? "0" : index) << "] = " << name << "["
       << broadcastIndex(inShape, inShape) << "];\n";
    offset += inShape[axis];
  }
  return success();
}

LogicalResult GatherRowsOp::printKernel(llvm::raw_ostream &os, ArrayRef<std::string> operands,
                                        ArrayRef<std::string> results) {
  ArrayRef<int64_t> table = shapeOf(getTable());
  os << "  " << kRuntime << "gatherRows<" << typeOf(getTable()) << ">(" << table[0] << ", "
     << table[1] << ", " << operands[0] << ", " << operands[1] << ", " << countOf(getIds())
     << ", " << results[0] << ");\n";
  return success();
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

namespace {

enum class Combiner { Sum, Mean, Max };

/// The loops of a reduction of `x` over `axes` into `y`.
void printReduction(llvm::raw_ostream &os, Combiner combiner, Value xValue, Value yValue,
                    ArrayRef<int64_t> axes, const std::string &xName,
                    const std::string &yName) {
  ArrayRef<int64_t> shape = shapeOf(xValue);
  Type element = elementOf(yValue);
  std::string t = cpp::typeName(element);
  int64_t outCount = countOf(yValue);
  // Strides of the output over the kept input dimensions.
  SmallVector<int64_t> kept;
  for (size_t d = 0; d < shape.size(); ++d)
    if (!llvm::is_contained(axes, static_cast<int64_t>(d)))
      kept.push_back(shape[d]);
  SmallVector<int64_t> keptStrides = stridesOf(kept);
  std::string outIndex;
  for (size_t d = 0, k = 0; d < shape.size(); ++d) {
    if (llvm::is_contained(axes, static_cast<int64_t>(d)))
      continue;
    std::string term = "i" + std::to_string(d);
    if (keptStrides[k] != 1)
      term += " * " + std::to_string(keptStrides[k]);
    outIndex += (outIndex.empty() ? "" : " + ") + term;
    ++k;
  }
  if (outIndex.empty())
    outIndex = "0";
  std::string x = xName + "[" + broadcastIndex(shape, shape) + "]";
  std::string y = yName + "[" + outIndex + "]";
  if (combiner == Combiner::Max) {
    std::string lowest = isa<FloatType>(element)
                             ? "-std::numeric_limits<" + t + ">::infinity()"
                             : "std::numeric_limits<int32_t>::min()";
    os << "  for (int64_t i = 0; i < " << outCount << "; ++i)\n    " << yName
       << "[i] = " << lowest << ";\n";
    std::string indent = openLoops(os, shape);
    os << indent << "if (" << x << " > " << y << " || " << x << " != " << x << ") " << y
       << " = " << x << ";\n";
    return;
  }
  // Float sums and means over leading and trailing axes (a batch's loss, a
  // bias gradient: [batch, features] or [batch, channels, h, w]) go to the
  // runtime, which sums in independent lanes and on the kernels' threads.
  if (isa<FloatType>(element)) {
    // Merge adjacent axes of one kind (axes of extent 1 join either).
    SmallVector<std::pair<bool, int64_t>> runs; // (reduced, extent)
    for (size_t d = 0; d < shape.size(); ++d) {
      bool reduced = llvm::is_contained(axes, static_cast<int64_t>(d));
      if (shape[d] == 1)
        continue;
      if (!runs.empty() && runs.back().first == reduced)
        runs.back().second *= shape[d];
      else
        runs.push_back({reduced, shape[d]});
    }
    // [reduced] [kept] [reduced], each part optional.
    int64_t outer = 1, keptExtent = 1, inner = 1;
    size_t r = 0;
    if (r < runs.size() && runs[r].first)
      outer = runs[r++].second;
    if (r < runs.size() && !runs[r].first)
      keptExtent = runs[r++].second;
    if (r < runs.size() && runs[r].first)
      inner = runs[r++].second;
    if (r == runs.size()) {
      if (keptExtent == 1 && inner == 1) // a whole tensor: lanes over all of it
        std::swap(outer, inner);
      int64_t divisor =
          combiner == Combiner::Mean ? product(shape) / std::max<int64_t>(outCount, 1) : 1;
      os << "  " << kRuntime << "reduceSum<" << t << ">(" << outer << ", " << keptExtent
         << ", " << inner << ", " << xName << ", " << divisor << ".0, " << yName << ");\n";
      return;
    }
  }
  // Other sums and means: each output element accumulates in a local over
  // the reduced dimensions, innermost; f32 in double, since a float running sum
  // over thousands of terms (a gradient's squared norm, a mean over a batch
  // of images) loses digits that PyTorch's pairwise sums keep.
  std::string accumulator = element.isF32() ? "double" : t;
  auto loop = [&](size_t d) {
    return "for (int64_t i" + std::to_string(d) + " = 0; i" + std::to_string(d) + " < " +
           std::to_string(shape[d]) + "; ++i" + std::to_string(d) + ")";
  };
  // for (kept...) { double sum = 0; for (reduced...) sum += x; y = sum; }
  std::string indent = "  ", opening;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (llvm::is_contained(axes, static_cast<int64_t>(d)))
      continue;
    if (!opening.empty()) {
      os << indent << opening << "\n";
      indent += "  ";
    }
    opening = loop(d);
  }
  os << indent << (opening.empty() ? "" : opening + " ") << "{\n";
  os << indent << "  " << accumulator << " sum = 0;\n";
  std::string innerIndent = indent + "  ";
  for (size_t d = 0; d < shape.size(); ++d) {
    if (!llvm::is_contained(axes, static_cast<int64_t>(d)))
      continue;
    os << innerIndent << loop(d) << "\n";
    innerIndent += "  ";
  }
  os << innerIndent << "sum += " << x << ";\n";
  std::string total = "sum";
  if (combiner == Combiner::Mean) {
    int64_t count = product(shape) / std::max<int64_t>(outCount, 1);
    total += " / " + std::to_string(count) + (isa<FloatType>(element) ? ".0" : "");
  }
  os << indent << "  " << y << " = static_cast<" << t << ">(" << total << ");\n"
     << indent << "}\n";
}

} // namespace

LogicalResult ReduceSumOp::printKernel(llvm::raw_ostream &os, ArrayRef<std::string> operands,
                                       ArrayRef<std::string> results) {
  printReduction(os, Combiner::Sum, getX(), getResult(), getAxes(), operands[0], results[0]);
  return success();
}
LogicalResult ReduceMeanOp::printKernel(llvm::raw_ostream &os, ArrayRef<std::string> operands,
                                        ArrayRef<std::string> results) {
  printReduction(os, Combiner::Mean, getX(), getResult(), getAxes(), operands[0], results[0]);
  return success();
}
LogicalResult ReduceMaxOp::printKernel(llvm::raw_ostream &os, ArrayRef<std::string> operands,
                                       ArrayRef<std::string> results) {
  printReduction(os, Combiner::Max, getX(), getResult(), getAxes(), operands[0], results[0]);
  return success();
}
int64_t ReduceSumOp::getFlops() { return countOf(getX()); }
int64_t ReduceMeanOp::getFlops() { return countOf(getX()); }
int64_t ReduceMaxOp::getFlops() { return countOf(getX()); }

LogicalResult ArgmaxOp::printKernel(llvm::raw_ostream &os, ArrayRef<std::string> operands,
                                    ArrayRef<std::string> results) {
  os << "  " << kRuntime << "argmax<" << typeOf(getX()) << ">("
     << axisSplit(shapeOf(getX()), getAxis()) << ", " << operands[0] << ", " << results[0]
     << ");\n";
  return success();
}
int64_t ArgmaxOp::getFlops() { return countOf(getX()); }

//===----------------------------------------------------------------------===//
// Matrix products and convolutions
//===----------------------------------------------------------------------===//

namespace {

/// m, n, k of a product (of its last two dimensions).
std::array<int64_t, 3> productExtents(MatmulOp op) {
  ArrayRef<int64_t> as = shapeOf(op.getLhs()), cs = shapeOf(op.getResult());
  int64_t k = op.getTransposeLhs() ? as[as.size() - 2] : as.back();
  return {cs[cs.size() - 2], cs.back(), k};
}

std::string transposeFlags(MatmulOp op) {
  return std::string(op.getTransposeLhs() ? "true" : "false") + ", " +
         (op.getTransposeRhs() ? "true" : "false");
}

} // namespace

LogicalResult MatmulOp::printKernel(llvm::raw_ostream &os, ArrayRef<std::string> operands,
                                    ArrayRef<std::string> results) {
  ArrayRef<int64_t> as = shapeOf(getLhs()), bs = shapeOf(getRhs()), cs = shapeOf(getResult());
  auto [m, n, k] = productExtents(*this);
  std::string t = typeOf(getResult());
  std::string one = literalLike(getResult(), 1), zero = literalLike(getResult(), 0);
  ArrayRef<int64_t> batch = cs.drop_back(2);
  if (batch.empty()) {
    os << "  " << kRuntime << "gemm<" << t << ">(" << transposeFlags(*this) << ", " << m << ", "
       << n << ", " << k << ", " << one << ", " << operands[0] << ", " << operands[1] << ", "
       << zero << ", " << results[0] << ");\n";
    return success();
  }
  int64_t aMatrix = as[as.size() - 2] * as.back(), bMatrix = bs[bs.size() - 2] * bs.back();
  std::string indent = openLoops(os, batch);
  os << indent << kRuntime << "gemm<" << t << ">(" << transposeFlags(*this) << ", " << m << ", "
     << n << ", " << k << ", " << one << ", " << operands[0] << " + ("
     << broadcastIndex(as.drop_back(2), batch) << ") * " << aMatrix << ", " << operands[1]
     << " + (" << broadcastIndex(bs.drop_back(2), batch) << ") * " << bMatrix << ", " << zero
     << ", " << results[0] << " + (" << broadcastIndex(batch, batch) << ") * " << m * n
     << ");\n";
  return success();
}

int64_t MatmulOp::getFlops() { return 2 * countOf(getResult()) * productExtents(*this)[2]; }
bool MatmulOp::canLeadEpilogue() { return shapeOf(getResult()).size() == 2; }
bool MatmulOp::canComputeRowBlocks() { return shapeOf(getResult()).size() == 2; }

LogicalResult MatmulOp::printRowBlock(llvm::raw_ostream &os, ArrayRef<std::string> operands,
                                      StringRef block, StringRef firstRow, StringRef rowCount) {
  auto [m, n, k] = productExtents(*this);
  os << kRuntime << "gemmRows<" << typeOf(getResult()) << ">(" << transposeFlags(*this) << ", "
     << m << ", " << n << ", " << k << ", " << firstRow << ", " << rowCount << ", "
     << literalLike(getResult(), 1) << ", " << operands[0] << ", " << operands[1] << ", "
     << literalLike(getResult(), 0) << ", " << block << ");\n";
  return success();
}

LogicalResult LinearOp::printKernel(llvm::raw_ostream &os, ArrayRef<std::string> operands,
                                    ArrayRef<std::string> results) {
  ArrayRef<int64_t> x = shapeOf(getX()), w = shapeOf(getWeight());
  os << "  " << kRuntime << "linear<" << typeOf(getX()) << ">(" << x[0] << ", " << x[1] << ", "
     << w[0] << ", " << operands[0] << ", " << operands[1] << ", "
     << (getBias() ? operands[2] : "nullptr") << ", " << results[0] << ");\n";
  return success();
}
int64_t LinearOp::getFlops() {
  ArrayRef<int64_t> x = shapeOf(getX()), w = shapeOf(getWeight());
  return 2 * x[0] * x[1] * w[0] + (getBias() ? x[0] * w[0] : 0);
}
bool LinearOp::canLeadEpilogue() { return true; }

namespace {

/// The runtime's shape of a convolution, from the forward op's x [n, c, h, w]
/// and weight [o, c, kh, kw].
void printConv2DShape(llvm::raw_ostream &os, ArrayRef<int64_t> x, ArrayRef<int64_t> w,
                      ArrayRef<int64_t> stride, ArrayRef<int64_t> padding) {
  os << "  {\n    const gradc::rt::Conv2DShape shape = " << kRuntime << "makeConv2DShape("
     << x[0] << ", " << x[1] << ", " << x[2] << ", " << x[3] << ", " << w[0] << ", " << w[2]
     << ", " << w[3] << ", " << pairOf(stride) << ", " << pairOf(padding) << ");\n    ";
}

} // namespace

LogicalResult Conv2DOp::printKernel(llvm::raw_ostream &os, ArrayRef<std::string> operands,
                                    ArrayRef<std::string> results) {
  printConv2DShape(os, shapeOf(getX()), shapeOf(getWeight()), getStride(), getPadding());
  os << kRuntime << "conv2d<" << typeOf(getX()) << ">(shape, " << operands[0] << ", "
     << operands[1] << ", " << (getBias() ? operands[2] : "nullptr") << ", " << results[0]
     << ");\n  }\n";
  return success();
}
// 2 · output elements · C·KH·KW (+ bias)
int64_t Conv2DOp::getFlops() {
  return 2 * countOf(getResult()) * product(shapeOf(getWeight()).drop_front()) +
         (getBias() ? countOf(getResult()) : 0);
}
bool Conv2DOp::canLeadEpilogue() { return true; }

LogicalResult Conv2DBackwardInputOp::printKernel(llvm::raw_ostream &os,
                                                 ArrayRef<std::string> operands,
                                                 ArrayRef<std::string> results) {
  printConv2DShape(os, shapeOf(getResult()), shapeOf(getWeight()), getStride(), getPadding());
  os << kRuntime << "conv2dBackwardInput<" << typeOf(getDy()) << ">(shape, " << operands[0]
     << ", " << operands[1] << ", " << results[0] << ");\n  }\n";
  return success();
}
int64_t Conv2DBackwardInputOp::getFlops() {
  return 2 * countOf(getDy()) * product(shapeOf(getWeight()).drop_front());
}

LogicalResult Conv2DBackwardFilterOp::printKernel(llvm::raw_ostream &os,
                                                  ArrayRef<std::string> operands,
                                                  ArrayRef<std::string> results) {
  printConv2DShape(os, shapeOf(getX()), shapeOf(getResult()), getStride(), getPadding());
  os << kRuntime << "conv2dBackwardFilter<" << typeOf(getX()) << ">(shape, " << operands[0]
     << ", " << operands[1] << ", " << results[0] << ");\n  }\n";
  return success();
}
int64_t Conv2DBackwardFilterOp::getFlops() {
  return 2 * countOf(getDy()) * product(shapeOf(getResult()).drop_front());
}

//===----------------------------------------------------------------------===//
// Pooling
//===----------------------------------------------------------------------===//

namespace {

/// `fn<T>(shape, operands..., result)` over the runtime's shape of a pooling
/// of x [n, c, h, w].
void printPool2D(llvm::raw_ostream &os, StringRef fn, Value x, ArrayRef<int64_t> kernel,
                 ArrayRef<int64_t> stride, ArrayRef<int64_t> padding,
                 ArrayRef<std::string> operands, const std::string &result) {
  ArrayRef<int64_t> s = shapeOf(x);
  os << "  {\n    const gradc::rt::Pool2DShape shape = " << kRuntime << "makePool2DShape("
     << s[0] << ", " << s[1] << ", " << s[2] << ", " << s[3] << ", " << pairOf(kernel) << ", "
     << pairOf(stride) << ", " << pairOf(padding) << ");\n    " << kRuntime << fn << "<"
     << typeOf(x) << ">(shape";
  for (const std::string &operand : operands)
    os << ", " << operand;
  os << ", " << result << ");\n  }\n";
}

} // namespace

LogicalResult MaxPool2DOp::printKernel(llvm::raw_ostream &os, ArrayRef<std::string> operands,
                                       ArrayRef<std::string> results) {
  printPool2D(os, "maxPool2d", getX(), getKernel(), getStride(), getPadding(), operands,
              results[0]);
  return success();
}
LogicalResult AvgPool2DOp::printKernel(llvm::raw_ostream &os, ArrayRef<std::string> operands,
                                       ArrayRef<std::string> results) {
  printPool2D(os, "avgPool2d", getX(), getKernel(), getStride(), getPadding(), operands,
              results[0]);
  return success();
}
LogicalResult MaxPool2DBackwardOp::printKernel(llvm::raw_ostream &os,
                                               ArrayRef<std::string> operands,
                                               ArrayRef<std::string> results) {
  printPool2D(os, "maxPool2dBackward", getResult(), getKernel(), getStride(), getPadding(),
              operands, results[0]);
  return success();
}
LogicalResult AvgPool2DBackwardOp::printKernel(llvm::raw_ostream &os,
                                               ArrayRef<std::string> operands,
                                               ArrayRef<std::string> results) {
  printPool2D(os, "avgPool2dBackward", getResult(), getKernel(), getStride(), getPadding(),
              operands, results[0]);
  return success();
}
int64_t MaxPool2DOp::getFlops() {
  return countOf(getResult()) * std::max<int64_t>(product(getKernel()), 1);
}
int64_t AvgPool2DOp::getFlops() {
  return countOf(getResult()) * std::max<int64_t>(product(getKernel()), 1);
}
int64_t MaxPool2DBackwardOp::getFlops() { return countOf(getResult()); }
int64_t AvgPool2DBackwardOp::getFlops() { return countOf(getResult()); }

//===----------------------------------------------------------------------===//
// Normalization
//===----------------------------------------------------------------------===//

namespace {

/// `fn<T>(n, c, spatial, operands..., eps[, momentum], results...)` of a batch
/// norm over x [n, c] or [n, c, h, w].
void printBatchNorm(llvm::raw_ostream &os, StringRef fn, Value x, ArrayRef<std::string> operands,
                    double eps, std::optional<double> momentum,
                    ArrayRef<std::string> results) {
  ArrayRef<int64_t> s = shapeOf(x);
  int64_t spatial = s.size() == 4 ? s[2] * s[3] : 1;
  os << "  " << kRuntime << fn << "<" << typeOf(x) << ">(" << s[0] << ", " << s[1] << ", "
     << spatial;
  for (const std::string &operand : operands)
    os << ", " << operand;
  os << ", " << literalLike(x, eps);
  if (momentum)
    os << ", " << literalLike(x, *momentum);
  for (const std::string &result : results)
    os << ", " << result;
  os << ");\n";
}

/// `fn<T>(rows, d, operands..., eps, results...)` of a layer norm over the
/// last dimension of x.
void printLayerNorm(llvm::raw_ostream &os, StringRef fn, Value x, ArrayRef<std::string> operands,
                    double eps, ArrayRef<std::string> results) {
  ArrayRef<int64_t> s = shapeOf(x);
  int64_t d = s.empty() ? 1 : s.back();
  os << "  " << kRuntime << fn << "<" << typeOf(x) << ">(" << product(s) / d << ", " << d;
  for (const std::string &operand : operands)
    os << ", " << operand;
  os << ", " << literalLike(x, eps);
  for (const std::string &result : results)
    os << ", " << result;
  os << ");\n";
}

} // namespace

LogicalResult BatchNormTrainOp::printKernel(llvm::raw_ostream &os,
                                            ArrayRef<std::string> operands,
                                            ArrayRef<std::string> results) {
  printBatchNorm(os, "batchNormTrain", getX(), operands, getEps().convertToDouble(),
                 getMomentum().convertToDouble(), results);
  return success();
}
LogicalResult BatchNormEvalOp::printKernel(llvm::raw_ostream &os, ArrayRef<std::string> operands,
                                           ArrayRef<std::string> results) {
  printBatchNorm(os, "batchNormEval", getX(), operands, getEps().convertToDouble(), std::nullopt,
                 results);
  return success();
}
LogicalResult BatchNormBackwardOp::printKernel(llvm::raw_ostream &os,
                                               ArrayRef<std::string> operands,
                                               ArrayRef<std::string> results) {
  printBatchNorm(os, "batchNormBackward", getX(), operands, getEps().convertToDouble(),
                 std::nullopt, results);
  return success();
}
// sum, centered square, normalize, scale, shift
int64_t BatchNormTrainOp::getFlops() { return 7 * countOf(getX()); }
int64_t BatchNormEvalOp::getFlops() { return 4 * countOf(getX()); }
int64_t BatchNormBackwardOp::getFlops() { return 10 * countOf(getX()); }
bool BatchNormTrainOp::canLeadEpilogue() { return true; }
bool BatchNormEvalOp::canLeadEpilogue() { return true; }

LogicalResult LayerNormOp::printKernel(llvm::raw_ostream &os, ArrayRef<std::string> operands,
                                       ArrayRef<std::string> results) {
  printLayerNorm(os, "layerNorm", getX(), operands, getEps().convertToDouble(), results);
  return success();
}
LogicalResult LayerNormBackwardOp::printKernel(llvm::raw_ostream &os,
                                               ArrayRef<std::string> operands,
                                               ArrayRef<std::string> results) {
  printLayerNorm(os, "layerNormBackward", getX(), operands, getEps().convertToDouble(), results);
  return success();
}
int64_t LayerNormOp::getFlops() { return 7 * countOf(getX()); }
int64_t LayerNormBackwardOp::getFlops() { return 10 * countOf(getX()); }
bool LayerNormOp::canLeadEpilogue() { return true; }

//===----------------------------------------------------------------------===//
// Softmax, losses, metrics, embeddings, dropout
//===----------------------------------------------------------------------===//

LogicalResult SoftmaxOp::printKernel(llvm::raw_ostream &os, ArrayRef<std::string> operands,
                                     ArrayRef<std::string> results) {
  os << "  " << kRuntime << "softmax<" << typeOf(getX()) << ">("
     << axisSplit(shapeOf(getX()), getAxis()) << ", " << operands[0] << ", " << results[0]
     << ");\n";
  return success();
}
LogicalResult LogSoftmaxOp::printKernel(llvm::raw_ostream &os, ArrayRef<std::string> operands,
                                        ArrayRef<std::string> results) {
  os << "  " << kRuntime << "logSoftmax<" << typeOf(getX()) << ">("
     << axisSplit(shapeOf(getX()), getAxis()) << ", " << operands[0] << ", " << results[0]
     << ");\n";
  return success();
}
// max, subtract, exp, sum (+ divide)
int64_t SoftmaxOp::getFlops() { return 4 * countOf(getX()); }
int64_t LogSoftmaxOp::getFlops() { return 4 * countOf(getX()); }

LogicalResult SoftmaxCrossEntropyOp::printKernel(llvm::raw_ostream &os,
                                                 ArrayRef<std::string> operands,
                                                 ArrayRef<std::string> results) {
  ArrayRef<int64_t> x = shapeOf(getLogits());
  os << "  " << kRuntime << "softmaxCrossEntropy<" << typeOf(getLogits()) << ">(" << x[0]
     << ", " << x[1] << ", " << operands[0] << ", " << operands[1] << ", " << results[0]
     << cpp::ignoredLabel(getIgnoreIndex()) << ");\n";
  return success();
}
LogicalResult SoftmaxCrossEntropyBackwardOp::printKernel(llvm::raw_ostream &os,
                                                         ArrayRef<std::string> operands,
                                                         ArrayRef<std::string> results) {
  ArrayRef<int64_t> x = shapeOf(getLogits());
  os << "  " << kRuntime << "softmaxCrossEntropyBackward<" << typeOf(getLogits()) << ">("
     << x[0] << ", " << x[1] << ", " << operands[0] << ", " << operands[1] << ", "
     << operands[2] << "[0], " << results[0] << cpp::ignoredLabel(getIgnoreIndex()) << ");\n";
  return success();
}
int64_t SoftmaxCrossEntropyOp::getFlops() { return 4 * countOf(getLogits()); }
int64_t SoftmaxCrossEntropyBackwardOp::getFlops() { return 4 * countOf(getLogits()); }

LogicalResult ConfusionMatrixOp::printKernel(llvm::raw_ostream &os,
                                             ArrayRef<std::string> operands,
                                             ArrayRef<std::string> results) {
  os << "  " << kRuntime << "confusionMatrix(" << shapeOf(getPredictions())[0] << ", "
     << getNumClasses() << ", " << operands[0] << ", " << operands[1] << ", " << results[0]
     << ");\n";
  return success();
}
int64_t ConfusionMatrixOp::getFlops() { return 0; }

LogicalResult ScatterAddRowsOp::printKernel(llvm::raw_ostream &os,
                                            ArrayRef<std::string> operands,
                                            ArrayRef<std::string> results) {
  ArrayRef<int64_t> table = shapeOf(getResult());
  os << "  " << kRuntime << "scatterAddRows<" << typeOf(getResult()) << ">(" << table[0]
     << ", " << table[1] << ", " << operands[0] << ", " << countOf(getIds()) << ", "
     << operands[1] << ", " << results[0] << ");\n";
  return success();
}
int64_t ScatterAddRowsOp::getFlops() { return countOf(getIds()); }

LogicalResult DropoutOp::printKernel(llvm::raw_ostream &os, ArrayRef<std::string> operands,
                                     ArrayRef<std::string> results) {
  os << "  " << kRuntime << "dropout<" << typeOf(getX()) << ">(" << countOf(getX()) << ", "
     << operands[0] << ", static_cast<uint64_t>(" << operands[1] << "[0]), " << getStream()
     << ", " << literal(getP().convertToDouble(), FloatType::getF64(getContext())) << ", "
     << results[0] << ");\n";
  return success();
}
int64_t DropoutOp::getFlops() { return 2 * countOf(getX()); }

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

namespace {

/// `{ const gradc::rt::AttentionShape shape = makeAttentionShape(...);` of an
/// attention over q [B, Tq, C] and k [B, Tk, C].
void printAttentionShape(llvm::raw_ostream &os, Value q, Value k, int64_t heads, bool causal,
                         double scale) {
  ArrayRef<int64_t> qs = shapeOf(q);
  os << "  {\n    const gradc::rt::AttentionShape shape = " << kRuntime
     << "makeAttentionShape(" << qs[0] << ", " << qs[1] << ", " << shapeOf(k)[1] << ", "
     << qs[2] << ", " << heads << ", " << (causal ? "true" : "false") << ", "
     << literal(scale, FloatType::getF64(q.getContext())) << ");\n    ";
}

/// The (query, key) pairs an attention scores: all of them, or the lower
/// triangle with the diagonal when causal; times batch and heads.
int64_t scoredPairs(Value q, Value k, int64_t heads, bool causal) {
  ArrayRef<int64_t> qs = shapeOf(q);
  int64_t perHead = causal ? qs[1] * (qs[1] + 1) / 2 : qs[1] * shapeOf(k)[1];
  return qs[0] * heads * perHead;
}

} // namespace

LogicalResult AttentionOp::printKernel(llvm::raw_ostream &os, ArrayRef<std::string> operands,
                                       ArrayRef<std::string> results) {
  printAttentionShape(os, getQ(), getK(), getHeads(), getCausal(),
                      getScale().convertToDouble());
  os << kRuntime << "attention<" << typeOf(getQ()) << ">(shape, " << operands[0] << ", "
     << operands[1] << ", " << operands[2] << ", " << results[0] << ", " << results[1]
     << ");\n  }\n";
  return success();
}
// per scored pair: the score (2·D), its exponential and sum, and the mix (2·D)
int64_t AttentionOp::getFlops() {
  int64_t dim = shapeOf(getQ())[2] / getHeads();
  return scoredPairs(getQ(), getK(), getHeads(), getCausal()) * (4 * dim + 3);
}

LogicalResult AttentionBackwardOp::printKernel(llvm::raw_ostream &os,
                                               ArrayRef<std::string> operands,
                                               ArrayRef<std::string> results) {
  printAttentionShape(os, getQ(), getK(), getHeads(), getCausal(),
                      getScale().convertToDouble());
  os << kRuntime << "attentionBackward<" << typeOf(getQ()) << ">(shape";
  for (const std::string &operand : operands)
    os << ", " << operand;
  for (const std::string &result : results)
    os << ", " << result;
  os << ");\n  }\n";
  return success();
}
// per scored pair: the recomputed score and probability, dp = dy·v, and the
// three accumulations into dq, dk and dv (2·D each)
int64_t AttentionBackwardOp::getFlops() {
  int64_t dim = shapeOf(getQ())[2] / getHeads();
  return scoredPairs(getQ(), getK(), getHeads(), getCausal()) * (10 * dim + 4);
}

//===----------------------------------------------------------------------===//
// Recurrent layers
//===----------------------------------------------------------------------===//

namespace {

/// `  {\n    const gradc::rt::RecurrentShape shape = makeRecurrentShape(...);`
/// of a layer over x [B, T, in] with w_hh [gates·H, H]; then `kernel<T>(shape`,
/// every operand and result, and the closing brace.
void printRecurrentCall(llvm::raw_ostream &os, StringRef kernel, Value x, Value wHh,
                        ArrayRef<std::string> operands, ArrayRef<std::string> results) {
  ArrayRef<int64_t> xs = shapeOf(x);
  os << "  {\n    const gradc::rt::RecurrentShape shape = " << kRuntime
     << "makeRecurrentShape(" << xs[0] << ", " << xs[1] << ", " << xs[2] << ", "
     << shapeOf(wHh)[1] << ");\n    " << kRuntime << kernel << "<" << typeOf(x) << ">(shape";
  for (const std::string &operand : operands)
    os << ", " << operand;
  for (const std::string &result : results)
    os << ", " << result;
  os << ");\n  }\n";
}

/// Multiply-adds of a layer's products, counted twice: the inputs' over
/// every step and the hidden state's at every step but the first.
int64_t recurrentProductFlops(Value x, Value wHh) {
  ArrayRef<int64_t> xs = shapeOf(x), ws = shapeOf(wHh);
  return 2 * xs[0] * (xs[1] * xs[2] + (xs[1] - 1) * ws[1]) * ws[0];
}

} // namespace

LogicalResult LstmOp::printKernel(llvm::raw_ostream &os, ArrayRef<std::string> operands,
                                  ArrayRef<std::string> results) {
  printRecurrentCall(os, "lstm", getX(), getWHh(), operands, results);
  return success();
}
// the products, and per unit and step the gates' two additions, five
// sigmoids or tanhs (counted as one each) and the cell's four operations
int64_t LstmOp::getFlops() {
  return recurrentProductFlops(getX(), getWHh()) + countOf(getCells()) * 17;
}

LogicalResult LstmBackwardOp::printKernel(llvm::raw_ostream &os,
                                          ArrayRef<std::string> operands,
                                          ArrayRef<std::string> results) {
  printRecurrentCall(os, "lstmBackward", getX(), getWHh(), operands, results);
  return success();
}
// the gradients of the inputs, of both weights and of the hidden state
// (twice the forward's products), and about 20 operations per unit and step
int64_t LstmBackwardOp::getFlops() {
  return 2 * recurrentProductFlops(getX(), getWHh()) + countOf(getCells()) * 20;
}

LogicalResult GruOp::printKernel(llvm::raw_ostream &os, ArrayRef<std::string> operands,
                                 ArrayRef<std::string> results) {
  printRecurrentCall(os, "gru", getX(), getWHh(), operands, results);
  return success();
}
// the products, and per unit and step three sigmoids or tanhs and nine
// additions and products
int64_t GruOp::getFlops() {
  return recurrentProductFlops(getX(), getWHh()) + countOf(getResult()) * 12;
}

LogicalResult GruBackwardOp::printKernel(llvm::raw_ostream &os,
                                         ArrayRef<std::string> operands,
                                         ArrayRef<std::string> results) {
  printRecurrentCall(os, "gruBackward", getX(), getWHh(), operands, results);
  return success();
}
int64_t GruBackwardOp::getFlops() {
  return 2 * recurrentProductFlops(getX(), getWHh()) + countOf(getY()) * 18;
}
