//===- Summary.cpp - a model's layers, shapes and parameters --------------===//

#include "gradc/Transforms/Summary.h"
#include "gradc/Dialect/Kern/Analysis/KernGraph.h"
#include "gradc/Transforms/SourceLines.h"

#include "gradc/Dialect/NN/IR/NNOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/Path.h"

#include <set>
#include <string>
#include <vector>

using namespace mlir;
using namespace gradc;

namespace {

/// "f32[64, 256]"
std::string typeText(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor)
    return "";
  std::string text;
  llvm::raw_string_ostream os(text);
  tensor.getElementType().print(os);
  os << "[";
  llvm::interleave(tensor.getShape(), os, [&](int64_t dim) { os << dim; }, ", ");
  os << "]";
  return text;
}

/// 1234567 as "1,234,567".
std::string grouped(int64_t value) {
  std::string digits = std::to_string(value), text;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0)
      text += ',';
    text += digits[i];
  }
  return text;
}

std::string bytesText(int64_t bytes) {
  if (bytes < 1024)
    return std::to_string(bytes) + " B";
  double value = static_cast<double>(bytes) / 1024;
  const char *unit = "KiB";
  if (value >= 1024) {
    value /= 1024;
    unit = "MiB";
  }
  std::string text;
  llvm::raw_string_ostream(text) << llvm::format("%.1f ", value) << unit;
  return text;
}

int64_t elements(Type type) { return cast<RankedTensorType>(type).getNumElements(); }

int64_t bytes(Type type) {
  auto tensor = cast<RankedTensorType>(type);
  return tensor.getNumElements() * std::max<int64_t>(tensor.getElementTypeBitWidth() / 8, 1);
}

struct Row {
  unsigned line = 0;
  std::string what, layer, output;
  int64_t parameters = 0;
};

} // namespace

LogicalResult gradc::printModelSummary(ModuleOp module, llvm::raw_ostream &os) {
  auto forward = module.lookupSymbol<func::FuncOp>("forward");
  if (!forward)
    return module.emitError("no function @forward to summarize");
  auto argString = [&](unsigned i, StringRef name) {
    auto attr = forward.getArgAttrOfType<StringAttr>(i, name);
    return attr ? attr.getValue() : StringRef();
  };

  std::vector<Row> rows;
  int64_t trainable = 0, frozen = 0, buffers = 0, trainableBytes = 0, otherBytes = 0;
  Block &body = forward.getBody().front();
  for (BlockArgument arg : body.getArguments()) {
    std::optional<nn::Role> role = nn::argumentRole(forward, arg.getArgNumber());
    Type type = arg.getType();
    if (role == nn::Role::Input || role == nn::Role::Label) {
      Row row;
      if (FileLineColLoc loc = modelLocation(arg.getLoc()))
        row.line = loc.getLine();
      row.what = argString(arg.getArgNumber(), nn::NNDialect::kNameAttrName).str() + " (" +
                 nn::stringifyRole(*role).str() + ")";
      row.output = typeText(type);
      rows.push_back(row);
    } else if (role == nn::Role::Param) {
      bool isFrozen = static_cast<bool>(
          forward.getArgAttr(arg.getArgNumber(), nn::NNDialect::kFrozenAttrName));
      (isFrozen ? frozen : trainable) += elements(type);
      (isFrozen ? otherBytes : trainableBytes) += bytes(type);
    } else if (role == nn::Role::Buffer) {
      buffers += elements(type);
      otherBytes += bytes(type);
    }
  }

  // Each op in order (its first result: batch norm's others are the
  // updated running statistics), with the layer whose parameters it reads
  // first; a parameter is counted at its first use.
  std::set<unsigned> counted;
  for (Operation &op : body.without_terminator()) {
    if (op.getNumResults() == 0 || op.hasTrait<OpTrait::ConstantLike>())
      continue;
    Row row;
    if (FileLineColLoc loc = modelLocation(op.getLoc()))
      row.line = loc.getLine();
    row.what = op.getName().stripDialect().str();
    row.output = typeText(op.getResult(0).getType());
    for (Value operand : op.getOperands()) {
      auto arg = dyn_cast<BlockArgument>(operand);
      if (!arg || arg.getOwner() != &body)
        continue;
      std::optional<nn::Role> role = nn::argumentRole(forward, arg.getArgNumber());
      if (role != nn::Role::Param && role != nn::Role::Buffer)
        continue;
      StringRef name = argString(arg.getArgNumber(), nn::NNDialect::kNameAttrName);
      if (row.layer.empty())
        row.layer = name.rsplit('.').first.str();
      if (role == nn::Role::Param && counted.insert(arg.getArgNumber()).second)
        row.parameters += elements(arg.getType());
    }
    rows.push_back(row);
  }

  auto modelName = module->getAttrOfType<StringAttr>("nn.model");
  std::string file;
  if (FileLineColLoc loc = modelLocation(forward.getLoc()))
    file = " (" + llvm::sys::path::filename(loc.getFilename().getValue()).str() + ")";
  os << "model " << (modelName ? modelName.getValue() : StringRef("?")) << file << "\n\n";
  size_t whatWidth = 8, layerWidth = 5, outputWidth = 6;
  for (const Row &row : rows) {
    whatWidth = std::max(whatWidth, row.what.size());
    layerWidth = std::max(layerWidth, row.layer.size());
    outputWidth = std::max(outputWidth, row.output.size());
  }
  os << llvm::right_justify("line", 5) << "  " << llvm::left_justify("op", whatWidth) << "  "
     << llvm::left_justify("layer", layerWidth) << "  "
     << llvm::left_justify("output", outputWidth) << "  parameters\n";
  for (const Row &row : rows) {
    std::string line;
    llvm::raw_string_ostream text(line);
    text << llvm::right_justify(row.line ? std::to_string(row.line) : "", 5) << "  "
         << llvm::left_justify(row.what, whatWidth) << "  "
         << llvm::left_justify(row.layer, layerWidth) << "  "
         << llvm::left_justify(row.output, outputWidth) << "  "
         << (row.parameters ? grouped(row.parameters) : "");
    os << StringRef(line).rtrim() << "\n";
  }
  os << "\nparameters: " << grouped(trainable + frozen) << " (" << grouped(trainable)
     << " trainable, " << grouped(frozen) << " frozen), " << bytesText(trainableBytes)
     << " trainable\n";
  os << "buffers (running statistics): " << grouped(buffers) << "\n";
  os << "saved weights: " << bytesText(trainableBytes + otherBytes) << "\n";
  return success();
}
