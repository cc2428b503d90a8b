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
    if (!role || !llvm::is_contained({"loss", "metric", "output", "grad"}, role.getValue()))
      return op->emitOpError() << "argument #" << argIndex
                               << " attribute 'kern.out' expected one of loss, metric, "
                                  "output, grad, found "
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

bool KernelOp::isEpilogueProducer() {
  return llvm::StringSwitch<bool>(getCallee())
      .Cases("nn.linear", "nn.conv2d", "nn.batch_norm_train", "nn.batch_norm_eval",
             "nn.layer_norm", true)
      .Case("nn.matmul", cast<MemRefType>(getOuts().front().getType()).getRank() == 2)
      .Default(false);
}

LogicalResult FusedOp::verify() {
  StringRef kind = getKind();
  if (kind != "elementwise" && kind != "epilogue")
    return emitOpError() << "expected kind 'elementwise' or 'epilogue', found '" << kind
                         << "'";
  ArrayRef<int64_t> shape = getShape();
  unsigned kernels = 0;
  for (Operation &op : getBody().front()) {
    if (isa<AllocOp>(op))
      continue;
    auto kernel = dyn_cast<KernelOp>(op);
    if (!kernel)
      return op.emitOpError() << "is not allowed in a 'kern.fused' body";
    if (kernel.getCallee() == "nn.constant") {
      auto value = kernel.getParams().getAs<DenseElementsAttr>("value");
      if (!value || !value.isSplat() || !isLocal(kernel.getOuts().front()))
        return kernel.emitOpError()
               << "expected a constant in a 'kern.fused' body to be a splat written to a "
                  "local buffer";
      continue;
    }
    bool producer = kind == "epilogue" && kernels == 0;
    ++kernels;
    if (producer) {
      if (!kernel.isEpilogueProducer())
        return kernel.emitOpError()
               << "'" << kernel.getCallee()
               << "' cannot lead an epilogue (expected a matrix product, convolution or "
                  "normalization)";
      auto type = cast<MemRefType>(kernel.getOuts().front().getType());
      if (type.getShape() != shape)
        return kernel.emitOpError() << "expected the producer's first output of shape ["
                                    << shape << "], found " << type;
      continue;
    }
    if (!kernel.isElementwise())
      return kernel.emitOpError() << "'" << kernel.getCallee()
                                  << "' is not elementwise and cannot be fused";
    for (Value out : kernel.getOuts())
      if (cast<MemRefType>(out.getType()).getShape() != shape)
        return kernel.emitOpError() << "expected outputs of the fused shape [" << shape
                                    << "], found " << out.getType();
    for (Value in : kernel.getIns()) {
      ArrayRef<int64_t> inShape = cast<MemRefType>(in.getType()).getShape();
      bool broadcasts = inShape.size() <= shape.size();
      for (size_t d = 0; broadcasts && d < inShape.size(); ++d) {
        int64_t target = shape[shape.size() - inShape.size() + d];
        broadcasts = inShape[d] == 1 || inShape[d] == target;
      }
      if (!broadcasts)
        return kernel.emitOpError() << "input " << in.getType()
                                    << " does not broadcast to the fused shape [" << shape
                                    << "]";
    }
  }
  if (kernels == 0)
    return emitOpError() << "expected at least one kernel in the body";
  // Locals hold one element per iteration: written once, only inside.
  for (auto alloc : getBody().front().getOps<AllocOp>()) {
    unsigned writes = 0;
    for (OpOperand &use : alloc->getUses()) {
      auto kernel = dyn_cast<KernelOp>(use.getOwner());
      if (kernel && use.getOperandNumber() >= kernel.getIns().size())
        ++writes;
    }
    if (writes != 1)
      return alloc.emitOpError() << "expected a fused local to be written by exactly one "
                                    "kernel, found "
                                 << writes;
  }
  return success();
}

LogicalResult SoftmaxCrossEntropyOp::verify() {
  auto logits = cast<MemRefType>(getLogits().getType());
  auto labels = cast<MemRefType>(getLabels().getType());
  auto dlogits = cast<MemRefType>(getDlogits().getType());
  if (logits.getRank() != 2 || labels.getRank() != 1 ||
      labels.getDimSize(0) != logits.getDimSize(0) || !labels.getElementType().isInteger(32))
    return emitOpError() << "expected logits [N, C] and i32 labels [N], found " << logits
                         << " and " << labels;
  if (dlogits != logits)
    return emitOpError() << "expected the gradient to have the logits' type " << logits
                         << ", found " << dlogits;
  for (Value scalar : {getDloss(), getLoss()}) {
    auto type = cast<MemRefType>(scalar.getType());
    if (type.getRank() != 0 || type.getElementType() != logits.getElementType())
      return emitOpError() << "expected a rank-0 " << logits.getElementType()
                           << " loss and incoming gradient, found " << type;
  }
  return success();
}
