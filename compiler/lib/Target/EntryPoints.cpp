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

