//===- KernelPrinter.cpp - one kern.kernel as C++ -------------------------===//

#include "KernelPrinter.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Matchers.h"
#include "gradc/Dialect/NN/IR/CppKernels.h"
#include "gradc/Dialect/NN/IR/NNOps.h"
#include "gradc/Dialect/Kern/Analysis/KernGraph.h"
#include "gradc/Transforms/SourceLines.h"
#include "llvm/ADT/StringSet.h"

#include <cmath>

using namespace mlir;
using namespace gradc;
using namespace gradc::emit;

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

using cpp::broadcastIndex;
using cpp::literal;
using cpp::openLoops;
using cpp::product;

namespace {

MemRefType typeOf(Value value) { return cast<MemRefType>(value.getType()); }

/// Fused loops over at least this many elements run on the kernels' threads.
constexpr int64_t kParallelElements = 1 << 16;

/// The C++ expression of an elementwise kernel's element.
std::string elementExpr(kern::KernelOp kernel, ArrayRef<std::string> operands) {
  return cast<nn::ElementwiseOpInterface>(kernel.getPayload()).getCppExpression(operands);
}

} // namespace

LogicalResult KernelPrinter::printElementwise(kern::KernelOp kernel) {
  Value out = kernel.getOuts().front();
  ArrayRef<int64_t> shape = typeOf(out).getShape();
  int64_t count = product(shape);
  bool flat = llvm::all_of(kernel.getIns(), [&](Value in) {
    return typeOf(in).getShape() == shape || product(typeOf(in).getShape()) == 1;
  });
  SmallVector<std::string> operands;
  std::string indent;
  std::string outIndex;
  // As a fused loop: large ones on the kernels' threads, each element alone.
  if (count >= kParallelElements && !shape.empty() && shape.front() > 1)
    os << "  #pragma omp parallel for schedule(static) num_threads(gradc::rt::threads())\n";
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
  std::string expr = elementExpr(kernel, operands);
  os << indent << name(out) << "[" << outIndex << "] = " << expr << ";\n";
  return success();
}

LogicalResult KernelPrinter::print(kern::KernelOp kernel) {
  if (kernel.isElementwise())
    return printElementwise(kernel);
  SmallVector<std::string> ins, outs;
  for (Value in : kernel.getIns())
    ins.push_back(name(in));
  for (Value out : kernel.getOuts())
    outs.push_back(name(out));
  return cast<nn::KernelOpInterface>(kernel.getPayload()).printKernel(os, ins, outs);
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
    if (kernel.isConstant()) {
      Value out = kernel.getOuts().front();
      Type element = typeOf(out).getElementType();
      Attribute constant;
      matchPattern(kernel.getPayload(), m_Constant(&constant));
      auto value = cast<DenseElementsAttr>(constant);
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
    SmallVector<std::string> operands;
    for (Value in : kernel.getIns())
      operands.push_back(read(in));
    std::string expr = elementExpr(kernel, operands);
    if (fused.isLocal(out)) {
      std::string id = localName(kernel.getPayloadName().str() + "_v");
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
    int64_t m = shape[0], n = shape[1];
    std::string row = localName("tile_row"), rows = localName("tile_rows");
    os << indent << "for (int64_t " << row << " = 0; " << row << " < " << m << "; " << row
       << " += " << tileRows << ") {\n";
    indent += "  ";
    os << indent << "const int64_t " << rows << " = std::min<int64_t>(" << tileRows << ", "
       << m << " - " << row << ");\n";
    SmallVector<std::string> ins;
    for (Value in : tiled.getIns())
      ins.push_back(name(in));
    os << indent;
    if (failed(cast<nn::KernelOpInterface>(tiled.getPayload())
                   .printRowBlock(os, ins, name(tile), row, rows)))
      return failure();
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
    os << indent << "for (int64_t i = 0; i < "
       << (loopCount.empty() ? std::to_string(count) : loopCount) << "; ++i) {\n";
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
     << cpp::ignoredLabel(op.getIgnoreIndex()) << ");\n";
}
