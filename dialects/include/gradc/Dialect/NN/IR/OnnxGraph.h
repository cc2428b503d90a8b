//===- OnnxGraph.h - what an nn op writes into an ONNX graph ---*- C++ -*-===//
//
// The builder an op's OnnxExportOpInterface writes its ONNX nodes into
// (`PROGRAM --export-onnx`, docs/onnx.md). It is independent of the ONNX
// library: the compiler's exporter (gradc/Target/OnnxExport.h) implements it
// over onnx::ModelProto, and checks the graph it builds.
//
//===----------------------------------------------------------------------===//

#ifndef GRADC_DIALECT_NN_IR_ONNXGRAPH_H
#define GRADC_DIALECT_NN_IR_ONNXGRAPH_H

#include "mlir/IR/BuiltinAttributeInterfaces.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace gradc::nn {

/// One attribute of an ONNX node.
struct OnnxAttribute {
  enum class Kind { Int, Float, Ints, String };
  std::string name;
  Kind kind = Kind::Int;
  int64_t i = 0;
  double f = 0.0;
  std::vector<int64_t> ints;
  std::string s;

  static OnnxAttribute integer(llvm::StringRef name, int64_t value) {
    OnnxAttribute a;
    a.name = name.str();
    a.i = value;
    return a;
  }
  static OnnxAttribute floating(llvm::StringRef name, double value) {
    OnnxAttribute a;
    a.name = name.str();
    a.kind = Kind::Float;
    a.f = value;
    return a;
  }
  static OnnxAttribute integers(llvm::StringRef name, llvm::ArrayRef<int64_t> values) {
    OnnxAttribute a;
    a.name = name.str();
    a.kind = Kind::Ints;
    a.ints.assign(values.begin(), values.end());
    return a;
  }
  static OnnxAttribute string(llvm::StringRef name, llvm::StringRef value) {
    OnnxAttribute a;
    a.name = name.str();
    a.kind = Kind::String;
    a.s = value.str();
    return a;
  }
};

/// The graph of one entry point being written as ONNX (opset 17). Values
/// are named: the entry point's inputs by the model's input names, its
/// parameters and buffers as initializers of their weight names, and every
/// op result by `resultName`.
///
/// The graph takes any batch: the leading dimension of its inputs and
/// output is symbolic. An op writing a shape states how it follows the
/// batch (Reshape's -1, Expand's 1) where it can, from `followsBatch`;
/// where it cannot, it calls `fixBatch` and the graph takes only the batch
/// the program was compiled for.
class OnnxGraphBuilder {
public:
  virtual ~OnnxGraphBuilder();

  /// The name of `value` in the graph: an input, an initializer, or the
  /// output of an earlier node.
  virtual std::string nameOf(mlir::Value value) = 0;
  /// The name of `result`, which the op defines with one of its nodes.
  virtual std::string resultName(mlir::Value result) = 0;
  /// Names `result` by an existing name (a constant's initializer, an op
  /// that changes nothing).
  virtual void setName(mlir::Value result, std::string name) = 0;
  /// A new name for a value the nodes of one op pass between them.
  virtual std::string tempName(llvm::StringRef hint) = 0;

  /// Appends a node of the default domain.
  virtual void addNode(llvm::StringRef opType, llvm::ArrayRef<std::string> inputs,
                       llvm::ArrayRef<std::string> outputs,
                       llvm::ArrayRef<OnnxAttribute> attributes = {}) = 0;

  /// An initializer holding `value`, a constant of the graph.
  virtual std::string constant(mlir::ElementsAttr value) = 0;
  /// A 1-D int64 initializer (shapes, axes, starts).
  virtual std::string int64s(llvm::ArrayRef<int64_t> values) = 0;
  /// A rank-0 initializer of the float or integer type `element`.
  virtual std::string scalar(mlir::Type element, double value) = 0;

  /// The extent of the entry point's batch dimension.
  virtual int64_t batch() const = 0;
  /// Which dimensions of `value` change with the batch (the model compiled
  /// for another batch has other extents there); std::nullopt when that is
  /// not known, and the op must call fixBatch for any shape it writes that
  /// could.
  virtual std::optional<llvm::SmallVector<bool>> followsBatch(mlir::Value value) = 0;
  /// Makes the graph's batch dimension the fixed `batch()`, for a shape
  /// that cannot follow another batch.
  virtual void fixBatch() = 0;
};

} // namespace gradc::nn

#endif // GRADC_DIALECT_NN_IR_ONNXGRAPH_H
