//===- EmitCpp.cpp - kern-level modules to a C++ model class --------------===//
//
// Prints <model>.h (the class, its sizes and typed entry points) and
// <model>.cpp (one function per entry point: each kernel a runtime call or a
// loop nest under a comment naming its model-file line), plus the glue that
// implements gradc::rt::Model so the runtime's trainer can drive it.
//
//===----------------------------------------------------------------------===//

#include "gradc/Target/EmitCpp.h"
#include "KernelPrinter.h"

#include "gradc/Dialect/Kern/IR/KernOps.h"
#include "gradc/Dialect/NN/IR/NNDialect.h"
#include "gradc/Transforms/KernGraph.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <map>

using namespace mlir;
using namespace gradc;
using namespace gradc::emit;

std::string gradc::snakeCase(StringRef name) {
  std::string out;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (std::isupper(static_cast<unsigned char>(c))) {
      bool boundary = i > 0 && (std::islower(static_cast<unsigned char>(name[i - 1])) ||
                                (i + 1 < name.size() &&
                                 std::islower(static_cast<unsigned char>(name[i + 1])) &&
                                 std::isupper(static_cast<unsigned char>(name[i - 1]))));
      if (boundary)
        out += '_';
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else {
      out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
    }
  }
  return out;
}

namespace {

constexpr int64_t kAlign = 64;

int64_t alignUp(int64_t bytes) { return (bytes + kAlign - 1) / kAlign * kAlign; }

int64_t byteSize(MemRefType type) {
  Type element = type.getElementType();
  int64_t width = element.isInteger(1) ? 1 : (element.getIntOrFloatBitWidth() + 7) / 8;
  return type.getNumElements() * width;
}

std::string dtypeOf(Type element) {
  if (element.isF32())
    return "gradc::rt::DType::F32";
  if (element.isF64())
    return "gradc::rt::DType::F64";
  if (element.isInteger(64))
    return "gradc::rt::DType::I64";
  return "gradc::rt::DType::I32";
}

std::string shapeList(ArrayRef<int64_t> shape) {
  std::string text = "{";
  for (auto [i, d] : llvm::enumerate(shape))
    text += (i ? ", " : "") + std::to_string(d);
  return text + "}";
}

/// The shape of one sample: every axis but the batch (none for a scalar).
ArrayRef<int64_t> sampleShape(MemRefType type) {
  ArrayRef<int64_t> shape = type.getShape();
  return shape.empty() ? shape : shape.drop_front();
}

std::string quoted(StringRef text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    if (c == '"' || c == '\\')
      out += '\\';
    out += c;
  }
  return out + "\"";
}

/// Whether a model's name for a value can name its buffer in generated code:
/// not a name the printed loops use for their indices (`i`, `i0`, ...) and
/// constants (`k`, `k_0`, ...). (identifier() keeps names off C++ keywords.)
bool isFreeName(StringRef name) {
  if (name.empty())
    return false;
  auto allDigits = [](StringRef text) {
    return llvm::all_of(text, [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
  };
  if (name.starts_with("i") && allDigits(name.drop_front(1)))
    return false;
  return name != "k" && !(name.starts_with("k_") && allDigits(name.drop_front(2)));
}

StringRef argString(func::FuncOp func, unsigned i, StringRef name) {
  auto attr = func.getArgAttrOfType<StringAttr>(i, name);
  return attr ? attr.getValue() : StringRef();
}

/// Whether argument `i` is state the class owns rather than an argument of
/// the typed entry point: parameters, buffers, optimizer state, gradients.
bool isMemberArg(func::FuncOp func, unsigned i) {
  StringRef role = argString(func, i, nn::NNDialect::kRoleAttrName);
  return role == "param" || role == "buffer" || role == "opt_state" || role == "grad" ||
         argString(func, i, "kern.out") == "grad";
}

/// The C++ member holding the gradient of parameter `name`.
std::string gradId(StringRef name) { return "grad_" + identifier(name); }

/// A parameter, buffer or optimizer state the class owns.
struct Member {
  std::string name; ///< model name: dense_0.weight
  std::string id;   ///< C++ member: dense_0_weight
  std::string role; ///< param, buffer, opt_state
  std::string init;
  bool frozen = false;
  MemRefType type;
  int64_t offset = 0;
};

class ModelEmitter {
public:
  ModelEmitter(ModuleOp module, StringRef sourceName, const llvm::SourceMgr *sourceMgr)
      : module(module), sourceName(sourceName), source(sourceMgr) {}

  FailureOr<EmittedModel> run();

private:
  LogicalResult collect();
  LogicalResult emitFunction(func::FuncOp func, llvm::raw_ostream &os);
  std::string signature(func::FuncOp func, bool qualified);
  void emitInfo(llvm::raw_ostream &os);
  std::string fingerprint();
  void emitSizes(llvm::raw_ostream &os);
  std::string describe(func::FuncOp func);
  void emitGlue(llvm::raw_ostream &os);
  std::string callExpression(func::FuncOp func, StringRef inputs, StringRef labels,
                             StringRef outputs, bool training);

  ModuleOp module;
  std::string sourceName;
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
  func::FuncOp trainStep, evalStep, evalOne, predict, predictOne, lossGrad;
  /// Data-parallel training's halves of train_step (train_grad only for
  /// models with buffers; loss_grad serves the others).
  func::FuncOp trainGrad, applyUpdate;
  SmallVector<func::FuncOp> entryFuncs;
};

LogicalResult ModelEmitter::collect() {
  auto modelName = module->getAttrOfType<StringAttr>("nn.model");
  className = identifier(modelName ? modelName.getValue() : "Model");
  trainStep = module.lookupSymbol<func::FuncOp>("train_step");
  evalStep = module.lookupSymbol<func::FuncOp>("eval_step");
  evalOne = module.lookupSymbol<func::FuncOp>("eval_one");
  predict = module.lookupSymbol<func::FuncOp>("predict");
  predictOne = module.lookupSymbol<func::FuncOp>("predict_one");
  lossGrad = module.lookupSymbol<func::FuncOp>("loss_grad");
  if (!trainStep || !evalStep || !evalOne || !predict || !predictOne)
    return module.emitError() << "the C++ emitter needs the entry points train_step, "
                                 "eval_step, eval_one, predict and predict_one";
  entryFuncs = {trainStep, evalStep, evalOne, predict, predictOne};
  if (lossGrad)
    entryFuncs.push_back(lossGrad);
  trainGrad = module.lookupSymbol<func::FuncOp>("train_grad");
  applyUpdate = module.lookupSymbol<func::FuncOp>("apply_update");
  for (func::FuncOp func : {trainGrad, applyUpdate})
    if (func)
      entryFuncs.push_back(func);
  // The gradient buffers, from the first entry point that returns them:
  // @train_step does unless compiled with -fno-step-gradients, when only
  // @loss_grad (and @train_grad) write them.
  for (func::FuncOp func : {trainStep, lossGrad, trainGrad}) {
    if (!func || !grads.empty())
      continue;
    for (unsigned i = 0; i < func.getNumArguments(); ++i) {
      if (argString(func, i, "kern.out") != "grad")
        continue;
      Member grad;
      grad.name = argString(func, i, nn::NNDialect::kNameAttrName).str();
      grad.id = gradId(grad.name);
      grad.role = "grad";
      grad.type = cast<MemRefType>(func.getArgumentTypes()[i]);
      grad.offset = gradBytes;
      gradBytes += alignUp(byteSize(grad.type));
      grads.push_back(grad);
    }
    stepGradients = func == trainStep;
  }
  // The model's inputs and labels in the order of eval_step's arguments,
  // which is the order of ModelInfo::inputs / labels and of the pointer
  // arrays the Model entry points take.
  for (unsigned i = 0; i < evalStep.getNumArguments(); ++i) {
    StringRef role = argString(evalStep, i, nn::NNDialect::kRoleAttrName);
    std::string name = argString(evalStep, i, nn::NNDialect::kNameAttrName).str();
    if (role == "input")
      dataIndex.try_emplace(name, inputNames.size()), inputNames.push_back(name);
    else if (role == "label")
      dataIndex.try_emplace(name, labelNames.size()), labelNames.push_back(name);
  }
  for (func::FuncOp func : entryFuncs) {
    for (unsigned i = 0; i < func.getNumArguments(); ++i) {
      StringRef role = argString(func, i, nn::NNDialect::kRoleAttrName);
      if ((role == "input" || role == "label") &&
          !dataIndex.count(argString(func, i, nn::NNDialect::kNameAttrName).str()))
        return func.emitError() << "the " << role << " '"
                                << argString(func, i, nn::NNDialect::kNameAttrName)
                                << "' of @" << func.getSymName() << " is not one of @eval_step";
      if (role != "param" && role != "buffer" && role != "opt_state")
        continue;
      std::string name = argString(func, i, nn::NNDialect::kNameAttrName).str();
      if (memberIndex.count(name))
        continue;
      Member member;
      member.name = name;
      member.id = identifier(name);
      member.role = role.str();
      member.init = argString(func, i, nn::NNDialect::kInitAttrName).str();
      member.frozen = static_cast<bool>(func.getArgAttr(i, nn::NNDialect::kFrozenAttrName));
      member.type = cast<MemRefType>(func.getArgumentTypes()[i]);
      member.offset = stateBytes;
      stateBytes += alignUp(byteSize(member.type));
      memberIndex[name] = members.size();
      members.push_back(member);
    }
  }
  // The entry points share one scratch arena: planned functions need
  // kern.arena_bytes, others lay their temporaries out one after another.
  for (func::FuncOp func : entryFuncs) {
    int64_t bytes = 0;
    if (auto arena = func->getAttrOfType<IntegerAttr>("kern.arena_bytes"))
      bytes = arena.getInt();
    else
      for (auto alloc : func.getBody().front().getOps<kern::AllocOp>())
        bytes += alignUp(byteSize(alloc.getType()));
    scratchBytes = std::max(scratchBytes, bytes);
  }
  return success();
}

std::string ModelEmitter::signature(func::FuncOp func, bool qualified) {
  std::string text = "void " + (qualified ? className + "::" : std::string()) +
                     func.getSymName().str() + "(";
  bool first = true;
  for (unsigned i = 0; i < func.getNumArguments(); ++i) {
    StringRef role = argString(func, i, nn::NNDialect::kRoleAttrName);
    if (isMemberArg(func, i))
      continue;
    auto type = cast<MemRefType>(func.getArgumentTypes()[i]);
    bool output = static_cast<bool>(func.getArgAttr(i, "kern.out"));
    StringRef name = argString(func, i, nn::NNDialect::kNameAttrName);
    if (role == "rng")
      name = "rng_key";
    text += (first ? "" : ", ") + std::string(output ? "" : "const ") +
            cType(type.getElementType()) + " *" + identifier(name);
    first = false;
  }
  return text + ")";
}

LogicalResult ModelEmitter::emitFunction(func::FuncOp func, llvm::raw_ostream &os) {
  llvm::DenseMap<Value, std::string> names;
  llvm::StringSet<> used;
  for (unsigned i = 0; i < func.getNumArguments(); ++i) {
    StringRef role = argString(func, i, nn::NNDialect::kRoleAttrName);
    StringRef name = argString(func, i, nn::NNDialect::kNameAttrName);
    if (role == "rng")
      name = "rng_key";
    std::string id = argString(func, i, "kern.out") == "grad" || role == "grad"
                         ? gradId(name)
                         : identifier(name);
    names[func.getArgument(i)] = id;
    used.insert(id);
  }
  auto fresh = [&](StringRef base) {
    std::string id = identifier(base);
    for (int n = 0; used.contains(id); ++n)
      id = identifier(base) + "_" + std::to_string(n);
    used.insert(id);
    return id;
  };

  os << "\n" << signature(func, true) << " {\n";
  // Temporaries, named as the model names their values (`let logits = ...`,
  // `grad_logits` for its gradient) or else after the kernel that writes
  // them, at their planned offsets in the scratch arena (one after another
  // when unplanned).
  int64_t offset = 0;
  llvm::DenseMap<Value, StringRef> writer;
  func.walk([&](kern::KernelOp kernel) {
    for (Value out : kernel.getOuts())
      writer[out] = kernel.getPayloadName();
  });
  func.walk([&](kern::SoftmaxCrossEntropyOp op) {
    writer[op.getLoss()] = "loss";
    writer[op.getDlogits()] = "dlogits";
  });
  for (auto alloc : func.getBody().front().getOps<kern::AllocOp>()) {
    auto modelName = dyn_cast<NameLoc>(alloc.getLoc());
    std::string name =
        fresh(modelName && isFreeName(modelName.getName().getValue())
                  ? modelName.getName().getValue()
                  : writer.lookup(alloc.getResult()));
    names[alloc.getResult()] = name;
    MemRefType type = alloc.getType();
    int64_t at = offset;
    if (auto planned = alloc.getOffset())
      at = static_cast<int64_t>(*planned);
    else
      offset += alignUp(byteSize(type));
    os << "  " << cType(type.getElementType()) << " *" << name << " = reinterpret_cast<"
       << cType(type.getElementType()) << " *>(scratch_ + " << at << ");  // "
       << shapeList(type.getShape()) << "\n";
  }

  KernelPrinter printer(os, names);
  auto comment = [&](StringRef what, Location loc) {
    std::string line = source.describe(loc, 80);
    os << "  // " << what;
    if (!line.empty())
      os << " -- " << line;
    os << "\n";
  };
  // With --check-numerics, every floating-point buffer a step writes, named
  // by the kernel that writes it and that kernel's model-file line.
  auto check = [&](Value buffer, StringRef what, Location loc) {
    auto type = cast<MemRefType>(buffer.getType());
    if (!isa<FloatType>(type.getElementType()))
      return;
    // A tiled product holds its last tile only; the values it feeds are checked.
    if (Operation *root = rootBuffer(buffer).getDefiningOp())
      if (root->hasAttr(kTileRowsAttrName))
        return;
    std::string place = source.describe(loc, 80);
    place = place.substr(0, place.find("  "));
    os << "  if (checkNumerics_) gradc::rt::checkFinite(" << names[buffer] << ", "
       << std::max<int64_t>(type.getNumElements(), 1) << ", "
       << quoted(what.str() + (place.empty() ? "" : " at " + place)) << ");\n";
  };
  auto checks = [&](Operation *op, StringRef what) {
    if (auto fused = dyn_cast<kern::FusedOp>(op)) {
      for (kern::KernelOp kernel : fused.getKernels())
        for (Value out : kernel.getOuts())
          if (!fused.isLocal(out))
            check(out, kernel.getPayloadName(), kernel.getLoc());
      return;
    }
    SmallVector<Value> reads, writes;
    collectAccesses(op, reads, writes);
    for (Value buffer : writes)
      check(buffer, what, op->getLoc());
  };
  for (Operation &op : func.getBody().front()) {
    if (auto view = dyn_cast<kern::ViewOp>(op)) {
      std::string name = fresh("view_" + names[view.getSource()]);
      names[view.getResult()] = name;
      os << "  auto *" << name << " = " << names[view.getSource()] << ";  // viewed as "
         << shapeList(view.getType().getShape()) << "\n";
    } else if (auto kernel = dyn_cast<kern::KernelOp>(op)) {
      comment(kernel.getPayloadName(), kernel.getLoc());
      if (failed(printer.print(kernel)))
        return failure();
      checks(kernel, kernel.getPayloadName());
    } else if (auto fused = dyn_cast<kern::FusedOp>(op)) {
      SmallVector<std::string> members;
      for (kern::KernelOp kernel : fused.getKernels())
        if (!kernel.isConstant())
          members.push_back(kernel.getPayloadName().str());
      std::string what = llvm::join(members, " + ");
      os << "  // fused " << fused.getKind() << ": " << what << "\n";
      llvm::StringSet<> lines;
      for (kern::KernelOp kernel : fused.getKernels()) {
        std::string line = source.describe(kernel.getLoc(), 80);
        if (!kernel.isConstant() && !line.empty() &&
            lines.insert(line).second)
          os << "  //   " << line << "\n";
      }
      if (failed(printer.printFused(fused)))
        return failure();
      checks(fused, what);
    } else if (auto xent = dyn_cast<kern::SoftmaxCrossEntropyOp>(op)) {
      comment("softmax_cross_entropy and its gradient", xent.getLoc());
      printer.printSoftmaxCrossEntropy(xent);
      checks(xent, "softmax_cross_entropy");
    } else if (auto copy = dyn_cast<kern::CopyOp>(op)) {
      os << "  // result " << names[copy.getTarget()] << "\n";
      printer.printCopy(copy);
    }
  }
  os << "}\n";
  return success();
}

/// The call of an entry point from the Model glue: members for state, the
/// given expressions for data, locals for results.
std::string ModelEmitter::callExpression(func::FuncOp func, StringRef inputs,
                                         StringRef labels, StringRef outputs,
                                         bool training) {
  std::string call = func.getSymName().str() + "(";
  bool first = true;
  for (unsigned i = 0; i < func.getNumArguments(); ++i) {
    StringRef role = argString(func, i, nn::NNDialect::kRoleAttrName);
    if (isMemberArg(func, i))
      continue;
    auto type = cast<MemRefType>(func.getArgumentTypes()[i]);
    std::string t = cType(type.getElementType());
    std::string arg;
    StringRef name = argString(func, i, nn::NNDialect::kNameAttrName);
    auto out = func.getArgAttrOfType<StringAttr>(i, "kern.out");
    if (role == "input" || role == "label")
      arg = "static_cast<const " + t + " *>(" + (role == "input" ? inputs : labels).str() +
            "[" + std::to_string(dataIndex.at(name.str())) + "])";
    else if (role == "hyper")
      arg = "&" + identifier(name) + "_value";
    else if (role == "rng")
      arg = "&key";
    else if (out && out.getValue() == "output" && outputs != "nullptr")
      arg = "static_cast<" + t + " *>(" + outputs.str() + ")";
    else
      arg = identifier(name) + ".data()";
    call += (first ? "" : ", ") + arg;
    first = false;
  }
  (void)training;
  return call + ")";
}

namespace {

/// The `nn.train` settings that are only defaults of the program's flags or
/// describe its data, not the computation: a checkpoint resumes across them.
bool isRunSetting(StringRef key) {
  return llvm::is_contained({"epochs", "lr", "seed", "validation", "data", "test",
                             "early_stopping", "checkpoint"},
                            key);
}

/// `train` without its run settings.
DictionaryAttr computeSettings(DictionaryAttr train) {
  SmallVector<NamedAttribute> kept;
  for (NamedAttribute entry : train)
    if (!isRunSetting(entry.getName().getValue()))
      kept.push_back(entry);
  return DictionaryAttr::get(train.getContext(), kept);
}

/// `dict` as "key=value" lines, nested dictionaries flattened to
/// "outer.inner=value".
void flattenSettings(DictionaryAttr dict, const std::string &prefix, std::string &out) {
  for (NamedAttribute entry : dict) {
    std::string key = prefix + entry.getName().getValue().str();
    if (auto nested = dyn_cast<DictionaryAttr>(entry.getValue())) {
      flattenSettings(nested, key + ".", out);
      continue;
    }
    std::string value;
    llvm::raw_string_ostream os(value);
    if (auto f = dyn_cast<FloatAttr>(entry.getValue()))
      os << llvm::format("%.17g", f.getValueAsDouble());
    else if (auto i = dyn_cast<IntegerAttr>(entry.getValue()))
      os << i.getValue().getSExtValue();
    else if (auto b = dyn_cast<BoolAttr>(entry.getValue()))
      os << (b.getValue() ? "true" : "false");
    else if (auto text = dyn_cast<StringAttr>(entry.getValue()))
      os << text.getValue();
    else
      entry.getValue().print(os);
    out += key + "=" + value + "\n";
  }
}

} // namespace

void ModelEmitter::emitInfo(llvm::raw_ostream &os) {
  auto train = module->getAttrOfType<DictionaryAttr>("nn.train");
  auto str = [&](DictionaryAttr dict, StringRef key) -> std::string {
    auto attr = dict ? dict.getAs<StringAttr>(key) : StringAttr();
    return attr ? attr.getValue().str() : "";
  };
  auto num = [&](DictionaryAttr dict, StringRef key, double fallback) {
    if (!dict)
      return fallback;
    if (auto f = dict.getAs<FloatAttr>(key))
      return f.getValueAsDouble();
    if (auto i = dict.getAs<IntegerAttr>(key))
      return static_cast<double>(i.getInt());
    return fallback;
  };
  auto sub = [&](StringRef key) {
    return train ? train.getAs<DictionaryAttr>(key) : DictionaryAttr();
  };
  os << "  info_.name = " << quoted(className) << ";\n";
  os << "  info_.fingerprint = " << quoted(fingerprint()) << ";\n";
  if (train) {
    std::string settings;
    flattenSettings(computeSettings(train), "", settings);
    os << "  info_.trainSettings = " << quoted(settings) << ";\n";
  }
  os << "  info_.batch = kBatch;\n";
  if (!grads.empty() && !stepGradients)
    os << "  info_.stepGradients = false;\n";
  if (auto ranks = train ? train.getAs<IntegerAttr>("ranks") : IntegerAttr())
    os << "  info_.ranks = " << ranks.getInt() << ";\n";
  for (unsigned i = 0; i < evalStep.getNumArguments(); ++i) {
    StringRef role = argString(evalStep, i, nn::NNDialect::kRoleAttrName);
    auto type = cast<MemRefType>(evalStep.getArgumentTypes()[i]);
    if (role == "input" || role == "label") {
      auto classes =
          evalStep.getArgAttrOfType<IntegerAttr>(i, nn::NNDialect::kClassesAttrName);
      os << "  info_." << (role == "input" ? "inputs" : "labels") << ".push_back({"
         << quoted(argString(evalStep, i, nn::NNDialect::kNameAttrName)) << ", "
         << dtypeOf(type.getElementType()) << ", " << shapeList(sampleShape(type)) << ", "
         << (classes ? classes.getInt() : 0) << "});\n";
      if (auto range =
              evalStep.getArgAttrOfType<DictionaryAttr>(i, nn::NNDialect::kRangeAttrName)) {
        auto flag = [&](StringRef key) {
          return range.getAs<BoolAttr>(key).getValue() ? "true" : "false";
        };
        os << "  info_." << (role == "input" ? "inputs" : "labels") << ".back().range = {"
           << llvm::format("%.17g", range.getAs<FloatAttr>("low").getValueAsDouble()) << ", "
           << llvm::format("%.17g", range.getAs<FloatAttr>("high").getValueAsDouble()) << ", "
           << flag("high_open") << ", " << flag("integral") << ", "
           << quoted(range.getAs<StringAttr>("use").getValue()) << "};\n";
      }
    } else if (auto out = evalStep.getArgAttrOfType<StringAttr>(i, "kern.out")) {
      if (out.getValue() == "output") {
        os << "  info_.outputShape = " << shapeList(sampleShape(type)) << ";\n";
        os << "  info_.outputDType = " << dtypeOf(type.getElementType()) << ";\n";
      } else if (out.getValue() == "metric") {
        std::string name = argString(evalStep, i, nn::NNDialect::kNameAttrName).str();
        std::string kind = name == "mae"         ? "Mae"
                           : name == "rmse"      ? "Rmse"
                           : name == "precision" ? "Precision"
                           : name == "recall"    ? "Recall"
                           : name == "f1"        ? "F1"
                                                 : "Accuracy";
        // [classes, classes] counts, or [K, 2, 2] for a multi-label classifier.
        int64_t classes = type.getRank() == 2   ? type.getDimSize(0)
                          : type.getRank() == 3 ? type.getDimSize(1)
                                                : 0;
        int64_t labels = type.getRank() == 3 ? type.getDimSize(0) : 0;
        int64_t terms = 1;
        if (type.getRank() == 0) {
          // The error terms one batch sums: the reduction's input per sample.
          evalStep.walk([&](kern::KernelOp kernel) {
            if (kernel.getOuts().front() == evalStep.getArgument(i) &&
                !kernel.getIns().empty()) {
              auto in = cast<MemRefType>(kernel.getIns().front().getType());
              terms = in.getNumElements() / std::max<int64_t>(in.getDimSize(0), 1);
            }
          });
        }
        os << "  info_.metrics.push_back({" << quoted(name) << ", gradc::rt::MetricKind::"
           << kind << ", " << classes << ", " << terms << (labels ? ", " : "")
           << (labels ? std::to_string(labels) : "") << "});\n";
      }
    }
  }
  os << "  info_.optimizer = " << quoted(str(sub("optimizer"), "kind")) << ";\n";
  DictionaryAttr schedule = sub("schedule");
  os << "  info_.schedule.kind = " << quoted(str(schedule, "kind")) << ";\n";
  os << "  info_.schedule.every = " << static_cast<int64_t>(num(schedule, "every", 1)) << ";\n";
  os << "  info_.schedule.gamma = " << num(schedule, "gamma", 1.0) << ";\n";
  os << "  info_.schedule.steps = " << static_cast<int64_t>(num(schedule, "steps", 1)) << ";\n";
  os << "  info_.schedule.warmup = " << static_cast<int64_t>(num(schedule, "warmup", 0))
     << ";\n";
  os << "  info_.schedule.minLr = " << num(schedule, "min_lr", 0.0) << ";\n";
  if (str(schedule, "kind") == "one_cycle") {
    os << "  info_.schedule.pctStart = " << llvm::format("%.17g", num(schedule, "pct_start", 0.3))
       << ";\n";
    os << "  info_.schedule.divFactor = "
       << llvm::format("%.17g", num(schedule, "div_factor", 25)) << ";\n";
    os << "  info_.schedule.finalDivFactor = "
       << llvm::format("%.17g", num(schedule, "final_div_factor", 1e4)) << ";\n";
  }
  os << "  info_.epochs = " << static_cast<int64_t>(num(train, "epochs", 1)) << ";\n";
  os << "  info_.lr = " << llvm::format("%.17g", num(train, "lr", 1e-3)) << ";\n";
  os << "  info_.seed = " << static_cast<int64_t>(num(train, "seed", 0)) << ";\n";
  os << "  info_.validation = " << num(train, "validation", 0.0) << ";\n";
  for (StringRef which : {"data", "test"}) {
    DictionaryAttr data = sub(which);
    if (!data)
      continue;
    std::string kind = str(data, "kind");
    std::string field = "info_." + which.str();
    os << "  " << field << ".kind = " << quoted(kind) << ";\n";
    std::string inputs = kind == "idx" ? "images" : kind == "csv" ? "path" : "inputs";
    os << "  " << field << ".inputs = " << quoted(str(data, inputs)) << ";\n";
    os << "  " << field << ".labels = " << quoted(str(data, "labels")) << ";\n";
    os << "  " << field << ".scale = " << llvm::format("%.17g", num(data, "scale", 1.0))
       << ";\n";
    os << "  " << field << ".labelColumn = " << quoted(str(data, "label_column")) << ";\n";
    if (auto files = data.getAs<DictionaryAttr>("files"))
      for (NamedAttribute file : files)
        os << "  " << field << ".files[" << quoted(file.getName().getValue()) << "] = "
           << quoted(cast<StringAttr>(file.getValue()).getValue()) << ";\n";
    if (!str(data, "layout").empty())
      os << "  " << field << ".layout = " << quoted(str(data, "layout")) << ";\n";
    auto header = data.getAs<BoolAttr>("header");
    os << "  " << field << ".header = " << (header && !header.getValue() ? "false" : "true")
       << ";\n";
  }
  if (DictionaryAttr stopping = sub("early_stopping")) {
    os << "  info_.earlyStoppingMetric = " << quoted(str(stopping, "metric")) << ";\n";
    os << "  info_.earlyStoppingPatience = "
       << static_cast<int64_t>(num(stopping, "patience", 1)) << ";\n";
  }
  if (DictionaryAttr checkpoint = sub("checkpoint")) {
    os << "  info_.checkpointDir = " << quoted(str(checkpoint, "dir")) << ";\n";
    os << "  info_.checkpointEvery = " << static_cast<int64_t>(num(checkpoint, "every", 1000))
       << ";\n";
  }
}

/// 64-bit FNV-1a of the module as printed without locations and without the
/// train section's run settings (isRunSetting): the same computation from the
/// same compiler gives the same fingerprint, wherever the model file and its
/// data are and whatever defaults its flags have.
std::string ModelEmitter::fingerprint() {
  auto train = module->getAttrOfType<DictionaryAttr>("nn.train");
  if (train)
    module->setAttr("nn.train", computeSettings(train));
  std::string text;
  llvm::raw_string_ostream os(text);
  module->print(os, OpPrintingFlags().useLocalScope());
  if (train)
    module->setAttr("nn.train", train);
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  return llvm::utohexstr(hash, /*LowerCase=*/true, /*Width=*/16);
}

/// Named sizes of the entry points' data arguments, so that a program that
/// embeds the model can allocate them: kInputShape/kInputSize (one batch),
/// the same for the label and the output, kClasses, and one k<Metric>Size per
/// metric's statistics.
void ModelEmitter::emitSizes(llvm::raw_ostream &os) {
  auto upperCamel = [](StringRef name) {
    std::string out;
    bool upper = true;
    for (char c : name) {
      if (!std::isalnum(static_cast<unsigned char>(c))) {
        upper = true;
        continue;
      }
      out += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
      upper = false;
    }
    return out;
  };
  auto sizes = [&](const std::string &what, StringRef name, MemRefType type) {
    os << "  static constexpr int64_t k" << what << "Shape[] = "
       << shapeList(type.getShape()) << ";  // " << name << "\n"
       << "  static constexpr int64_t k" << what << "Size = " << type.getNumElements()
       << ";\n";
  };
  for (unsigned i = 0; i < evalStep.getNumArguments(); ++i) {
    StringRef role = argString(evalStep, i, nn::NNDialect::kRoleAttrName);
    StringRef name = argString(evalStep, i, nn::NNDialect::kNameAttrName);
    auto type = cast<MemRefType>(evalStep.getArgumentTypes()[i]);
    auto out = evalStep.getArgAttrOfType<StringAttr>(i, "kern.out");
    // kInputShape for a model's only input, kInputImageShape for its input
    // `image` when it has several; the same for labels.
    if (role == "input") {
      sizes(inputNames.size() == 1 ? "Input" : "Input" + upperCamel(name), name, type);
    } else if (role == "label") {
      const std::string what = labelNames.size() == 1 ? "Label" : "Label" + upperCamel(name);
      sizes(what, name, type);
      if (auto classes = evalStep.getArgAttrOfType<IntegerAttr>(
              i, nn::NNDialect::kClassesAttrName))
        os << "  static constexpr int64_t k"
           << (labelNames.size() == 1 ? std::string() : what) << "Classes = "
           << classes.getInt() << ";\n";
    } else if (out && out.getValue() == "output") {
      sizes("Output", name, type);
    } else if (out && out.getValue() == "metric") {
      os << "  static constexpr int64_t k" << upperCamel(name) << "Size = "
         << std::max<int64_t>(type.getNumElements(), 1) << ";  // metric " << name
         << (type.getRank() == 3   ? ": per label, a confusion matrix [label][prediction]"
             : type.getRank() == 2 ? ": confusion matrix [label][prediction]"
                                 : ": sum of the batch's error terms")
         << "\n";
    }
  }
}

/// A comment naming an entry point's data arguments with their shapes.
std::string ModelEmitter::describe(func::FuncOp func) {
  std::string ins, outs;
  for (unsigned i = 0; i < func.getNumArguments(); ++i) {
    StringRef role = argString(func, i, nn::NNDialect::kRoleAttrName);
    if (isMemberArg(func, i))
      continue;
    StringRef name = argString(func, i, nn::NNDialect::kNameAttrName);
    std::string text = role == "rng" ? std::string("rng_key") : identifier(name);
    text += " " + shapeList(cast<MemRefType>(func.getArgumentTypes()[i]).getShape());
    if (role == "hyper" && name == "lr")
      text += " (learning rate)";
    else if (role == "hyper" && name == "step")
      text += " (optimizer steps so far, this one included: 1, 2, ...)";
    else if (role == "rng")
      text += " (seeds this step's dropout masks)";
    std::string &list = func.getArgAttr(i, "kern.out") ? outs : ins;
    list += (list.empty() ? "" : ", ") + text;
  }
  return "  ///   reads " + ins + "\n  ///   writes " + (outs.empty() ? "nothing else" : outs) +
         "\n";
}

void ModelEmitter::emitGlue(llvm::raw_ostream &os) {
  // Local result buffers of one step.
  auto locals = [&](func::FuncOp func) {
    std::string text;
    for (unsigned i = 0; i < func.getNumArguments(); ++i) {
      auto out = func.getArgAttrOfType<StringAttr>(i, "kern.out");
      if (!out || out.getValue() == "grad")
        continue;
      auto type = cast<MemRefType>(func.getArgumentTypes()[i]);
      text += "  std::vector<" + cType(type.getElementType()) + "> " +
              identifier(argString(func, i, nn::NNDialect::kNameAttrName)) + "(" +
              std::to_string(std::max<int64_t>(type.getNumElements(), 1)) + ");\n";
    }
    return text;
  };
  auto result = [&](func::FuncOp func) {
    std::string text = "  gradc::rt::StepResult result;\n";
    for (unsigned i = 0; i < func.getNumArguments(); ++i) {
      auto out = func.getArgAttrOfType<StringAttr>(i, "kern.out");
      if (!out || out.getValue() == "output" || out.getValue() == "grad")
        continue;
      std::string id = identifier(argString(func, i, nn::NNDialect::kNameAttrName));
      if (out.getValue() == "loss")
        text += "  result.loss = static_cast<double>(" + id + "[0]);\n";
      else
        text += "  for (auto value : " + id + ")\n    result.metricStats.push_back(value);\n";
    }
    return text + "  return result;\n";
  };
  auto hyper = [&](func::FuncOp func) {
    std::string text;
    for (unsigned i = 0; i < func.getNumArguments(); ++i) {
      if (argString(func, i, nn::NNDialect::kRoleAttrName) != "hyper")
        continue;
      auto type = cast<MemRefType>(func.getArgumentTypes()[i]);
      StringRef name = argString(func, i, nn::NNDialect::kNameAttrName);
      std::string value = name == "lr" ? "lr" : "step_";
      text += "  const " + cType(type.getElementType()) + " " + identifier(name) +
              "_value = static_cast<" + cType(type.getElementType()) + ">(" + value + ");\n";
    }
    return text;
  };
  os << "\ngradc::rt::StepResult " << className
     << "::trainStep(const void *const *inputs, const void *const *labels, double lr,\n"
     << "    uint64_t rngKey) {\n"
     << "  ++step_;\n"
     << "  const int64_t key = static_cast<int64_t>(rngKey);\n"
     << "  (void)key;\n"
     << hyper(trainStep) << locals(trainStep) << "  "
     << callExpression(trainStep, "inputs", "labels", "nullptr", true) << ";\n"
     << result(trainStep) << "}\n";
  for (auto [name, func] : {std::pair<StringRef, func::FuncOp>{"evalStep", evalStep},
                            {"evalOne", evalOne}}) {
    os << "\ngradc::rt::StepResult " << className << "::" << name
       << "(const void *const *inputs, const void *const *labels) {\n"
       << locals(func) << "  " << callExpression(func, "inputs", "labels", "nullptr", false)
       << ";\n"
       << result(func) << "}\n";
  }
  if (lossGrad) {
    os << "\ngradc::rt::StepResult " << className
       << "::lossGrad(const void *const *inputs, const void *const *labels, uint64_t rngKey) {\n"
       << "  const int64_t key = static_cast<int64_t>(rngKey);\n"
       << "  (void)key;\n"
       << locals(lossGrad) << "  "
       << callExpression(lossGrad, "inputs", "labels", "nullptr", true) << ";\n"
       << result(lossGrad) << "}\n";
  }
  if (applyUpdate && (trainGrad || lossGrad)) {
    func::FuncOp grad = trainGrad ? trainGrad : lossGrad;
    os << "\ngradc::rt::StepResult " << className
       << "::trainGrad(const void *const *inputs, const void *const *labels, uint64_t rngKey) {\n"
       << "  const int64_t key = static_cast<int64_t>(rngKey);\n"
       << "  (void)key;\n"
       << locals(grad) << "  " << callExpression(grad, "inputs", "labels", "nullptr", true)
       << ";\n"
       << result(grad) << "}\n";
  }
  if (applyUpdate) {
    os << "\nvoid " << className << "::applyUpdate(double lr) {\n"
       << "  ++step_;\n"
       << hyper(applyUpdate) << "  "
       << callExpression(applyUpdate, "nullptr", "nullptr", "nullptr", true) << ";\n}\n";
  }
  os << "\nstd::vector<gradc::rt::BufferRef> " << className << "::gradients() {\n"
     << "  using gradc::rt::BufferKind;\n  return {\n";
  for (const Member &g : grads)
    os << "      {" << quoted(g.name) << ", BufferKind::Grad, "
       << dtypeOf(g.type.getElementType()) << ", " << shapeList(g.type.getShape()) << ", "
       << g.id << "},\n";
  os << "  };\n}\n";
  for (auto [name, func] : {std::pair<StringRef, func::FuncOp>{"predict", predict},
                            {"predictOne", predictOne}}) {
    os << "\nvoid " << className << "::" << name
       << "(const void *const *inputs, void *outputs) {\n  "
       << callExpression(func, "inputs", "nullptr", "outputs", false) << ";\n}\n";
  }
}

FailureOr<EmittedModel> ModelEmitter::run() {
  if (failed(collect()))
    return failure();
  EmittedModel model;
  model.className = className;
  model.fileStem = snakeCase(className);
  int64_t batch = 0;
  for (unsigned i = 0; i < evalStep.getNumArguments(); ++i)
    if (argString(evalStep, i, nn::NNDialect::kRoleAttrName) == "input")
      batch = cast<MemRefType>(evalStep.getArgumentTypes()[i]).getDimSize(0);

  llvm::raw_string_ostream h(model.header);
  h << "// " << model.fileStem << ".h -- generated by gradc from " << sourceName
    << "; do not edit.\n"
    << "#pragma once\n\n#include \"gradc/runtime/model.h\"\n#include \"gradc/runtime/tensor.h\"\n\n"
    << "#include <cstdint>\n#include <string_view>\n#include <vector>\n\n"
    << "/// The model " << className << " of " << sourceName
    << ": typed entry points over its own\n/// parameters, and the gradc::rt::Model "
       "interface the runtime's trainer drives.\n"
    << "class " << className << " final : public gradc::rt::Model {\npublic:\n"
    << "  static constexpr int64_t kBatch = " << batch << ";\n"
    << "  static constexpr int64_t kStateBytes = " << stateBytes << ";\n"
    << "  static constexpr int64_t kGradBytes = " << gradBytes << ";\n"
    << "  static constexpr int64_t kScratchBytes = " << scratchBytes << ";\n";
  emitSizes(h);
  h << "\n  " << className << "();\n\n"
    << "  // gradc::rt::Model\n"
    << "  const gradc::rt::ModelInfo &info() const override { return info_; }\n"
    << "  std::vector<gradc::rt::BufferRef> buffers() override;\n"
    << "  void resetOptimizer() override;\n"
    << "  // The Model interface: one pointer per input and per label (docs/compiler.md).\n"
    << "  gradc::rt::StepResult trainStep(const void *const *inputs, const void *const *labels,\n"
    << "                                  double lr, uint64_t rngKey) override;\n"
    << "  gradc::rt::StepResult evalStep(const void *const *inputs,\n"
    << "                                 const void *const *labels) override;\n"
    << "  gradc::rt::StepResult evalOne(const void *const *inputs,\n"
    << "                                const void *const *labels) override;\n"
    << "  void predict(const void *const *inputs, void *outputs) override;\n"
    << "  void predictOne(const void *const *inputs, void *outputs) override;\n"
    << "  int64_t step() const override { return step_; }\n"
    << "  void setStep(int64_t step) override { step_ = step; }\n"
    << "  std::vector<gradc::rt::BufferRef> gradients() override;\n"
    << (lossGrad ? "  gradc::rt::StepResult lossGrad(const void *const *inputs,\n"
                   "                                 const void *const *labels,\n"
                   "                                 uint64_t rngKey) override;\n"
                 : "")
    << (applyUpdate && (trainGrad || lossGrad)
            ? "  gradc::rt::StepResult trainGrad(const void *const *inputs,\n"
              "                                  const void *const *labels,\n"
              "                                  uint64_t rngKey) override;\n"
            : "")
    << (applyUpdate ? "  void applyUpdate(double lr) override;\n" : "")
    << "  void setCheckNumerics(bool on) override { checkNumerics_ = on; }\n\n"
    << "  // Entry points over arrays of kBatch samples (*_one: of one sample), row-major.\n";
  const std::pair<func::FuncOp, StringRef> entryPoints[] = {
      {trainStep, "One optimizer step on a batch: forward, backward, and the update of\n"
                  "  /// the parameters and optimizer state (the caller counts the steps)."},
      {evalStep, "The loss, metric statistics and output of a batch, in evaluation mode."},
      {lossGrad, "The loss, metric statistics and gradients (grad_* members) of a batch,\n"
                 "  /// in training mode, without updating anything."},
      {trainGrad, "loss_grad that also updates the running statistics, as train_step\n"
                  "  /// does: the first half of a data-parallel step."},
      {applyUpdate, "The update of train_step from the grad_* members as they are (after\n"
                    "  /// averaging them across processes): parameters and optimizer state."},
      {evalOne, "eval_step on one sample."},
      {predict, "The output of a batch, in evaluation mode."},
      {predictOne, "predict on one sample."}};
  for (auto [func, summary] : entryPoints)
    if (func)
    h << "  /// " << summary << "\n" << describe(func) << "  " << signature(func, false)
      << ";\n";
  h << "\n  /// The parameter, buffer or optimizer state of that name, as weights files\n"
    << "  /// name it (\"dense_0.weight\"); throws gradc::rt::Error for an unknown name.\n"
    << "  gradc::rt::BufferRef parameter(std::string_view name);\n";
  h << "\n  // Parameters, buffers and optimizer state, by model name.\n";
  for (const Member &m : members)
    h << "  " << cType(m.type.getElementType()) << " *" << m.id << " = nullptr;  // "
      << m.name << " " << shapeList(m.type.getShape()) << "\n";
  h << "\n  // Gradients of the last train_step or loss_grad, one contiguous buffer of\n"
    << "  // kGradBytes in parameter order.\n";
  for (const Member &g : grads)
    h << "  " << cType(g.type.getElementType()) << " *" << g.id << " = nullptr;  // d loss / d "
      << g.name << "\n";
  h << "\nprivate:\n  gradc::rt::ModelInfo info_;\n  int64_t step_ = 0;\n"
    << "  bool checkNumerics_ = false;\n"
    << "  gradc::rt::Tensor state_;\n  gradc::rt::Tensor gradStorage_;\n"
    << "  gradc::rt::Tensor scratchStorage_;\n"
    << "  uint8_t *scratch_ = nullptr;\n};\n";

  llvm::raw_string_ostream s(model.source);
  s << "// " << model.fileStem << ".cpp -- generated by gradc from " << sourceName
    << "; do not edit.\n"
    << "#include \"" << model.fileStem << ".h\"\n\n"
    << "#include \"gradc/runtime/error.h\"\n#include \"gradc/runtime/kernels.h\"\n\n"
    << "#include <algorithm>\n#include <cmath>\n#include <cstring>\n#include <limits>\n\n"
    << className << "::" << className << "()\n"
    << "    : state_(gradc::rt::DType::U8, {kStateBytes}),\n"
    << "      gradStorage_(gradc::rt::DType::U8, {kGradBytes}),\n"
    << "      scratchStorage_(gradc::rt::DType::U8, {kScratchBytes}) {\n"
    << "  uint8_t *state = state_.data<uint8_t>();\n"
    << "  uint8_t *grads = gradStorage_.data<uint8_t>();\n"
    << "  scratch_ = scratchStorage_.data<uint8_t>();\n";
  for (const Member &m : members)
    s << "  " << m.id << " = reinterpret_cast<" << cType(m.type.getElementType())
      << " *>(state + " << m.offset << ");\n";
  for (const Member &g : grads)
    s << "  " << g.id << " = reinterpret_cast<" << cType(g.type.getElementType())
      << " *>(grads + " << g.offset << ");\n";
  if (grads.empty())
    s << "  (void)grads;\n";
  emitInfo(s);
  s << "}\n\nstd::vector<gradc::rt::BufferRef> " << className << "::buffers() {\n"
    << "  using gradc::rt::BufferKind;\n  using gradc::rt::Init;\n  return {\n";
  for (const Member &m : members) {
    StringRef suffix = StringRef(m.name).rsplit('.').second;
    std::string role = suffix.str();
    std::string init = m.init == "he"       ? "He"
                       : m.init == "xavier" ? "Xavier"
                       : m.init == "normal" ? "Normal"
                       : m.init == "zeros"  ? "Zeros"
                       : m.init == "ones"   ? "Ones"
                                            : "Default";
    if (m.init == "unit_normal")
      role = "embedding";
    ArrayRef<int64_t> shape = m.type.getShape();
    int64_t fanIn = 0, fanOut = 0;
    if (shape.size() >= 2) {
      int64_t receptive = 1;
      for (int64_t d : shape.drop_front(2))
        receptive *= d;
      fanIn = shape[1] * receptive;
      fanOut = shape[0] * receptive;
    } else if (role == "bias") {
      std::string weight = StringRef(m.name).rsplit('.').first.str() + ".weight";
      auto it = memberIndex.find(weight);
      if (it != memberIndex.end()) {
        // The weight's fan-in: every axis but the first (none for a scalar).
        ArrayRef<int64_t> w = members[it->second].type.getShape();
        fanIn = 1;
        for (int64_t d : w.empty() ? w : w.drop_front())
          fanIn *= d;
      }
    }
    std::string kind = m.role == "param" ? "Param" : m.role == "buffer" ? "Buffer" : "OptState";
    s << "      {" << quoted(m.name) << ", BufferKind::" << kind << ", "
      << dtypeOf(m.type.getElementType()) << ", " << shapeList(shape) << ", " << m.id
      << ", Init::" << (m.role == "opt_state" ? "Zeros" : init) << ", "
      << (m.role == "param" && !m.frozen ? "true" : "false") << ", " << fanIn << ", "
      << fanOut << ", " << quoted(role) << "},\n";
  }
  s << "  };\n}\n\ngradc::rt::BufferRef " << className
    << "::parameter(std::string_view name) {\n"
    << "  for (gradc::rt::BufferRef &buffer : buffers())\n"
    << "    if (buffer.name == name)\n      return buffer;\n"
    << "  throw gradc::rt::Error(\"" << className
    << " has no parameter, buffer or optimizer state named '\" +\n"
    << "                         std::string(name) + \"'\");\n}\n";
  s << "\nvoid " << className << "::resetOptimizer() {\n";
  for (const Member &m : members)
    if (m.role == "opt_state")
      s << "  std::fill_n(" << m.id << ", " << m.type.getNumElements() << ", "
        << cType(m.type.getElementType()) << "(0));\n";
  s << "  step_ = 0;\n}\n";
  emitGlue(s);
  for (func::FuncOp func : entryFuncs)
    if (failed(emitFunction(func, s)))
      return failure();

  llvm::raw_string_ostream m(model.mainSource);
  m << "// main.cpp -- generated by gradc from " << sourceName << ": trains " << className
    << ".\n#include \"" << model.fileStem << ".h\"\n\n#include \"gradc/runtime/trainer.h\"\n\n"
    << "int main(int argc, char **argv) {\n  " << className << " model;\n"
    << "  return gradc::rt::trainerMain(model, argc, argv);\n}\n";
  return model;
}

} // namespace

FailureOr<EmittedModel> gradc::emitCpp(ModuleOp module, StringRef sourceName,
                                       const llvm::SourceMgr *sourceMgr) {
  return ModelEmitter(module, sourceName, sourceMgr).run();
}
