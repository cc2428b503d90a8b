//===- OnnxExport.h - the predict entry point as an ONNX graph --*- C++ -*-===//
//
// What `PROGRAM --export-onnx OUT.onnx` writes (docs/onnx.md): the model's
// @predict entry point at the nn level as an ONNX inference graph (opset 17),
// built here with ONNX's library and checked by its checker, then split so
// that the program adds the weights it holds when it writes the file.
//
//===----------------------------------------------------------------------===//

#ifndef GRADC_TARGET_ONNXEXPORT_H
#define GRADC_TARGET_ONNXEXPORT_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/SourceMgr.h"

#include <string>
#include <vector>

namespace gradc {

struct OnnxExport {
  /// Why the model has no ONNX form, naming the op and its model line;
  /// empty when it has one.
  std::string unsupported;
  /// The serialized ModelProto without its graph (field 7), and the
  /// serialized GraphProto without the initializers of `initializers`.
  std::string model, graph;
  /// The model's buffers (parameters, running statistics) the graph reads,
  /// by name: the program appends each as an initializer of that name with
  /// the values it holds.
  std::vector<std::string> initializers;
};

/// The ONNX form of `module`'s @predict function (entry points at the nn
/// level, `gradc --emit=train`); `sourceMgr` gives the model lines of the
/// ops it cannot write. `atOtherBatch`, the same model compiled for another
/// batch to the same stage (or null), tells which dimensions follow the
/// batch, so that the graph takes any batch: where its predict has other
/// ops than `module`'s, or there is none, shapes that may hold the batch
/// keep the compiled one.
OnnxExport exportOnnx(mlir::ModuleOp module, const llvm::SourceMgr *sourceMgr = nullptr,
                      mlir::ModuleOp atOtherBatch = {});

} // namespace gradc

#endif // GRADC_TARGET_ONNXEXPORT_H
