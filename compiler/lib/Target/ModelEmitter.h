//===- ModelEmitter.h - the C++ emitter's model, shared by its parts -*- C++ -*-===//
//
// Internal to the C++ emitter. One ModelEmitter prints one model; its work is
// split by what it prints:
//   EmitCpp.cpp      the class: what it owns (collect), its header, the
//                    gradc::rt::Model glue, main.cpp;
//   EntryPoints.cpp  each entry point's body: temporaries, then every kernel
//                    as its op states it (KernelPrinter) under a comment
//                    naming its model line, with --check-numerics guards;
//   ModelInfo.cpp    ModelInfo (data, metrics, train settings), the
//                    fingerprint, and the named sizes of the typed API.
//
//===----------------------------------------------------------------------===//

#ifndef GRADC_LIB_TARGET_MODELEMITTER_H
#define GRADC_LIB_TARGET_MODELEMITTER_H

#include "KernelPrinter.h"
#include "gradc/Target/EmitCpp.h"

#include "gradc/Dialect/Kern/IR/KernOps.h"
#include "gradc/Dialect/NN/IR/NNDialect.h"
#include "gradc/Dialect/Kern/Analysis/KernGraph.h"
#include "gradc/Transforms/SourceLines.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"

#include <map>
#include <string>
#include <vector>

namespace gradc::emit {

using mlir::ArrayRef;
using nn::Role;
using mlir::StringAttr;
using mlir::MemRefType;
using mlir::StringRef;
using mlir::Type;

inline constexpr int64_t kAlign = 64;

inline int64_t alignUp(int64_t bytes) { return (bytes + kAlign - 1) / kAlign * kAlign; }

inline int64_t byteSize(MemRefType type) {
  Type element = type.getElementType();
  int64_t width = element.isInteger(1) ? 1 : (element.getIntOrFloatBitWidth() + 7) / 8;
  return type.getNumElements() * width;
}

inline std::string dtypeOf(Type element) {
  if (element.isF32())
    return "gradc::rt::DType::F32";
  if (element.isF64())
    return "gradc::rt::DType::F64";
  if (element.isInteger(64))
    return "gradc::rt::DType::I64";
  return "gradc::rt::DType::I32";
}

inline std::string shapeList(ArrayRef<int64_t> shape) {
  std::string text = "{";
  for (auto [i, d] : llvm::enumerate(shape))
    text += (i ? ", " : "") + std::to_string(d);
  return text + "}";
}

/// The shape of one sample: every axis but the batch (none for a scalar).
inline ArrayRef<int64_t> sampleShape(MemRefType type) {
  ArrayRef<int64_t> shape = type.getShape();
  return shape.empty() ? shape : shape.drop_front();
}

inline std::string quoted(StringRef text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    if (c == '"' || c == '\\')
      out += '\\';
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      // Other control characters as three octal digits, which no following
      // digit can extend.
      out += {'\\', static_cast<char>('0' + (byte >> 6)), static_cast<char>('0' + ((byte >> 3) & 7)),
              static_cast<char>('0' + (byte & 7))};
      continue;
    }
    out += c;
  }
  return out + "\"";
}

/// Whether a model's name for a value can name its buffer in generated code:
/// not a name the printed loops use for their indices (`i`, `i0`, ...) and
/// constants (`k`, `k_0`, ...). (identifier() keeps names off C++ keywords.)
inline bool isFreeName(StringRef name) {
  if (name.empty())
    return false;
  auto allDigits = [](StringRef text) {
    return llvm::all_of(text, [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
  };
  if (name.starts_with("i") && allDigits(name.drop_front(1)))
    return false;
  return name != "k" && !(name.starts_with("k_") && allDigits(name.drop_front(2)));
}

inline StringRef argString(mlir::func::FuncOp func, unsigned i, StringRef name) {
  auto attr = func.getArgAttrOfType<StringAttr>(i, name);
  return attr ? attr.getValue() : StringRef();
}

/// Whether argument `i` is state the class owns rather than an argument of
/// the typed entry point: parameters, buffers, optimizer state, gradients.
inline bool isMemberArg(mlir::func::FuncOp func, unsigned i) {
  std::optional<Role> role = nn::argumentRole(func, i);
  return role == Role::Param || role == Role::Buffer || role == Role::OptState || role == Role::Grad ||
         kern::outputRole(func, i) == Role::Grad;
}

/// An argument of an entry point's typed signature: data, the random key,
/// hyperparameters and output buffers, not the state the class owns.
struct EntryArgument {
  unsigned index;          ///< position among the function's arguments
  std::optional<Role> role; ///< nn.role (none for an output buffer)
  std::optional<Role> out;  ///< kern.out: what an output buffer receives
  MemRefType type;
  StringRef name; ///< nn.name
  std::string id; ///< the C++ parameter: identifier(name), rng_key for the key
};

/// The arguments of `func`'s typed signature, in order.
inline std::vector<EntryArgument> entryArguments(mlir::func::FuncOp func) {
  std::vector<EntryArgument> args;
  for (unsigned i = 0; i < func.getNumArguments(); ++i) {
    if (isMemberArg(func, i))
      continue;
    EntryArgument arg{i, nn::argumentRole(func, i), kern::outputRole(func, i),
                      mlir::cast<MemRefType>(func.getArgumentTypes()[i]),
                      argString(func, i, nn::NNDialect::kNameAttrName), ""};
    arg.id = arg.role == Role::Rng ? std::string("rng_key") : identifier(arg.name);
    args.push_back(std::move(arg));
  }
  return args;
}

/// The C++ member holding the gradient of parameter `name`.
inline std::string gradId(StringRef name) { return "grad_" + identifier(name); }

/// A parameter, buffer or optimizer state the class owns.
struct Member {
  std::string name; ///< model name: dense_0.weight
  std::string id;   ///< C++ member: dense_0_weight
  Role role = Role::Param; ///< Param, Buffer, OptState (Grad for gradients)
  std::string init;
  double initScale = 0.0; ///< nn.init_scale: normal's σ, uniform's bound
  bool frozen = false;
  MemRefType type;
  int64_t offset = 0;
  /// nn.init_data of an `init = "data"` parameter, and where its bytes
  /// start in the model's initial values.
  mlir::DenseElementsAttr initData;
  int64_t initOffset = 0;
};

class ModelEmitter {
public:
  ModelEmitter(mlir::ModuleOp module, StringRef sourceName, const llvm::SourceMgr *sourceMgr,
               const OnnxExport *onnx)
      : module(module), sourceName(sourceName), source(sourceMgr), onnx(onnx) {}

  mlir::FailureOr<EmittedModel> run();

private:
  mlir::LogicalResult collect();
  mlir::LogicalResult emitFunction(mlir::func::FuncOp func, llvm::raw_ostream &os);
  std::string signature(mlir::func::FuncOp func, bool qualified);
  void emitInfo(llvm::raw_ostream &os);
  void emitOnnxGraph(llvm::raw_ostream &os);
  void emitTrainSettings(llvm::raw_ostream &os, nn::TrainAttr train);
  std::string fingerprint();
  void emitSizes(llvm::raw_ostream &os);
  std::string describe(mlir::func::FuncOp func);
  void emitGlue(llvm::raw_ostream &os);
  std::string callExpression(mlir::func::FuncOp func, StringRef inputs, StringRef labels,
                             StringRef outputs, bool training);
  void findSharedLoops();
  mlir::LogicalResult printSharedLoopCall(kern::FusedOp fused, const std::string &key,
                                          const llvm::DenseMap<mlir::Value, std::string> &names,
                                          llvm::raw_ostream &os);

  mlir::ModuleOp module;
  std::string sourceName;
  /// The symbol of the initial values built into the program (EmittedModel).
  std::string initialValuesSymbol;
  std::string className;
  std::vector<Member> members;
  std::map<std::string, size_t> memberIndex;
  /// The inputs and labels by name, and each one's position in its array.
  std::vector<std::string> inputNames, labelNames;
  std::map<std::string, size_t> dataIndex;
  int64_t stateBytes = 0, scratchBytes = 0, gradBytes = 0;
  /// Gradients of the trainable parameters: one contiguous buffer.
  std::vector<Member> grads;
  bool stepGradients = true; ///< @train_step fills the gradient buffers
  ModelSourceLines source;
  /// The ONNX form of predict, for --export-onnx (none: the program has none).
  const OnnxExport *onnx;
  mlir::func::FuncOp trainStep, evalStep, evalOne, predict, predictOne, lossGrad;
  /// Data-parallel training's halves of train_step (train_grad only for
  /// models with buffers; loss_grad serves the others).
  mlir::func::FuncOp trainGrad, applyUpdate;
  llvm::SmallVector<mlir::func::FuncOp> entryFuncs;
  /// Parameter updates whose loops are the same but for their buffers and
  /// size, written once as a function (EntryPoints.cpp): by their loop's
  /// text, the parameters that use them, and once printed, their name.
  std::map<std::string, std::vector<std::string>> sharedLoopUsers;
  std::map<mlir::Operation *, std::string> sharedLoopKeys; ///< the groups that call them
  std::map<std::string, std::string> sharedLoopNames;
  std::string sharedLoops;
};

} // namespace gradc::emit

#endif // GRADC_LIB_TARGET_MODELEMITTER_H
