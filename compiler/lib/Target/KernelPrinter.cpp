//===- KernelPrinter.cpp - one kern.kernel as C++ -------------------------===//

#include "KernelPrinter.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "gradc/Transforms/KernGraph.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/Format.h"

#include <cmath>

using namespace mlir;
using namespace gradc;
using namespace gradc::emit;

std::string gradc::emit::cType(Type element) {
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

std::string gradc::emit::identifier(StringRef name) {
  // C++ keywords and the names generated code relies on get a trailing '_'
  // (an input `new` becomes `new_`).
  static const llvm::StringSet<> reserved = {
      "alignas", "alignof", "and", "and_eq", "asm", "auto", "bitand", "bitor", "bool",
      "break", "case", "catch", "char", "char8_t", "char16_t", "char32_t", "class", "compl",
      "concept", "const", "consteval", "constexpr", "constinit", "const_cast", "continue",
      "co_await", "co_return", "co_yield", "decltype", "default", "delete", "do", "double",
      "dynamic_cast", "else", "enum", "explicit", "export", "extern", "false", "float", "for",
      "friend", "goto", "if", "inline", "int", "long", "mutable", "namespace", "new",
      "noexcept", "not", "not_eq", "nullptr", "operator", "or", "or_eq", "private",
      "protected", "public", "register", "reinterpret_cast", "requires", "return", "short",
      "signed", "sizeof", "static", "static_assert", "static_cast", "struct", "switch",
      "template", "this", "thread_local", "throw", "true", "try", "typedef", "typeid",
      "typename", "union", "unsigned", "using", "virtual", "void", "volatile", "wchar_t",
      "while", "xor", "xor_eq", "std", "gradc", "int32_t", "int64_t"};
  std::string id;
  for (char c : name)
    id += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  if (id.empty() || std::isdigit(static_cast<unsigned char>(id.front())))
    id = "v_" + id;
  if (reserved.contains(id))
    id += '_';
  return id;
}

namespace {

MemRefType typeOf(Value value) { return cast<MemRefType>(value.getType()); }

/// Fused loops over at least this many elements run on the kernels' threads.
constexpr int64_t kParallelElements = 1 << 16;

SmallVector<int64_t> stridesOf(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t i = static_cast<int64_t>(shape.size()) - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * shape[i + 1];
  return strides;
}

int64_t product(ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

/// A literal of element type `element`: 0.5f, 0.5, 3.
std::string literal(double value, Type element) {
  if (std::isnan(value))
    return element.isF32() ? "std::numeric_limits<float>::quiet_NaN()"
                           : "std::numeric_limits<double>::quiet_NaN()";
  if (std::isinf(value)) {
    std::string inf = "std::numeric_limits<" + cType(element) + ">::infinity()";
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

/// Index, in an operand of `shape` broadcast to `result`, of the element at
/// loop counters i0, i1, ... over `result`.
std::string broadcastIndex(ArrayRef<int64_t> shape, ArrayRef<int64_t> result) {
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

/// Opens one `for` per dimension of `shape`; returns the indentation inside.
std::string openLoops(llvm::raw_ostream &os, ArrayRef<int64_t> shape,
                      std::string indent = "  ") {
  for (size_t d = 0; d < shape.size(); ++d) {
    os << indent << "for (int64_t i" << d << " = 0; i" << d << " < " << shape[d]
       << "; ++i" << d << ")\n";
    indent += "  ";
  }
  return indent;
}

double floatParam(DictionaryAttr params, StringRef name, double fallback) {
  if (auto attr = params.getAs<FloatAttr>(name))
    return attr.getValueAsDouble();
  return fallback;
}

int64_t intParam(DictionaryAttr params, StringRef name, int64_t fallback = 0) {
  if (auto attr = params.getAs<IntegerAttr>(name))
    return attr.getInt();
  return fallback;
}

ArrayRef<int64_t> arrayParam(DictionaryAttr params, StringRef name) {
  if (auto attr = params.getAs<DenseI64ArrayAttr>(name))
    return attr.asArrayRef();
  return {};
}

/// The C++ expression of an elementwise op on operand expressions `a`.
std::string elementExpr(StringRef callee, DictionaryAttr params, ArrayRef<std::string> a,
                        Type element, Type operandElement) {
  std::string t = cType(element);
  auto c = [&](double v) { return literal(v, element); };
  if (callee == "nn.add")
    return a[0] + " + " + a[1];
  if (callee == "nn.sub")
    return a[0] + " - " + a[1];
  if (callee == "nn.mul")
    return a[0] + " * " + a[1];
  if (callee == "nn.div")
    return a[0] + " / " + a[1];
  if (callee == "nn.maximum" || callee == "nn.minimum") {
    // NaN propagates, as in PyTorch.
    std::string cmp = callee == "nn.maximum" ? " > " : " < ";
    return "(" + a[0] + cmp + a[1] + " || " + a[0] + " != " + a[0] + ") ? " + a[0] + " : " +
           a[1];
  }
  if (callee == "nn.pow")
    return "std::pow(" + a[0] + ", " + a[1] + ")";
  if (callee == "nn.compare") {
    static const char *ops[] = {" == ", " != ", " < ", " <= ", " > ", " >= "};
    return a[0] + ops[intParam(params, "predicate")] + a[1];
  }
  if (callee == "nn.select")
    return a[0] + " ? " + a[1] + " : " + a[2];
  if (callee == "nn.cast") {
    if (element.isInteger(1))
      return a[0] + " != " + literal(0, operandElement);
    return "static_cast<" + t + ">(" + a[0] + ")";
  }
  if (callee == "nn.neg")
    return "-" + a[0];
  if (callee == "nn.exp")
    return "std::exp(" + a[0] + ")";
  if (callee == "nn.log")
    return "std::log(" + a[0] + ")";
  if (callee == "nn.sqrt")
    return "std::sqrt(" + a[0] + ")";
  if (callee == "nn.rsqrt")
    return c(1) + " / std::sqrt(" + a[0] + ")";
  if (callee == "nn.abs")
    return "std::abs(" + a[0] + ")";
  if (callee == "nn.sign")
    return "static_cast<" + t + ">((" + a[0] + " > " + c(0) + ") - (" + a[0] + " < " + c(0) +
           "))";
  if (callee == "nn.square")
    return a[0] + " * " + a[0];
  if (callee == "nn.erf")
    return "std::erf(" + a[0] + ")";
  if (callee == "nn.relu")
    return a[0] + " > " + c(0) + " || " + a[0] + " != " + a[0] + " ? " + a[0] + " : " + c(0);
  if (callee == "nn.sigmoid")
    return c(1) + " / (" + c(1) + " + std::exp(-" + a[0] + "))";
  if (callee == "nn.tanh")
    return "std::tanh(" + a[0] + ")";
  if (callee == "nn.gelu")
    return c(0.5) + " * " + a[0] + " * (" + c(1) + " + std::erf(" + a[0] + " * " +
           c(M_SQRT1_2) + "))";
  if (callee == "nn.softplus")
    return "std::max(" + a[0] + ", " + c(0) + ") + std::log1p(std::exp(-std::abs(" + a[0] +
           ")))";
  if (callee == "nn.leaky_relu")
    return a[0] + " > " + c(0) + " ? " + a[0] + " : " +
           c(floatParam(params, "slope", 0.01)) + " * " + a[0];
  return "";
}

} // namespace

LogicalResult KernelPrinter::printElementwise(kern::KernelOp kernel) {
  Value out = kernel.getOuts().front();
  ArrayRef<int64_t> shape = typeOf(out).getShape();
  int64_t count = product(shape);
  Type element = typeOf(out).getElementType();
  Type operandElement = kernel.getIns().empty()
                            ? element
                            : typeOf(kernel.getIns().back()).getElementType();
  bool flat = llvm::all_of(kernel.getIns(), [&](Value in) {
    return typeOf(in).getShape() == shape || product(typeOf(in).getShape()) == 1;
  });
  SmallVector<std::string> operands;
  std::string indent;
  std::string outIndex;
  if (flat) {
    os << "  for (int64_t i = 0; i < " << count << "; ++i)\n";
    indent = "    ";
    outIndex = "i";
    for (Value in : kernel.getIns())
      operands.push_back(name(in) +
                         (typeOf(in).getShape() == shape && count != 1 ? "[i]" : "[0]"));
  } else {
    indent = openLoops(os, shape);
    outIndex = broadcastIndex(shape, shape);
    for (Value in : kernel.getIns())
      operands.push_back(name(in) + "[" + broadcastIndex(typeOf(in).getShape(), shape) +
                         "]");
  }
  std::string expr =
      elementExpr(kernel.getCallee(), kernel.getParams(), operands, element, operandElement);
  if (expr.empty())
    return kernel.emitError() << "no C++ form for '" << kernel.getCallee() << "'";
  os << indent << name(out) << "[" << outIndex << "] = " << expr << ";\n";
  return success();
}

LogicalResult KernelPrinter::printReduction(kern::KernelOp kernel) {
  Value in = kernel.getIns().front(), out = kernel.getOuts().front();
  ArrayRef<int64_t> shape = typeOf(in).getShape();
  ArrayRef<int64_t> axes = arrayParam(kernel.getParams(), "axes");
  Type element = typeOf(out).getElementType();
  StringRef callee = kernel.getCallee();
  int64_t outCount = product(typeOf(out).getShape());
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
  std::string x = name(in) + "[" + broadcastIndex(shape, shape) + "]";
  std::string y = name(out) + "[" + outIndex + "]";
  if (callee == "nn.reduce_max") {
    std::string lowest = isa<FloatType>(element)
                             ? "-std::numeric_limits<" + cType(element) + ">::infinity()"
                             : "std::numeric_limits<int32_t>::min()";
    os << "  for (int64_t i = 0; i < " << outCount << "; ++i)\n    " << name(out)
       << "[i] = " << lowest << ";\n";
    std::string indent = openLoops(os, shape);
    os << indent << "if (" << x << " > " << y << " || " << x << " != " << x << ") " << y
       << " = " << x << ";\n";
    return success();
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
    int64_t outer = 1, kept = 1, inner = 1;
    size_t r = 0;
    if (r < runs.size() && runs[r].first)
      outer = runs[r++].second;
    if (r < runs.size() && !runs[r].first)
      kept = runs[r++].second;
    if (r < runs.size() && runs[r].first)
      inner = runs[r++].second;
    if (r == runs.size()) {
      if (kept == 1 && inner == 1) // a whole tensor: lanes over all of it
        std::swap(outer, inner);
      int64_t divisor =
          callee == "nn.reduce_mean" ? product(shape) / std::max<int64_t>(outCount, 1) : 1;
      os << "  gradc::rt::reduceSum<" << cType(element) << ">(" << outer << ", " << kept
         << ", " << inner << ", " << name(in) << ", " << divisor << ".0, " << name(out)
         << ");\n";
      return success();
    }
  }
  // Other sums and means: each output element accumulates in a local over
  // the reduced dimensions, innermost; f32 in double, since a float running sum
  // over thousands of terms (a gradient's squared norm, a mean over a batch
  // of images) loses digits that PyTorch's pairwise sums keep.
  std::string accumulator = element.isF32() ? "double" : cType(element);
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
  std::string inner = indent + "  ";
  for (size_t d = 0; d < shape.size(); ++d) {
    if (!llvm::is_contained(axes, static_cast<int64_t>(d)))
      continue;
    os << inner << loop(d) << "\n";
    inner += "  ";
  }
  os << inner << "sum += " << x << ";\n";
  std::string total = "sum";
  if (callee == "nn.reduce_mean") {
    int64_t count = product(shape) / std::max<int64_t>(outCount, 1);
    total += " / " + std::to_string(count) + (isa<FloatType>(element) ? ".0" : "");
  }
  os << indent << "  " << y << " = static_cast<" << cType(element) << ">(" << total << ");\n"
     << indent << "}\n";
  return success();
}

LogicalResult KernelPrinter::printMatmul(kern::KernelOp kernel) {
  Value a = kernel.getIns()[0], b = kernel.getIns()[1], c = kernel.getOuts()[0];
  bool ta = static_cast<bool>(kernel.getParams().get("transpose_lhs"));
  bool tb = static_cast<bool>(kernel.getParams().get("transpose_rhs"));
  ArrayRef<int64_t> as = typeOf(a).getShape(), bs = typeOf(b).getShape(),
                    cs = typeOf(c).getShape();
  int64_t m = cs[cs.size() - 2], n = cs.back();
  int64_t k = ta ? as[as.size() - 2] : as.back();
  std::string t = cType(typeOf(c).getElementType());
  std::string flags = std::string(ta ? "true" : "false") + ", " + (tb ? "true" : "false");
  ArrayRef<int64_t> batch = cs.drop_back(2);
  if (batch.empty()) {
    os << "  gradc::rt::gemm<" << t << ">(" << flags << ", " << m << ", " << n << ", " << k
       << ", " << literal(1, typeOf(c).getElementType()) << ", " << name(a) << ", "
       << name(b) << ", " << literal(0, typeOf(c).getElementType()) << ", " << name(c)
       << ");\n";
    return success();
  }
  int64_t aMatrix = as[as.size() - 2] * as.back(), bMatrix = bs[bs.size() - 2] * bs.back();
  std::string indent = openLoops(os, batch);
  os << indent << "gradc::rt::gemm<" << t << ">(" << flags << ", " << m << ", " << n
     << ", " << k << ", " << literal(1, typeOf(c).getElementType()) << ", " << name(a)
     << " + (" << broadcastIndex(as.drop_back(2), batch) << ") * " << aMatrix << ", "
     << name(b) << " + (" << broadcastIndex(bs.drop_back(2), batch) << ") * " << bMatrix
     << ", " << literal(0, typeOf(c).getElementType()) << ", " << name(c) << " + ("
     << broadcastIndex(batch, batch) << ") * " << m * n << ");\n";
  return success();
}

LogicalResult KernelPrinter::printDataMovement(kern::KernelOp kernel) {
  StringRef callee = kernel.getCallee();
  Value out = kernel.getOuts().front();
  ArrayRef<int64_t> shape = typeOf(out).getShape();
  if (callee == "nn.transpose") {
    Value in = kernel.getIns().front();
    ArrayRef<int64_t> perm = arrayParam(kernel.getParams(), "permutation");
    SmallVector<int64_t> inStrides = stridesOf(typeOf(in).getShape());
    std::string index;
    for (size_t d = 0; d < perm.size(); ++d)
      index += (d ? " + i" : "i") + std::to_string(d) + " * " +
               std::to_string(inStrides[perm[d]]);
    std::string indent = openLoops(os, shape);
    os << indent << name(out) << "[" << broadcastIndex(shape, shape) << "] = " << name(in)
       << "[" << (index.empty() ? "0" : index) << "];\n";
    return success();
  }
  if (callee == "nn.broadcast_to") {
    Value in = kernel.getIns().front();
    std::string indent = openLoops(os, shape);
    os << indent << name(out) << "[" << broadcastIndex(shape, shape) << "] = " << name(in)
       << "[" << broadcastIndex(typeOf(in).getShape(), shape) << "];\n";
    return success();
  }
  if (callee == "nn.slice") {
    Value in = kernel.getIns().front();
    ArrayRef<int64_t> start = arrayParam(kernel.getParams(), "start");
    SmallVector<int64_t> inStrides = stridesOf(typeOf(in).getShape());
    std::string index;
    for (size_t d = 0; d < shape.size(); ++d)
      index += (d ? " + (i" : "(i") + std::to_string(d) + " + " + std::to_string(start[d]) +
               ") * " + std::to_string(inStrides[d]);
    std::string indent = openLoops(os, shape);
    os << indent << name(out) << "[" << broadcastIndex(shape, shape) << "] = " << name(in)
       << "[" << (index.empty() ? "0" : index) << "];\n";
    return success();
  }
  // nn.concat: each input into its window of the output.
  int64_t axis = intParam(kernel.getParams(), "axis");
  SmallVector<int64_t> outStrides = stridesOf(shape);
  int64_t offset = 0;
  for (Value in : kernel.getIns()) {
    ArrayRef<int64_t> inShape = typeOf(in).getShape();
    std::string index;
    for (size_t d = 0; d < inShape.size(); ++d) {
      std::string dim = "i" + std::to_string(d);
      if (static_cast<int64_t>(d) == axis && offset)
        dim = "(" + dim + " + " + std::to_string(offset) + ")";
      index += (d ? " + " : "") + dim + " * " + std::to_string(outStrides[d]);
    }
    std::string indent = openLoops(os, inShape);
    os << indent << name(out) << "[" << (index.empty() ? "0" : index) << "] = " << name(in)
       << "[" << broadcastIndex(inShape, inShape) << "];\n";
    offset += inShape[axis];
  }
  return success();
}

LogicalResult KernelPrinter::printConstant(kern::KernelOp kernel) {
  Value out = kernel.getOuts().front();
  Type element = typeOf(out).getElementType();
  auto value = kernel.getParams().getAs<DenseElementsAttr>("value");
  if (!value)
    return kernel.emitError() << "constant without a dense value";
  int64_t count = product(typeOf(out).getShape());
  auto numberAt = [&](int64_t i) -> double {
    if (isa<FloatType>(element))
      return value.isSplat() ? value.getSplatValue<APFloat>().convertToDouble()
                             : (value.getValues<APFloat>()[i]).convertToDouble();
    if (element.isInteger(1))
      return value.isSplat() ? value.getSplatValue<bool>() : value.getValues<bool>()[i];
    APInt v = value.isSplat() ? value.getSplatValue<APInt>() : value.getValues<APInt>()[i];
    return static_cast<double>(v.getSExtValue());
  };
  if (value.isSplat()) {
    if (count == 1)
      os << "  " << name(out) << "[0] = " << literal(numberAt(0), element) << ";\n";
    else
      os << "  std::fill_n(" << name(out) << ", " << count << ", "
         << literal(numberAt(0), element) << ");\n";
    return success();
  }
  os << "  {\n    static const " << cType(element) << " values[" << count << "] = {";
  for (int64_t i = 0; i < count; ++i)
    os << (i ? ", " : "") << literal(numberAt(i), element);
  os << "};\n    std::copy_n(values, " << count << ", " << name(out) << ");\n  }\n";
  return success();
}

LogicalResult KernelPrinter::printRuntimeCall(kern::KernelOp kernel) {
  StringRef callee = kernel.getCallee();
  DictionaryAttr params = kernel.getParams();
  auto ins = kernel.getIns();
  auto outs = kernel.getOuts();
  auto in = [&](unsigned i) { return name(ins[i]); };
  auto out = [&](unsigned i) { return name(outs[i]); };
  auto shape = [&](Value v) { return typeOf(v).getShape(); };
  Type element = typeOf(ins.empty() ? outs[0] : ins[0]).getElementType();
  std::string t = cType(element);
  std::string rt = "gradc::rt::";

  if (callee == "nn.linear") {
    ArrayRef<int64_t> x = shape(ins[0]), w = shape(ins[1]);
    os << "  " << rt << "linear<" << t << ">(" << x[0] << ", " << x[1] << ", " << w[0]
       << ", " << in(0) << ", " << in(1) << ", " << (ins.size() > 2 ? in(2) : "nullptr")
       << ", " << out(0) << ");\n";
    return success();
  }
  auto pair = [&](StringRef param) {
    ArrayRef<int64_t> values = arrayParam(params, param);
    return std::to_string(values[0]) + ", " + std::to_string(values[1]);
  };
  if (callee.starts_with("nn.conv2d")) {
    // Shapes of the forward convolution: x [n, c, h, w], weight [o, c, kh, kw].
    ArrayRef<int64_t> x, w;
    if (callee == "nn.conv2d") {
      x = shape(ins[0]);
      w = shape(ins[1]);
    } else if (callee == "nn.conv2d_backward_input") {
      x = shape(outs[0]);
      w = shape(ins[1]);
    } else {
      x = shape(ins[0]);
      w = shape(outs[0]);
    }
    os << "  {\n    const gradc::rt::Conv2DShape shape = " << rt << "makeConv2DShape(" << x[0]
       << ", " << x[1] << ", " << x[2] << ", " << x[3] << ", " << w[0] << ", " << w[2]
       << ", " << w[3] << ", " << pair("stride") << ", " << pair("padding") << ");\n    ";
    if (callee == "nn.conv2d")
      os << rt << "conv2d<" << t << ">(shape, " << in(0) << ", " << in(1) << ", "
         << (ins.size() > 2 ? in(2) : "nullptr") << ", " << out(0) << ");\n  }\n";
    else if (callee == "nn.conv2d_backward_input")
      os << rt << "conv2dBackwardInput<" << t << ">(shape, " << in(0) << ", " << in(1) << ", "
         << out(0) << ");\n  }\n";
    else
      os << rt << "conv2dBackwardFilter<" << t << ">(shape, " << in(0) << ", " << in(1)
         << ", " << out(0) << ");\n  }\n";
    return success();
  }
  if (callee.contains("pool2d")) {
    bool backward = callee.ends_with("_backward");
    bool isMax = callee.starts_with("nn.max");
    ArrayRef<int64_t> x = backward ? shape(outs[0]) : shape(ins[0]);
    os << "  {\n    const gradc::rt::Pool2DShape shape = " << rt << "makePool2DShape(" << x[0]
       << ", " << x[1] << ", " << x[2] << ", " << x[3] << ", " << pair("kernel") << ", "
       << pair("stride") << ", " << pair("padding") << ");\n    " << rt
       << (isMax ? "maxPool2d" : "avgPool2d") << (backward ? "Backward" : "") << "<" << t
       << ">(shape";
    for (Value v : ins)
      os << ", " << name(v);
    os << ", " << out(0) << ");\n  }\n";
    return success();
  }
  if (callee.starts_with("nn.batch_norm")) {
    ArrayRef<int64_t> x = shape(ins[0]);
    int64_t spatial = x.size() == 4 ? x[2] * x[3] : 1;
    std::string eps = literal(floatParam(params, "eps", 1e-5), element);
    StringRef fn = callee == "nn.batch_norm_train"  ? "batchNormTrain"
                   : callee == "nn.batch_norm_eval" ? "batchNormEval"
                                                    : "batchNormBackward";
    os << "  " << rt << fn << "<" << t << ">(" << x[0] << ", " << x[1] << ", " << spatial;
    for (Value v : ins)
      os << ", " << name(v);
    os << ", " << eps;
    if (callee == "nn.batch_norm_train")
      os << ", " << literal(floatParam(params, "momentum", 0.1), element);
    for (Value v : outs)
      os << ", " << name(v);
    os << ");\n";
    return success();
  }
  if (callee.starts_with("nn.layer_norm")) {
    ArrayRef<int64_t> x = shape(ins[0]);
    int64_t d = x.empty() ? 1 : x.back();
    os << "  " << rt << (callee == "nn.layer_norm" ? "layerNorm" : "layerNormBackward") << "<"
       << t << ">(" << product(x) / d << ", " << d;
    for (Value v : ins)
      os << ", " << name(v);
    os << ", " << literal(floatParam(params, "eps", 1e-5), element);
    for (Value v : outs)
      os << ", " << name(v);
    os << ");\n";
    return success();
  }
  auto axisSplit = [&](ArrayRef<int64_t> x, int64_t axis) {
    return std::to_string(product(x.take_front(axis))) + ", " + std::to_string(x[axis]) +
           ", " + std::to_string(product(x.drop_front(axis + 1)));
  };
  if (callee == "nn.softmax" || callee == "nn.log_softmax") {
    os << "  " << rt << (callee == "nn.softmax" ? "softmax" : "logSoftmax") << "<" << t << ">("
       << axisSplit(shape(ins[0]), intParam(params, "axis")) << ", " << in(0) << ", "
       << out(0) << ");\n";
    return success();
  }
  if (callee == "nn.softmax_cross_entropy") {
    ArrayRef<int64_t> x = shape(ins[0]);
    os << "  " << rt << "softmaxCrossEntropy<" << t << ">(" << x[0] << ", " << x[1] << ", "
       << in(0) << ", " << in(1) << ", " << out(0) << ");\n";
    return success();
  }
  if (callee == "nn.softmax_cross_entropy_backward") {
    ArrayRef<int64_t> x = shape(ins[0]);
    os << "  " << rt << "softmaxCrossEntropyBackward<" << t << ">(" << x[0] << ", " << x[1]
       << ", " << in(0) << ", " << in(1) << ", " << in(2) << "[0], " << out(0) << ");\n";
    return success();
  }
  if (callee == "nn.argmax") {
    os << "  " << rt << "argmax<" << t << ">("
       << axisSplit(shape(ins[0]), intParam(params, "axis")) << ", " << in(0) << ", "
       << out(0) << ");\n";
    return success();
  }
  if (callee == "nn.confusion_matrix") {
    os << "  " << rt << "confusionMatrix(" << shape(ins[0])[0] << ", "
       << intParam(params, "num_classes") << ", " << in(0) << ", " << in(1) << ", " << out(0)
       << ");\n";
    return success();
  }
  if (callee == "nn.gather_rows") {
    ArrayRef<int64_t> table = shape(ins[0]);
    os << "  " << rt << "gatherRows<" << t << ">(" << table[0] << ", " << table[1] << ", "
       << in(0) << ", " << in(1) << ", " << product(shape(ins[1])) << ", " << out(0)
       << ");\n";
    return success();
  }
  if (callee == "nn.scatter_add_rows") {
    ArrayRef<int64_t> table = shape(outs[0]);
    std::string tt = cType(typeOf(outs[0]).getElementType());
    os << "  " << rt << "scatterAddRows<" << tt << ">(" << table[0] << ", " << table[1]
       << ", " << in(0) << ", " << product(shape(ins[0])) << ", " << in(1) << ", " << out(0)
       << ");\n";
    return success();
  }
  if (callee == "nn.dropout") {
    os << "  " << rt << "dropout<" << t << ">(" << product(shape(ins[0])) << ", " << in(0)
       << ", static_cast<uint64_t>(" << in(1) << "[0]), " << intParam(params, "stream")
       << ", " << literal(floatParam(params, "p", 0.5), FloatType::getF64(element.getContext()))
       << ", " << out(0) << ");\n";
    return success();
  }
  return kernel.emitError() << "the C++ emitter has no kernel for '" << callee << "'";
}

LogicalResult KernelPrinter::print(kern::KernelOp kernel) {
  StringRef callee = kernel.getCallee();
  if (kernel.isElementwise())
    return printElementwise(kernel);
  if (callee == "nn.reduce_sum" || callee == "nn.reduce_mean" || callee == "nn.reduce_max")
    return printReduction(kernel);
  if (callee == "nn.matmul")
    return printMatmul(kernel);
  if (callee == "nn.transpose" || callee == "nn.broadcast_to" || callee == "nn.slice" ||
      callee == "nn.concat")
    return printDataMovement(kernel);
  if (callee == "nn.constant")
    return printConstant(kernel);
  return printRuntimeCall(kernel);
}

void KernelPrinter::printCopy(kern::CopyOp copy) {
  MemRefType type = typeOf(copy.getSource());
  os << "  std::copy_n(" << name(copy.getSource()) << ", " << product(type.getShape())
     << ", " << name(copy.getTarget()) << ");\n";
}

LogicalResult KernelPrinter::printFused(kern::FusedOp fused) {
  ArrayRef<int64_t> shape = fused.getShape();
  int64_t count = product(shape);
  llvm::DenseMap<Value, std::string> locals;
  llvm::StringSet<> used;
  for (const auto &entry : names)
    used.insert(entry.second);
  auto localName = [&](StringRef base) {
    std::string id = identifier(base);
    for (int n = 0; used.contains(id); ++n)
      id = identifier(base) + "_" + std::to_string(n);
    used.insert(id);
    return id;
  };
  SmallVector<kern::KernelOp> loop;
  std::string constants;
  bool producerDone = fused.getKind() != "epilogue";
  kern::KernelOp tiled;
  int64_t tileRows = 0;
  for (kern::KernelOp kernel : fused.getKernels()) {
    if (kernel.getCallee() == "nn.constant") {
      Value out = kernel.getOuts().front();
      Type element = typeOf(out).getElementType();
      auto value = kernel.getParams().getAs<DenseElementsAttr>("value");
      double number = 0;
      if (isa<FloatType>(element))
        number = value.getSplatValue<APFloat>().convertToDouble();
      else if (element.isInteger(1))
        number = value.getSplatValue<bool>();
      else
        number = static_cast<double>(value.getSplatValue<APInt>().getSExtValue());
      std::string id = localName("k");
      locals[out] = id;
      constants += "    const " + cType(element) + " " + id + " = " + literal(number, element) +
                   ";\n";
      continue;
    }
    if (!producerDone) {
      producerDone = true;
      // A tiled product (gradc-fuse-epilogues) runs inside the tile loop.
      auto alloc = kernel.getOuts().front().getDefiningOp<kern::AllocOp>();
      if (auto rows = alloc ? alloc->getAttrOfType<IntegerAttr>(kTileRowsAttrName)
                            : IntegerAttr()) {
        tiled = kernel;
        tileRows = rows.getInt();
        continue;
      }
      if (failed(print(kernel)))
        return failure();
      continue;
    }
    loop.push_back(kernel);
  }
  Value tile = tiled ? tiled.getOuts().front() : Value();
  std::string tileBase = tiled ? localName("tile_base") : "";
  bool flat = true;
  for (kern::KernelOp kernel : loop)
    for (Value in : kernel.getIns())
      if (!locals.count(in) && !fused.isLocal(in) && typeOf(in).getShape() != shape &&
          product(typeOf(in).getShape()) != 1)
        flat = false;
  // One scope per group: its constants, the scalars it reads (hoisted), one
  // __restrict pointer per buffer it touches (buffers the loop touches are
  // distinct: arguments, or temporaries the plan keeps apart while live),
  // then the loop.
  llvm::DenseSet<Value> writtenRoots;
  for (kern::KernelOp kernel : loop)
    for (Value out : kernel.getOuts())
      if (!fused.isLocal(out))
        writtenRoots.insert(rootBuffer(out));
  std::string prologue;
  llvm::DenseMap<Value, std::string> pointers, scalars;
  auto pointerTo = [&](Value buffer) -> const std::string & {
    Value root = rootBuffer(buffer);
    std::string &id = pointers[root];
    if (id.empty()) {
      id = localName(name(root) + "_p");
      bool written = writtenRoots.contains(root);
      prologue += "    " + std::string(written ? "" : "const ") +
                  cType(typeOf(root).getElementType()) + " *__restrict " + id + " = " +
                  name(root) + ";\n";
    }
    return id;
  };
  auto index = [&](Value buffer) -> std::string {
    ArrayRef<int64_t> own = typeOf(buffer).getShape();
    if (product(own) == 1)
      return "0";
    if (tile && rootBuffer(buffer) == tile)
      return "i - " + tileBase;
    if (flat)
      return "i";
    return broadcastIndex(own, shape);
  };
  auto read = [&](Value in) -> std::string {
    auto local = locals.find(in);
    if (local != locals.end())
      return local->second;
    if (product(typeOf(in).getShape()) == 1 && !writtenRoots.contains(rootBuffer(in))) {
      std::string &id = scalars[in];
      if (id.empty()) {
        id = localName(name(in) + "_s");
        prologue += "    const " + cType(typeOf(in).getElementType()) + " " + id + " = " +
                    name(in) + "[0];\n";
      }
      return id;
    }
    return pointerTo(in) + "[" + index(in) + "]";
  };
  std::string body;
  llvm::raw_string_ostream bodyOs(body);
  for (kern::KernelOp kernel : loop) {
    Value out = kernel.getOuts().front();
    Type element = typeOf(out).getElementType();
    Type operandElement =
        kernel.getIns().empty() ? element : typeOf(kernel.getIns().back()).getElementType();
    SmallVector<std::string> operands;
    for (Value in : kernel.getIns())
      operands.push_back(read(in));
    std::string expr =
        elementExpr(kernel.getCallee(), kernel.getParams(), operands, element, operandElement);
    if (expr.empty())
      return kernel.emitError() << "no C++ form for '" << kernel.getCallee() << "'";
    if (fused.isLocal(out)) {
      std::string id = localName(kernel.getCallee().drop_front(3).str() + "_v");
      locals[out] = id;
      bodyOs << "const " << cType(element) << " " << id << " = " << expr << ";\n";
    } else {
      bodyOs << pointerTo(out) << "[" << index(out) << "] = " << expr << ";\n";
    }
  }
  os << "  {\n" << constants << prologue;
  std::string indent = "    ";
  auto printBody = [&](const std::string &inner) {
    SmallVector<StringRef> lines;
    StringRef(body).rtrim('\n').split(lines, '\n');
    for (StringRef line : lines)
      os << inner << line << "\n";
  };
  if (tiled) {
    // The product a block of rows at a time into a buffer of that many rows,
    // each block's epilogue right after it.
    if (!flat || shape.size() != 2)
      return tiled.emitError() << "a tiled product needs a flat 2-D epilogue";
    Value a = tiled.getIns()[0], b = tiled.getIns()[1];
    bool ta = static_cast<bool>(tiled.getParams().get("transpose_lhs"));
    bool tb = static_cast<bool>(tiled.getParams().get("transpose_rhs"));
    ArrayRef<int64_t> as = typeOf(a).getShape();
    int64_t m = shape[0], n = shape[1], k = ta ? as[as.size() - 2] : as.back();
    Type element = typeOf(tile).getElementType();
    std::string row = localName("tile_row"), rows = localName("tile_rows");
    os << indent << "for (int64_t " << row << " = 0; " << row << " < " << m << "; " << row
       << " += " << tileRows << ") {\n";
    indent += "  ";
    os << indent << "const int64_t " << rows << " = std::min<int64_t>(" << tileRows << ", "
       << m << " - " << row << ");\n";
    os << indent << "gradc::rt::gemmRows<" << cType(element) << ">(" << (ta ? "true" : "false")
       << ", " << (tb ? "true" : "false") << ", " << m << ", " << n << ", " << k << ", " << row
       << ", " << rows << ", " << literal(1, element) << ", " << name(a) << ", " << name(b)
       << ", " << literal(0, element) << ", " << name(tile) << ");\n";
    os << indent << "const int64_t " << tileBase << " = " << row << " * " << n << ";\n";
    if (tileRows * n >= kParallelElements)
      os << indent
         << "#pragma omp parallel for schedule(static) num_threads(gradc::rt::threads())\n";
    os << indent << "for (int64_t i = " << tileBase << "; i < " << tileBase << " + " << rows
       << " * " << n << "; ++i) {\n";
    printBody(indent + "  ");
    os << indent << "}\n    }\n  }\n";
    return success();
  }
  // Large loops run on the kernels' threads; each element is computed alone,
  // so the result does not depend on how many.
  bool parallel = count >= kParallelElements && !shape.empty() && shape.front() > 1;
  if (parallel)
    os << indent << "#pragma omp parallel for schedule(static) num_threads(gradc::rt::threads())\n";
  if (shape.empty() || count == 1) {
    os << indent << "{\n";
  } else if (flat) {
    os << indent << "for (int64_t i = 0; i < " << count << "; ++i) {\n";
  } else {
    for (size_t d = 0; d < shape.size(); ++d) {
      os << indent << "for (int64_t i" << d << " = 0; i" << d << " < " << shape[d] << "; ++i"
         << d << ")" << (d + 1 == shape.size() ? " {" : "") << "\n";
      if (d + 1 < shape.size())
        indent += "  ";
    }
  }
  printBody(indent + "  ");
  os << indent << "}\n  }\n";
  return success();
}

void KernelPrinter::printSoftmaxCrossEntropy(kern::SoftmaxCrossEntropyOp op) {
  ArrayRef<int64_t> x = typeOf(op.getLogits()).getShape();
  std::string t = cType(typeOf(op.getLogits()).getElementType());
  os << "  gradc::rt::softmaxCrossEntropyWithGrad<" << t << ">(" << x[0] << ", " << x[1]
     << ", " << name(op.getLogits()) << ", " << name(op.getLabels()) << ", "
     << name(op.getDloss()) << "[0], " << name(op.getLoss()) << ", " << name(op.getDlogits())
     << ");\n";
}
