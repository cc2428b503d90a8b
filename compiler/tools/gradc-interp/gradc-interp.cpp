//===- gradc-interp.cpp - Run an nn function on .npy inputs ---------------===//
//
// gradc-interp FILE.mlir --entry NAME [--input a.npy]... --output-dir DIR
//
// Parses and verifies the module, runs function NAME through the reference
// interpreter with one --input per argument (f32, f64, i32, i64 or bool
// arrays), and writes result i as DIR/result<i>.npy with the result's element
// type (i1 as a NumPy bool array).
//
// .npy files are read and written by the runtime library, which reports
// problems by throwing gradc::rt::Error; this file catches them right where
// it calls the runtime, so no exception passes through LLVM or MLIR code.
//
//===----------------------------------------------------------------------===//

#include "gradc/Dialect/NN/IR/NNDialect.h"
#include "gradc/Interpreter/Interpreter.h"
#include "gradc/runtime/npy.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <exception>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>

using namespace mlir;
using gradc::interp::Tensor;
namespace rt = gradc::rt;

namespace {
llvm::cl::opt<std::string> inputFilename(llvm::cl::Positional,
                                         llvm::cl::desc("<input.mlir>"),
                                         llvm::cl::init("-"));
llvm::cl::opt<std::string> entryName("entry", llvm::cl::desc("The function to run"),
                                     llvm::cl::value_desc("name"), llvm::cl::Required);
llvm::cl::list<std::string>
    inputFiles("input", llvm::cl::desc("A .npy file for the next argument"),
               llvm::cl::value_desc("file.npy"));
llvm::cl::opt<std::string>
    outputDir("output-dir", llvm::cl::desc("Where to write result<i>.npy"),
              llvm::cl::value_desc("dir"), llvm::cl::Required);
} // namespace

static int fail(const llvm::Twine &message) {
  llvm::errs() << "gradc-interp: error: " << message << "\n";
  return 1;
}

//===----------------------------------------------------------------------===//
// NumPy bool arrays
//===----------------------------------------------------------------------===//

// The runtime reads and writes u1 arrays but not NumPy's bool dtype '|b1',
// whose layout is the same (one byte, 0 or 1). Bool files are read through a
// copy whose header says '|u1', and written as u1 with the header then
// changed to '|b1'.
static constexpr const char *kBoolDescr = "'descr': '|b1'";
static constexpr const char *kByteDescr = "'descr': '|u1'";
static constexpr size_t kDescrLength = 14;
// Where the descr entry must start: numpy puts it first in the header
// dictionary, right after the 10- or 12-byte preamble.
static constexpr size_t kHeaderSearchBytes = 64;

/// The offset of `descr` near the start of `bytes`, if it is there.
static std::optional<size_t> findDescr(const std::string &bytes, const char *descr) {
  size_t at = bytes.substr(0, kHeaderSearchBytes).find(descr);
  if (at == std::string::npos)
    return std::nullopt;
  return at;
}

/// Reads a .npy file; `isBool` tells whether it held a bool array.
static rt::Tensor readNpy(const std::string &path, bool &isBool) {
  isBool = false;
  std::ifstream in(path, std::ios::binary);
  std::string bytes(kHeaderSearchBytes, '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  bytes.resize(static_cast<size_t>(in.gcount()));
  std::optional<size_t> descr = findDescr(bytes, kBoolDescr);
  if (!descr)
    return rt::loadNpy(path); // the runtime reports unreadable files

  isBool = true;
  bytes.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  bytes.replace(*descr, kDescrLength, kByteDescr);
  llvm::SmallString<128> copyPath;
  if (llvm::sys::fs::createTemporaryFile("gradc-interp", "npy", copyPath))
    throw rt::Error::inFile(path, "cannot create a temporary file to read it through");
  std::string copy(copyPath.str());
  {
    std::ofstream out(copy, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  try {
    rt::Tensor tensor = rt::loadNpy(copy);
    llvm::sys::fs::remove(copy);
    return tensor;
  } catch (const rt::Error &error) {
    llvm::sys::fs::remove(copy);
    // Name the user's file, not the copy, in the message.
    std::string message = error.what();
    for (size_t at = message.find(copy); at != std::string::npos; at = message.find(copy))
      message.replace(at, copy.size(), path);
    throw rt::Error(message);
  }
}

/// Writes a .npy file, as a bool array when `isBool`.
static void writeNpy(const std::string &path, const rt::TensorView &view, bool isBool) {
  rt::saveNpy(path, view);
  if (!isBool)
    return;
  std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
  std::string head(kHeaderSearchBytes, '\0');
  file.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<size_t>(file.gcount()));
  std::optional<size_t> descr = findDescr(head, kByteDescr);
  if (!descr)
    throw rt::Error::inFile(path, "cannot mark the array as bool: no u1 descr");
  file.clear();
  file.seekp(static_cast<std::streamoff>(*descr));
  file.write(kBoolDescr, kDescrLength);
  if (!file)
    throw rt::Error::inFile(path, "cannot mark the array as bool");
}

//===----------------------------------------------------------------------===//
// Arguments and results
//===----------------------------------------------------------------------===//

/// The element type name of a file's array, as the runtime spells dtypes.
static std::string dtypeText(const rt::Tensor &tensor, bool isBool) {
  return isBool ? "bool" : std::string(rt::dtypeName(tensor.dtype()));
}

/// Whether a file's array has the element type `element`.
static bool matchesElementType(const rt::Tensor &tensor, bool isBool, Type element) {
  switch (tensor.dtype()) {
  case rt::DType::F32:
    return element.isF32();
  case rt::DType::F64:
    return element.isF64();
  case rt::DType::I32:
    return element.isInteger(32);
  case rt::DType::I64:
    return element.isInteger(64);
  case rt::DType::U8:
    return isBool && element.isInteger(1);
  }
  return false;
}

template <typename T>
static void copyElements(const rt::Tensor &tensor, std::vector<double> &data) {
  const T *values = tensor.data<T>();
  for (uint64_t i = 0; i < tensor.numElements(); ++i)
    data.push_back(static_cast<double>(values[i]));
}

/// Reads argument #index of type `type` from `path`; prints the error and
/// returns std::nullopt when the file cannot be read or does not match.
static std::optional<Tensor> loadArgument(const std::string &path, unsigned index,
                                          RankedTensorType type) {
  Tensor argument{type, {}};
  try {
    bool isBool = false;
    rt::Tensor tensor = readNpy(path, isBool);
    if (!matchesElementType(tensor, isBool, type.getElementType()) ||
        llvm::ArrayRef<int64_t>(tensor.shape()) != type.getShape()) {
      std::string expected;
      llvm::raw_string_ostream os(expected);
      os << type;
      fail(path + ": argument #" + llvm::Twine(index) + " of '@" + entryName +
           "' is " + expected + ", the file holds " + dtypeText(tensor, isBool) + " " +
           rt::formatShape(tensor.shape()));
      return std::nullopt;
    }
    argument.data.reserve(tensor.numElements());
    switch (tensor.dtype()) {
    case rt::DType::F32:
      copyElements<float>(tensor, argument.data);
      break;
    case rt::DType::F64:
      copyElements<double>(tensor, argument.data);
      break;
    case rt::DType::I32:
      copyElements<int32_t>(tensor, argument.data);
      break;
    case rt::DType::U8:
      copyElements<uint8_t>(tensor, argument.data);
      break;
    case rt::DType::I64: {
      const int64_t *values = tensor.data<int64_t>();
      for (uint64_t i = 0; i < tensor.numElements(); ++i) {
        double held = static_cast<double>(values[i]);
        if (held >= 0x1p63 || static_cast<int64_t>(held) != values[i]) {
          fail(path + ": element " + llvm::Twine(i) + " (" + llvm::Twine(values[i]) +
               ") cannot be held exactly by the interpreter (beyond 2^53)");
          return std::nullopt;
        }
        argument.data.push_back(held);
      }
      break;
    }
    }
  } catch (const std::exception &error) {
    fail(error.what());
    return std::nullopt;
  }
  return argument;
}

template <typename T> static void fillElements(rt::Tensor &tensor, const Tensor &result) {
  T *values = tensor.data<T>();
  for (size_t i = 0; i < result.data.size(); ++i)
    values[i] = static_cast<T>(result.data[i]);
}

/// Writes a result to `path` with its element type; prints the error and
/// returns false when it cannot.
static bool saveResult(const std::string &path, const Tensor &result) {
  Type element = result.type.getElementType();
  rt::DType dtype = element.isF32()          ? rt::DType::F32
                    : element.isF64()        ? rt::DType::F64
                    : element.isInteger(32) ? rt::DType::I32
                    : element.isInteger(64) ? rt::DType::I64
                                            : rt::DType::U8;
  try {
    rt::Tensor tensor(dtype, std::vector<int64_t>(result.type.getShape()));
    switch (dtype) {
    case rt::DType::F32:
      fillElements<float>(tensor, result);
      break;
    case rt::DType::F64:
      fillElements<double>(tensor, result);
      break;
    case rt::DType::I32:
      fillElements<int32_t>(tensor, result);
      break;
    case rt::DType::I64:
      fillElements<int64_t>(tensor, result);
      break;
    case rt::DType::U8:
      fillElements<uint8_t>(tensor, result);
      break;
    }
    writeNpy(path, tensor.view(), dtype == rt::DType::U8);
  } catch (const std::exception &error) {
    fail(error.what());
    return false;
  }
  return true;
}

//===----------------------------------------------------------------------===//
// main
//===----------------------------------------------------------------------===//

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  registerAsmPrinterCLOptions();
  registerMLIRContextCLOptions();
  llvm::cl::ParseCommandLineOptions(
      argc, argv, "gradc-interp: run an nn function with the reference interpreter\n");

  DialectRegistry registry;
  registry.insert<gradc::nn::NNDialect, func::FuncDialect>();
  MLIRContext context(registry);
  context.loadAllAvailableDialects();

  std::string error;
  auto file = openInputFile(inputFilename, &error);
  if (!file)
    return fail(error);
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  if (!module)
    return 1;

  auto entry = module->lookupSymbol<func::FuncOp>(entryName);
  if (!entry)
    return fail("no function '@" + entryName + "' in " + inputFilename);
  FunctionType type = entry.getFunctionType();
  if (inputFiles.size() != type.getNumInputs())
    return fail("'@" + entryName + "' takes " + llvm::Twine(type.getNumInputs()) +
                " arguments, " + llvm::Twine(inputFiles.size()) + " --input given");

  std::vector<Tensor> arguments;
  for (auto [index, path] : llvm::enumerate(inputFiles)) {
    auto argType = dyn_cast<RankedTensorType>(type.getInput(index));
    if (!argType)
      return fail("argument #" + llvm::Twine(index) + " of '@" + entryName +
                  "' is not a ranked tensor");
    std::optional<Tensor> argument = loadArgument(path, index, argType);
    if (!argument)
      return 1;
    arguments.push_back(std::move(*argument));
  }

  gradc::interp::Interpreter interpreter(*module);
  FailureOr<std::vector<Tensor>> results = interpreter.run(entryName, arguments);
  if (failed(results))
    return 1;

  if (std::error_code ec = llvm::sys::fs::create_directories(outputDir))
    return fail("cannot create the output directory '" + outputDir + "': " +
                ec.message());
  for (auto [index, result] : llvm::enumerate(*results)) {
    llvm::SmallString<128> path(outputDir);
    llvm::sys::path::append(path, "result" + llvm::Twine(index) + ".npy");
    if (!saveResult(std::string(path.str()), result))
      return 1;
  }
  return 0;
}
