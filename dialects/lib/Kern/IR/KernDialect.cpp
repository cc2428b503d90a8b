//===- KernDialect.cpp - the kern dialect ---------------------------------===//

#include "gradc/Dialect/Kern/IR/KernOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/StringSwitch.h"

using namespace mlir;
using namespace gradc::kern;

#include "gradc/Dialect/Kern/IR/KernDialect.cpp.inc"

void KernDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "gradc/Dialect/Kern/IR/KernOps.cpp.inc"
      >();
}

LogicalResult KernDialect::verifyRegionArgAttribute(Operation *op, unsigned,
                                                    unsigned argIndex,
                                                    NamedAttribute attribute) {
  StringRef name = attribute.getName().strref();
  if (name == "kern.out") {
    auto role = dyn_cast<StringAttr>(attribute.getValue());
    if (!role || !llvm::is_contained({"loss", "metric", "output"}, role.getValue()))
      return op->emitOpError() << "argument #" << argIndex
                               << " attribute 'kern.out' expected one of loss, metric, "
                                  "output, found "
                               << attribute.getValue();
    return success();
  }
  return op->emitOpError() << "argument #" << argIndex << " has unknown attribute '"
                           << name << "'";
}

#define GET_OP_CLASSES
#include "gradc/Dialect/Kern/IR/KernOps.cpp.inc"

LogicalResult ViewOp::verify() {
  auto source = cast<MemRefType>(getSource().getType());
  auto result = cast<MemRefType>(getResult().getType());
  if (source.getElementType() != result.getElementType() ||
      source.getNumElements() != result.getNumElements())
    return emitOpError() << "expected a view with the element type and count of "
                         << source << ", found " << result;
  return success();
}

bool KernelOp::isElementwise() {
  return llvm::StringSwitch<bool>(getCallee())
      .Cases("nn.add", "nn.sub", "nn.mul", "nn.div", "nn.maximum", "nn.minimum",
             "nn.pow", true)
      .Cases("nn.compare", "nn.select", "nn.cast", "nn.neg", "nn.exp", "nn.log",
             "nn.sqrt", true)
      .Cases("nn.rsqrt", "nn.abs", "nn.sign", "nn.square", "nn.erf", "nn.relu",
             "nn.sigmoid", true)
      .Cases("nn.tanh", "nn.gelu", "nn.softplus", "nn.leaky_relu", true)
      .Default(false);
}

LogicalResult KernelOp::verify() {
  StringRef callee = getCallee();
  if (!callee.starts_with("nn.") ||
      !getContext()->isOperationRegistered(callee))
    return emitOpError() << "expected the callee to name an nn op, found '" << callee
                         << "'";
  if (getOuts().empty())
    return emitOpError() << "expected at least one output buffer";
  if (!isElementwise())
    for (Value out : getOuts())
      if (llvm::is_contained(getIns(), out))
        return emitOpError() << "'" << callee
                             << "' is not elementwise and cannot write an input buffer";
  return success();
}
