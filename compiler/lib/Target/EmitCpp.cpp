//===- EmitCpp.cpp - kern-level modules to a C++ model class --------------===//
//
// Prints <model>.h (the class, its sizes and typed entry points) and
// <model>.cpp (one function per entry point: each kernel a runtime call or a
// loop nest under a comment naming its model-file line), plus the glue that
// implements gradc::rt::Model so the runtime's trainer can drive it. This
// file holds the class and the glue; EntryPoints.cpp the entry points'
// bodies, ModelInfo.cpp what the trainer reads (ModelEmitter.h).
//
//===----------------------------------------------------------------------===//

#include "ModelEmitter.h"

#include "gradc/Dialect/Kern/IR/KernOps.h"
#include "gradc/Dialect/NN/IR/NNDialect.h"
#include "gradc/Dialect/Kern/Analysis/KernGraph.h"
#include "gradc/Transforms/SourceLines.h"

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
      if (kern::outputRole(func, i) != Role::Grad)
        continue;
      Member grad;
      grad.name = argString(func, i, nn::NNDialect::kNameAttrName).str();
      grad.id = gradId(grad.name);
      grad.role = Role::Grad;
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
    std::optional<Role> role = nn::argumentRole(evalStep, i);
    std::string name = argString(evalStep, i, nn::NNDialect::kNameAttrName).str();
    if (role == Role::Input)
      dataIndex.try_emplace(name, inputNames.size()), inputNames.push_back(name);
    else if (role == Role::Label)
      dataIndex.try_emplace(name, labelNames.size()), labelNames.push_back(name);
  }
  for (func::FuncOp func : entryFuncs) {
    for (unsigned i = 0; i < func.getNumArguments(); ++i) {
      std::optional<Role> role = nn::argumentRole(func, i);
      if ((role == Role::Input || role == Role::Label) &&
          !dataIndex.count(argString(func, i, nn::NNDialect::kNameAttrName).str()))
        return func.emitError() << "the " << nn::stringifyRole(*role) << " '"
                                << argString(func, i, nn::NNDialect::kNameAttrName)
                                << "' of @" << func.getSymName() << " is not one of @eval_step";
      if (role != Role::Param && role != Role::Buffer && role != Role::OptState)
        continue;
      std::string name = argString(func, i, nn::NNDialect::kNameAttrName).str();
      if (memberIndex.count(name))
        continue;
      Member member;
      member.name = name;
      member.id = identifier(name);
      member.role = *role;
      member.init = argString(func, i, nn::NNDialect::kInitAttrName).str();
      if (auto scale = func.getArgAttrOfType<FloatAttr>(i, nn::NNDialect::kInitScaleAttrName))
        member.initScale = scale.getValueAsDouble();
      member.frozen = static_cast<bool>(func.getArgAttr(i, nn::NNDialect::kFrozenAttrName));
      member.initData =
          func.getArgAttrOfType<DenseElementsAttr>(i, nn::NNDialect::kInitDataAttrName);
      if (member.init == "data" && !member.initData)
        return func.emitError() << "the parameter '" << name
                                << "' starts from data, but has no nn.init_data";
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
  for (const EntryArgument &arg : entryArguments(func)) {
    text += (first ? "" : ", ") + std::string(arg.out ? "" : "const ") +
            cType(arg.type.getElementType()) + " *" + arg.id;
    first = false;
  }
  return text + ")";
}

std::string ModelEmitter::describe(func::FuncOp func) {
  std::string ins, outs;
  for (const EntryArgument &arg : entryArguments(func)) {
    std::string text = arg.id + " " + shapeList(arg.type.getShape());
    if (arg.role == Role::Hyper && arg.name == "lr")
      text += " (learning rate)";
    else if (arg.role == Role::Hyper && arg.name == "step")
      text += " (optimizer steps so far, this one included: 1, 2, ...)";
    else if (arg.role == Role::Rng)
      text += " (seeds this step's dropout masks)";
    std::string &list = arg.out ? outs : ins;
    list += (list.empty() ? "" : ", ") + text;
  }
  return "  ///   reads " + ins + "\n  ///   writes " + (outs.empty() ? "nothing else" : outs) +
         "\n";
}

void ModelEmitter::emitGlue(llvm::raw_ostream &os) {
  // An entry point is called through gradc::rt::callEntry, so that what it
  // throws (a kernel's error, a non-finite value under --check-numerics)
  // reaches the trainer (gradc/runtime/vector_clones.h).
  auto entry = [](const std::string &call) {
    return "gradc::rt::callEntry([&] { " + call + "; })";
  };
  // Local result buffers of one step.
  auto locals = [&](func::FuncOp func) {
    std::string text;
    for (const EntryArgument &arg : entryArguments(func))
      if (arg.out)
        text += "  std::vector<" + cType(arg.type.getElementType()) + "> " + arg.id + "(" +
                std::to_string(std::max<int64_t>(arg.type.getNumElements(), 1)) + ");\n";
    return text;
  };
  auto result = [&](func::FuncOp func) {
    std::string text = "  gradc::rt::StepResult result;\n";
    for (const EntryArgument &arg : entryArguments(func)) {
      if (arg.out == Role::Loss)
        text += "  result.loss = static_cast<double>(" + arg.id + "[0]);\n";
      else if (arg.out == Role::Metric)
        text += "  for (auto value : " + arg.id + ")\n    result.metricStats.push_back(value);\n";
    }
    return text + "  return result;\n";
  };
  auto hyper = [&](func::FuncOp func) {
    std::string text;
    for (const EntryArgument &arg : entryArguments(func)) {
      if (arg.role != Role::Hyper)
        continue;
      std::string t = cType(arg.type.getElementType());
      text += "  const " + t + " " + arg.id + "_value = static_cast<" + t + ">(" +
              (arg.name == "lr" ? "lr" : "step_") + ");\n";
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
     << entry(callExpression(trainStep, "inputs", "labels", "nullptr", true)) << ";\n"
     << result(trainStep) << "}\n";
  for (auto [name, func] : {std::pair<StringRef, func::FuncOp>{"evalStep", evalStep},
                            {"evalOne", evalOne}}) {
    os << "\ngradc::rt::StepResult " << className << "::" << name
       << "(const void *const *inputs, const void *const *labels) {\n"
       << locals(func) << "  " << entry(callExpression(func, "inputs", "labels", "nullptr", false))
       << ";\n"
       << result(func) << "}\n";
  }
  if (lossGrad) {
    os << "\ngradc::rt::StepResult " << className
       << "::lossGrad(const void *const *inputs, const void *const *labels, uint64_t rngKey) {\n"
       << "  const int64_t key = static_cast<int64_t>(rngKey);\n"
       << "  (void)key;\n"
       << locals(lossGrad) << "  "
       << entry(callExpression(lossGrad, "inputs", "labels", "nullptr", true)) << ";\n"
       << result(lossGrad) << "}\n";
  }
  if (applyUpdate && (trainGrad || lossGrad)) {
    func::FuncOp grad = trainGrad ? trainGrad : lossGrad;
    os << "\ngradc::rt::StepResult " << className
       << "::trainGrad(const void *const *inputs, const void *const *labels, uint64_t rngKey) {\n"
       << "  const int64_t key = static_cast<int64_t>(rngKey);\n"
       << "  (void)key;\n"
       << locals(grad) << "  " << entry(callExpression(grad, "inputs", "labels", "nullptr", true))
       << ";\n"
       << result(grad) << "}\n";
  }
  if (applyUpdate) {
    os << "\nvoid " << className << "::applyUpdate(double lr) {\n"
       << "  ++step_;\n"
       << hyper(applyUpdate) << "  "
       << entry(callExpression(applyUpdate, "nullptr", "nullptr", "nullptr", true)) << ";\n}\n";
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
       << entry(callExpression(func, "inputs", "nullptr", "outputs", false)) << ";\n}\n";
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
    if (nn::argumentRole(evalStep, i) == Role::Input)
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

  // The initial values of parameters that start from data, one after
  // another, each 64-byte aligned.
  for (Member &m : members) {
    if (!m.initData)
      continue;
    model.initialValues.resize(alignUp(model.initialValues.size()), '\0');
    m.initOffset = static_cast<int64_t>(model.initialValues.size());
    auto append = [&](const auto &values) {
      for (auto v : values)
        model.initialValues.append(reinterpret_cast<const char *>(&v), sizeof v);
    };
    if (m.initData.getElementType().isF64())
      append(m.initData.getValues<double>());
    else
      append(m.initData.getValues<float>());
  }
  initialValuesSymbol = "gradc_" + model.fileStem + "_initial_values";
  llvm::raw_string_ostream s(model.source);
  s << "// " << model.fileStem << ".cpp -- generated by gradc from " << sourceName
    << "; do not edit.\n"
    << "#include \"" << model.fileStem << ".h\"\n\n"
    << "#include \"gradc/runtime/error.h\"\n#include \"gradc/runtime/kernels.h\"\n"
    << "#include \"gradc/runtime/math.h\"\n"
    << "#include \"gradc/runtime/vector_clones.h\"\n\n"
    << "#include <algorithm>\n#include <cmath>\n#include <cstring>\n#include <limits>\n\n";
  if (!model.initialValues.empty())
    s << "// The initial values of the parameters that start from stored data (an imported\n"
      << "// graph's initializers), " << model.initialValues.size()
      << " bytes: " << model.fileStem << ".init.bin, next to this file, built into the\n"
      << "// program (compile with -Wa,-I,<its folder>).\n"
      << "asm(\".pushsection .rodata\\n\"\n"
      << "    \".balign 64\\n\"\n"
      << "    \".globl " << initialValuesSymbol << "\\n\"\n"
      << "    \".hidden " << initialValuesSymbol << "\\n\"\n"
      << "    \"" << initialValuesSymbol << ":\\n\"\n"
      << "    \".incbin \\\"" << model.fileStem << ".init.bin\\\"\\n\"\n"
      << "    \".popsection\\n\");\n"
      << "extern \"C\" __attribute__((visibility(\"hidden\"))) const unsigned char "
      << initialValuesSymbol << "[];\n\n";
  emitOnnxGraph(s);
  s
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
    std::string init = m.init == "data"     ? "Data"
                       : m.init == "he"       ? "He"
                       : m.init == "xavier" ? "Xavier"
                       : m.init == "normal" ? "Normal"
                       : m.init == "zeros"  ? "Zeros"
                       : m.init == "ones"   ? "Ones"
                       : m.init == "uniform" ? "Uniform"
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
    std::string kind = m.role == Role::Param ? "Param" : m.role == Role::Buffer ? "Buffer" : "OptState";
    s << "      {" << quoted(m.name) << ", BufferKind::" << kind << ", "
      << dtypeOf(m.type.getElementType()) << ", " << shapeList(shape) << ", " << m.id
      << ", Init::" << (m.role == Role::OptState ? "Zeros" : init) << ", "
      << (m.role == Role::Param && !m.frozen ? "true" : "false") << ", " << fanIn << ", "
      << fanOut << ", " << quoted(role);
    if (m.initScale > 0 || m.initData)
      s << ", " << llvm::format("%.17g", m.initScale);
    if (m.initData)
      s << ", " << initialValuesSymbol << " + " << m.initOffset;
    s << "},\n";
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
    if (m.role == Role::OptState)
      s << "  std::fill_n(" << m.id << ", " << m.type.getNumElements() << ", "
        << cType(m.type.getElementType()) << "(0));\n";
  s << "  step_ = 0;\n}\n";
  emitGlue(s);
  // The entry points, after the update loops they share.
  findSharedLoops();
  std::string bodies;
  llvm::raw_string_ostream b(bodies);
  for (func::FuncOp func : entryFuncs)
    if (failed(emitFunction(func, b)))
      return failure();
  if (!sharedLoops.empty())
    s << "\nnamespace {\n" << sharedLoops << "\n} // namespace\n";
  s << bodies;

  llvm::raw_string_ostream m(model.mainSource);
  m << "// main.cpp -- generated by gradc from " << sourceName << ": trains " << className
    << ".\n#include \"" << model.fileStem << ".h\"\n\n#include \"gradc/runtime/trainer.h\"\n\n"
    << "int main(int argc, char **argv) {\n  " << className << " model;\n"
    << "  return gradc::rt::trainerMain(model, argc, argv);\n}\n";
  return model;
}

FailureOr<EmittedModel> gradc::emitCpp(ModuleOp module, StringRef sourceName,
                                       const llvm::SourceMgr *sourceMgr,
                                       const OnnxExport *onnx) {
  return ModelEmitter(module, sourceName, sourceMgr, onnx).run();
}
