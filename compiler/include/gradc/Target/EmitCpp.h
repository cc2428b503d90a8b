//===- EmitCpp.h - kern-level modules to a C++ model class -----*- C++ -*-===//

#ifndef GRADC_TARGET_EMITCPP_H
#define GRADC_TARGET_EMITCPP_H

#include "gradc/Target/OnnxExport.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <string>

namespace gradc {

struct EmittedModel {
  std::string className; ///< FashionMLP
  std::string fileStem;  ///< fashion_mlp: the files are <stem>.h and <stem>.cpp
  std::string header;
  std::string source;
  /// A main() that trains with the runtime's trainer.
  std::string mainSource;
  /// The initial values of the parameters that start from stored data (an
  /// imported graph's initializers), which the source builds into the program
  /// from <stem>.init.bin with the assembler's .incbin (compile it with
  /// -Wa,-I,DIR, DIR the folder of that file); empty when none does.
  std::string initialValues;
};

/// Prints the model class of a module lowered by gradc-lower-to-kern (entry
/// points train_step, eval_step, eval_one, predict, predict_one; `nn.model`
/// and `nn.train` module attributes). `sourceName` is the model file's name,
/// quoted in comments; the comment above each kernel quotes its model line
/// from `sourceMgr` (the buffers the model was parsed from; a file it does
/// not hold is read from disk). `onnx`, when given, is the ONNX form of
/// predict (exportOnnx before the lowering) that the program's --export-onnx
/// writes. Errors are reported on the module's context.
mlir::FailureOr<EmittedModel> emitCpp(mlir::ModuleOp module, llvm::StringRef sourceName,
                                      const llvm::SourceMgr *sourceMgr = nullptr,
                                      const OnnxExport *onnx = nullptr);

/// `FashionMLP` -> `fashion_mlp`.
std::string snakeCase(llvm::StringRef name);

} // namespace gradc

#endif // GRADC_TARGET_EMITCPP_H
