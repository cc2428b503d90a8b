//===- EntryPoints.cpp - the bodies of a model's entry points -------------===//
//
// One C++ function per kern-level entry point: its temporaries at their
// planned offsets, then each step (a kernel, a fused group, a copy) under a
// comment naming its model-file line.
//
//===----------------------------------------------------------------------===//

#include "ModelEmitter.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/Format.h"

using namespace mlir;
using namespace gradc;
using namespace gradc::emit;

//===----------------------------------------------------------------------===//
// Shared update loops
//===----------------------------------------------------------------------===//
//
// An optimizer updates every parameter by the same formula: its fused loops
// differ only in their buffers and size. Those that are the same are written
// once, as a function of the element count and the buffers, and called per
// parameter; each element is computed as before, so nothing changes but the
// code's length.

namespace {

/// What a fused group reads and writes outside itself, in order of first
/// use; empty when the group cannot be a shared loop (it has a producer or a
/// view, or updates no parameter).
struct LoopInterface {
  SmallVector<Value> buffers;
  SmallVector<bool> written;
  Value param; ///< the parameter it updates
};

std::optional<LoopInterface> loopInterface(kern::FusedOp fused) {
  if (fused.getKind() != "elementwise")
    return std::nullopt;
  auto func = fused->getParentOfType<func::FuncOp>();
  LoopInterface loop;
  auto add = [&](Value v, bool write) {
    auto *it = llvm::find(loop.buffers, v);
    if (it == loop.buffers.end()) {
      loop.buffers.push_back(v);
      loop.written.push_back(write);
    } else {
      loop.written[it - loop.buffers.begin()] |= write;
    }
  };
  for (kern::KernelOp kernel : fused.getKernels()) {
    if (kernel.isConstant())
      continue;
    for (Value in : kernel.getIns())
      if (!fused.isLocal(in))
        add(in, false);
    for (Value out : kernel.getOuts()) {
      if (fused.isLocal(out))
        continue;
      add(out, true);
      auto arg = dyn_cast<BlockArgument>(out);
      if (!loop.param && arg && arg.getOwner()->getParentOp() == func &&
          nn::argumentRole(func, arg.getArgNumber()) == Role::Param)
        loop.param = out;
    }
  }
  if (!loop.param)
    return std::nullopt;
  for (Value v : loop.buffers)
    if (rootBuffer(v) != v)
      return std::nullopt;
  return loop;
}

/// The group's loop with its buffers as parameters p0, p1, ... and its size
/// as n: groups with the same text are one function.
std::string loopKey(kern::FusedOp fused, const LoopInterface &loop) {
  llvm::DenseMap<Value, std::string> positional;
  for (auto [i, v] : llvm::enumerate(loop.buffers))
    positional[v] = "p" + std::to_string(i);
  std::string text;
  llvm::raw_string_ostream os(text);
  KernelPrinter printer(os, positional);
  printer.setLoopCount("n");
  if (failed(printer.printFused(fused)))
    return "";
  for (auto [i, v] : llvm::enumerate(loop.buffers))
    os << (loop.written[i] ? " w:" : " r:") << cType(cast<MemRefType>(v.getType()).getElementType());
  return text;
}

} // namespace

/// Finds the update loops that two or more parameters share.
void ModelEmitter::findSharedLoops() {
  std::map<std::string, std::vector<std::string>> users;
  for (func::FuncOp func : entryFuncs)
    func.walk([&](kern::FusedOp fused) {
      std::optional<LoopInterface> loop = loopInterface(fused);
      if (!loop)
        return;
      std::string key = loopKey(fused, *loop);
      if (key.empty())
        return;
      sharedLoopKeys[fused] = key;
      StringRef param = argString(func, cast<BlockArgument>(loop->param).getArgNumber(),
                                  nn::NNDialect::kNameAttrName);
      std::vector<std::string> &names = users[key];
      if (!llvm::is_contained(names, param.str()))
        names.push_back(param.str());
    });
  for (auto &[key, names] : users)
    if (names.size() > 1)
      sharedLoopUsers[key] = names;
  // Only the groups of shared loops keep their key.
  for (auto it = sharedLoopKeys.begin(); it != sharedLoopKeys.end();)
    if (sharedLoopUsers.count(it->second))
      ++it;
    else
      it = sharedLoopKeys.erase(it);
}

/// Calls the shared loop of `fused`, printing its function the first time:
/// its parameters named as the first caller's buffers, less the parameter's
/// own name (grad_dense_0_bias: grad; dense_0_bias_exp_avg: exp_avg).
LogicalResult ModelEmitter::printSharedLoopCall(kern::FusedOp fused, const std::string &key,
                                                const llvm::DenseMap<Value, std::string> &names,
                                                llvm::raw_ostream &os) {
  LoopInterface loop = *loopInterface(fused);
  std::string &function = sharedLoopNames[key];
  if (function.empty()) {
    auto train = module->getAttrOfType<nn::TrainAttr>(nn::NNDialect::kTrainAttrName);
    std::string base =
        (train ? nn::stringifyOptimizerKind(train.getOptimizer().getKind()).str() + "_" : "") +
        "update";
    function = base;
    for (int n = 1; llvm::any_of(sharedLoopNames, [&](const auto &entry) {
           return entry.first != key && entry.second == function;
         });
         ++n)
      function = base + "_" + std::to_string(n);
    std::string stem = names.lookup(loop.param);
    llvm::DenseMap<Value, std::string> params;
    llvm::StringSet<> taken{"n"};
    std::string declaration;
    for (auto [i, v] : llvm::enumerate(loop.buffers)) {
      std::string id = names.lookup(v);
      if (id == stem) {
        id = "param";
      } else if (size_t at = id.find(stem); at != std::string::npos) {
        id.erase(at, stem.size());
        id = StringRef(id).trim('_').str();
      }
      if (id.empty())
        id = "p" + std::to_string(i);
      std::string unique = id;
      for (int n = 0; taken.contains(unique); ++n)
        unique = id + "_" + std::to_string(n);
      taken.insert(unique);
      params[v] = unique;
      declaration += std::string(", ") + (loop.written[i] ? "" : "const ") +
                     cType(cast<MemRefType>(v.getType()).getElementType()) + " *" + unique;
    }
    llvm::raw_string_ostream out(sharedLoops);
    out << "\n/// The " << base << " of one parameter, element by element; the same loop for "
        << llvm::join(sharedLoopUsers.at(key), ", ") << ".\n"
        << "GRADC_VECTOR_CLONES static void " << function << "(int64_t n" << declaration
        << ") {\n";
    KernelPrinter printer(out, params);
    printer.setLoopCount("n");
    if (failed(printer.printFused(fused)))
      return failure();
    out << "}\n";
  }
  os << "  " << function << "(" << cpp::product(fused.getShape());
  for (Value v : loop.buffers)
    os << ", " << names.lookup(v);
  os << ");\n";
  return success();
}

LogicalResult ModelEmitter::emitFunction(func::FuncOp func, llvm::raw_ostream &os) {
  llvm::DenseMap<Value, std::string> names;
  llvm::StringSet<> used;
  for (unsigned i = 0; i < func.getNumArguments(); ++i) {
    std::optional<Role> role = nn::argumentRole(func, i);
    StringRef name = argString(func, i, nn::NNDialect::kNameAttrName);
    if (role == Role::Rng)
      name = "rng_key";
    std::string id = kern::outputRole(func, i) == Role::Grad || role == Role::Grad
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

  // A training step's vector loops at the processor's widest
  // (gradc/runtime/vector_clones.h): its code is compiled once per width,
  // which the steps that train are worth and the others (evaluation,
  // prediction: a fraction of a run's time) are not.
  // (The steps that train read the learning rate, or compute gradients for
  // an update elsewhere, as data-parallel training does.)
  bool trains = false;
  for (unsigned i = 0; i < func.getNumArguments(); ++i)
    trains |= nn::argumentRole(func, i) == Role::Hyper ||
              kern::outputRole(func, i) == Role::Grad;
  os << "\n" << (trains ? "GRADC_VECTOR_CLONES " : "") << signature(func, true) << " {\n";
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
      auto shared = sharedLoopKeys.find(fused);
      if (shared != sharedLoopKeys.end()) {
        if (failed(printSharedLoopCall(fused, shared->second, names, os)))
          return failure();
      } else if (failed(printer.printFused(fused))) {
        return failure();
      }
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
  for (const EntryArgument &a : entryArguments(func)) {
    std::string t = cType(a.type.getElementType());
    std::string arg;
    if (a.role == Role::Input || a.role == Role::Label)
      arg = "static_cast<const " + t + " *>(" + (a.role == Role::Input ? inputs : labels).str() +
            "[" + std::to_string(dataIndex.at(a.name.str())) + "])";
    else if (a.role == Role::Hyper)
      arg = "&" + a.id + "_value";
    else if (a.role == Role::Rng)
      arg = "&key";
    else if (a.out == Role::Output && outputs != "nullptr")
      arg = "static_cast<" + t + " *>(" + outputs.str() + ")";
    else
      arg = a.id + ".data()";
    call += (first ? "" : ", ") + arg;
    first = false;
  }
  (void)training;
  return call + ")";
}

