//===- CheckImport.cpp - gradc check-import: an import against its exporter --===//
//
// `gradc check-import NET.onnx --input X.npy [--input ...] --expect Y.npy`
// imports the graph as a model would (`import net from onnx(...)`, the
// batch taken from the inputs), runs it in evaluation mode through the
// reference interpreter from the graph's initializers, and reports how far
// its output is from the exporter's (saved from PyTorch with numpy.save):
// the largest absolute and relative difference and where, and whether they
// are within --rtol / --atol. Compiled with exceptions: the runtime's NPY
// loader reports bad files by throwing.
//
//===----------------------------------------------------------------------===//

#include "CheckImport.h"

#include "gradc/Dialect/NN/IR/NNDialect.h"
#include "gradc/Dialect/NN/IR/NNOps.h"
#include "gradc/Frontend/Parser.h"
#include "gradc/Interpreter/Interpreter.h"
#include "gradc/MLIRGen/MLIRGen.h"

#include "gradc/runtime/npy.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <exception>

using namespace mlir;

namespace {

/// An .npy file's elements as doubles, with its shape and whether it holds
/// integers.
struct Array {
  std::vector<int64_t> shape;
  std::vector<double> values;
  bool integer = false;
};

std::optional<Array> readArray(const std::string &path) {
  try {
    gradc::rt::Tensor tensor = gradc::rt::loadNpy(path);
    Array array;
    array.shape = tensor.shape();
    const int64_t count = static_cast<int64_t>(tensor.numElements());
    array.values.resize(static_cast<size_t>(count));
    switch (tensor.dtype()) {
    case gradc::rt::DType::F32:
      for (int64_t i = 0; i < count; ++i)
        array.values[i] = tensor.data<float>()[i];
      break;
    case gradc::rt::DType::F64:
      for (int64_t i = 0; i < count; ++i)
        array.values[i] = tensor.data<double>()[i];
      break;
    case gradc::rt::DType::I32:
      array.integer = true;
      for (int64_t i = 0; i < count; ++i)
        array.values[i] = tensor.data<int32_t>()[i];
      break;
    case gradc::rt::DType::I64:
      array.integer = true;
      for (int64_t i = 0; i < count; ++i)
        array.values[i] = static_cast<double>(tensor.data<int64_t>()[i]);
      break;
    default:
      array.integer = true;
      for (int64_t i = 0; i < count; ++i)
        array.values[i] = tensor.data<uint8_t>()[i];
    }
    return array;
  } catch (const std::exception &e) {
    llvm::errs() << "gradc: error: " << e.what() << "\n";
    return std::nullopt;
  }
}

std::string shapeText(llvm::ArrayRef<int64_t> shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

/// The row-major index of element `flat` of `shape`, as "[i, j, ...]".
std::string indexText(llvm::ArrayRef<int64_t> shape, int64_t flat) {
  std::vector<int64_t> index(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    index[d] = shape[d] ? flat % shape[d] : 0;
    flat = shape[d] ? flat / shape[d] : 0;
  }
  return shapeText(index);
}

} // namespace

int gradc::checkImport(MLIRContext &context, const CheckImportOptions &options) {
  if (options.inputs.empty()) {
    llvm::errs() << "gradc: error: check-import needs --input X.npy (one per graph input)\n";
    return 2;
  }
  std::vector<Array> inputs;
  for (const std::string &path : options.inputs) {
    std::optional<Array> array = readArray(path);
    if (!array)
      return 1;
    if (array->shape.empty()) {
      llvm::errs() << "gradc: error: " << path
                   << ": an input needs a batch dimension, the array is a scalar\n";
      return 1;
    }
    if (!inputs.empty() && array->shape[0] != inputs.front().shape[0]) {
      llvm::errs() << "gradc: error: " << path << " holds " << array->shape[0]
                   << " samples, " << options.inputs.front() << " "
                   << inputs.front().shape[0] << "\n";
      return 1;
    }
    inputs.push_back(std::move(*array));
  }
  std::optional<Array> expected = readArray(options.expect);
  if (!expected)
    return 1;

  // The graph imported by a model of its own.
  llvm::SmallString<256> onnx(options.onnx);
  if (std::error_code ec = llvm::sys::fs::make_absolute(onnx)) {
    llvm::errs() << "gradc: error: " << options.onnx << ": " << ec.message() << "\n";
    return 1;
  }
  std::string model = "import net from onnx(\"" + onnx.str().str() + "\")\n\nmodel CheckImport {\n";
  std::string args;
  for (size_t i = 0; i < inputs.size(); ++i) {
    std::string name = "x" + std::to_string(i);
    model += "  input " + name + ": " + (inputs[i].integer ? "i32" : "f32") + "[B";
    for (size_t d = 1; d < inputs[i].shape.size(); ++d)
      model += ", " + std::to_string(inputs[i].shape[d]);
    model += "]\n";
    args += (i ? ", " : "") + name;
  }
  model += "  let y = net(" + args + ")\n  output y\n  loss mean(y * y)\n}\n";
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(model, "check-import(" + options.onnx + ")"),
      llvm::SMLoc());
  gradc::DiagnosticEngine diag(&sourceMgr);
  std::unique_ptr<gradc::FileAST> ast =
      gradc::parseFile(sourceMgr, sourceMgr.getMainFileID(), diag);
  if (!ast || diag.hasErrors())
    return 1;
  gradc::MLIRGenOptions genOptions;
  genOptions.batch = inputs.front().shape[0];
  genOptions.f64 = options.f64;
  OwningOpRef<ModuleOp> module = gradc::mlirGen(context, *ast, sourceMgr, diag, genOptions);
  if (!module || diag.hasErrors())
    return 1;
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
  auto func = module->lookupSymbol<func::FuncOp>("forward_eval");
  if (!func) {
    llvm::errs() << "gradc: error: the imported graph built no evaluation function\n";
    return 1;
  }

  // Its arguments: the inputs, then the initializers' values.
  std::vector<gradc::interp::Tensor> values;
  size_t nextInput = 0;
  for (unsigned i = 0; i < func.getNumArguments(); ++i) {
    auto type = cast<RankedTensorType>(func.getArgumentTypes()[i]);
    gradc::interp::Tensor tensor{type, {}};
    std::optional<nn::Role> role = nn::argumentRole(func, i);
    if (role == nn::Role::Input) {
      const Array &input = inputs[nextInput++];
      if (input.shape != std::vector<int64_t>(type.getShape().begin(), type.getShape().end())) {
        llvm::errs() << "gradc: error: " << options.inputs[nextInput - 1] << " is "
                     << shapeText(input.shape) << ", the graph takes "
                     << shapeText(type.getShape()) << "\n";
        return 1;
      }
      tensor.data = input.values;
    } else if (auto data = func.getArgAttrOfType<DenseElementsAttr>(
                   i, nn::NNDialect::kInitDataAttrName)) {
      for (APFloat v : data.getValues<APFloat>())
        tensor.data.push_back(v.convertToDouble());
    } else {
      llvm::errs() << "gradc: error: argument " << i
                   << " of the imported graph has no value to run it with\n";
      return 1;
    }
    values.push_back(std::move(tensor));
  }
  gradc::interp::Interpreter interpreter(*module);
  FailureOr<std::vector<gradc::interp::Tensor>> results =
      interpreter.run("forward_eval", values);
  if (failed(results))
    return 1;
  const gradc::interp::Tensor *output = nullptr;
  for (unsigned i = 0; i < func.getNumResults(); ++i)
    if (nn::resultRole(func, i) == nn::Role::Output)
      output = &(*results)[i];
  if (!output) {
    llvm::errs() << "gradc: error: the imported graph has no output\n";
    return 1;
  }
  std::vector<int64_t> shape(output->type.getShape().begin(), output->type.getShape().end());
  if (shape != expected->shape) {
    llvm::errs() << "gradc: error: the graph's output is " << shapeText(shape) << ", "
                 << options.expect << " is " << shapeText(expected->shape) << "\n";
    return 1;
  }
  double worstAbs = 0, worstRel = 0;
  int64_t atAbs = 0, atRel = 0, outside = 0;
  for (size_t i = 0; i < output->data.size(); ++i) {
    const double ours = output->data[i], theirs = expected->values[i];
    const double diff = std::fabs(ours - theirs);
    const double rel = diff / std::max(std::fabs(theirs), 1e-30);
    const bool bad = !(diff <= options.atol + options.rtol * std::fabs(theirs));
    outside += bad;
    if (!(diff <= worstAbs) || std::isnan(diff)) {
      worstAbs = diff;
      atAbs = static_cast<int64_t>(i);
    }
    if (rel > worstRel && theirs != 0) {
      worstRel = rel;
      atRel = static_cast<int64_t>(i);
    }
  }
  llvm::outs() << options.onnx << ": output " << shapeText(shape) << " against "
               << options.expect << " (" << (options.f64 ? "f64" : "f32") << "):\n"
               << "  max |difference| " << llvm::format("%.3g", worstAbs) << " at "
               << indexText(shape, atAbs) << "\n"
               << "  max relative difference " << llvm::format("%.3g", worstRel) << " at "
               << indexText(shape, atRel) << "\n";
  if (outside == 0) {
    llvm::outs() << "  every element within rtol " << llvm::format("%g", options.rtol)
                 << ", atol " << llvm::format("%g", options.atol) << ": ok\n";
    return 0;
  }
  llvm::outs() << "  " << outside << " of " << output->data.size()
               << " elements outside rtol " << llvm::format("%g", options.rtol) << ", atol "
               << llvm::format("%g", options.atol) << ": MISMATCH\n";
  return 1;
}
