//===- KernDialect.cpp - the kern dialect ---------------------------------===//

#include "gradc/Dialect/Kern/IR/KernOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/Verifier.h"
#include "gradc/Dialect/NN/IR/NNOps.h"

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
  if (name == kOutAttrName) {
    auto role = dyn_cast<gradc::nn::RoleAttr>(attribute.getValue());
    if (!role || !isOutputRole(role.getValue()))
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

std::optional<gradc::nn::Role> gradc::kern::outputRole(FunctionOpInterface func, unsigned i) {
  auto role = func.getArgAttrOfType<gradc::nn::RoleAttr>(i, kOutAttrName);
  return role ? std::optional(role.getValue()) : std::nullopt;
}

bool gradc::kern::isOutputRole(gradc::nn::Role role) {
  using gradc::nn::Role;
  return role == Role::Loss || role == Role::Metric || role == Role::Output ||
         role == Role::Grad;
}

LogicalResult ViewOp::verify() {
  auto source = cast<MemRefType>(getSource().getType());
  auto result = cast<MemRefType>(getResult().getType());
  if (source.getElementType() != result.getElementType() ||
      source.getNumElements() != result.getNumElements())
    return emitOpError() << "expected a view with the element type and count of "
                         << source << ", found " << result;
  return success();
}

namespace {

RankedTensorType tensorOf(Type buffer) {
  auto type = cast<MemRefType>(buffer);
  return RankedTensorType::get(type.getShape(), type.getElementType());
}

/// Fills a kernel's body: one block whose arguments are tensors of the `ins`
/// types, holding the payload `name` over them, of results typed as `outs`.
void buildBody(OpBuilder &builder, Region &body, Location loc, TypeRange ins, TypeRange outs,
               OperationName name, DictionaryAttr params) {
  Block *block = new Block;
  body.push_back(block);
  for (Type in : ins)
    block->addArgument(tensorOf(in), loc);
  OperationState payload(loc, name);
  payload.addOperands(block->getArguments());
  for (Type out : outs)
    payload.addTypes(tensorOf(out));
  if (params)
    payload.addAttributes(params.getValue());
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointToStart(block);
  builder.create(payload);
}

} // namespace

void KernelOp::build(OpBuilder &builder, OperationState &state, OperationName name,
                     ValueRange ins, ValueRange outs, DictionaryAttr params) {
  state.addOperands(ins);
  state.addOperands(outs);
  state.getOrAddProperties<Properties>().operandSegmentSizes = {
      static_cast<int32_t>(ins.size()), static_cast<int32_t>(outs.size())};
  buildBody(builder, *state.addRegion(), state.location, ins.getTypes(), outs.getTypes(), name,
            params);
}

void KernelOp::build(OpBuilder &builder, OperationState &state, Operation *payload,
                     ValueRange ins, ValueRange outs) {
  build(builder, state, payload->getName(), ins, outs, payload->getAttrDictionary());
}

// kern.kernel "nn.op" ins(%a, %b : type, type) outs(%c : type) {params} attr-dict
ParseResult KernelOp::parse(OpAsmParser &parser, OperationState &result) {
  StringAttr callee;
  SmallVector<OpAsmParser::UnresolvedOperand> ins, outs;
  SmallVector<Type> inTypes, outTypes;
  DictionaryAttr params;
  SMLoc calleeLoc = parser.getCurrentLocation();
  if (parser.parseAttribute(callee) || parser.parseKeyword("ins") || parser.parseLParen() ||
      parser.parseOperandList(ins))
    return failure();
  if (!ins.empty() && parser.parseColonTypeList(inTypes))
    return failure();
  SMLoc operandsLoc = parser.getCurrentLocation();
  if (parser.parseRParen() || parser.parseKeyword("outs") || parser.parseLParen() ||
      parser.parseOperandList(outs) || parser.parseColonTypeList(outTypes) ||
      parser.parseRParen() || parser.parseAttribute(params) ||
      parser.parseOptionalAttrDict(result.attributes))
    return failure();
  std::optional<RegisteredOperationName> name =
      RegisteredOperationName::lookup(callee.getValue(), parser.getContext());
  if (!name || !isa<gradc::nn::NNDialect>(name->getDialect()))
    return parser.emitError(calleeLoc)
           << "expected the callee to name an nn op, found '" << callee.getValue() << "'";
  // The body is built from the buffers' types: they must be buffers.
  for (Type type : llvm::concat<Type>(inTypes, outTypes)) {
    auto buffer = dyn_cast<MemRefType>(type);
    if (!buffer || !buffer.hasStaticShape())
      return parser.emitError(operandsLoc)
             << "expected statically shaped memrefs, found " << type;
  }
  if (parser.resolveOperands(ins, inTypes, operandsLoc, result.operands) ||
      parser.resolveOperands(outs, outTypes, operandsLoc, result.operands))
    return failure();
  result.getOrAddProperties<Properties>().operandSegmentSizes = {
      static_cast<int32_t>(ins.size()), static_cast<int32_t>(outs.size())};
  OpBuilder builder(parser.getContext());
  buildBody(builder, *result.addRegion(), result.location, inTypes, outTypes, *name, params);
  return success();
}

void KernelOp::print(OpAsmPrinter &p) {
  Operation *payload = getPayload();
  if (!payload) { // only IR that does not verify (the printer prints such IR generically)
    p << " <<no payload>>";
    return;
  }
  p << ' ';
  p.printAttribute(StringAttr::get(getContext(), payload->getName().getStringRef()));
  p << " ins(";
  if (!getIns().empty())
    p << getIns() << " : " << getIns().getTypes();
  p << ") outs(" << getOuts() << " : " << getOuts().getTypes() << ") ";
  p.printAttribute(payload->getAttrDictionary());
  p.printOptionalAttrDict((*this)->getAttrs(), /*elidedAttrs=*/{"operandSegmentSizes"});
}

Operation *KernelOp::getPayload() {
  if (getBody().empty() || getBody().front().empty())
    return nullptr;
  return &getBody().front().front();
}

bool KernelOp::isElementwise() {
  return isa_and_nonnull<gradc::nn::ElementwiseOpInterface>(getPayload());
}

bool KernelOp::isEpilogueProducer() {
  auto kernel = dyn_cast_or_null<gradc::nn::KernelOpInterface>(getPayload());
  return kernel && kernel.canLeadEpilogue();
}

bool KernelOp::isConstant() {
  return getPayload() && getPayload()->hasTrait<OpTrait::ConstantLike>();
}

LogicalResult KernelOp::verify() {
  Operation *payload = getPayload();
  if (!payload || &getBody().front().back() != payload)
    return emitOpError() << "expected a body of one nn op";
  if (!isa<gradc::nn::NNDialect>(payload->getDialect()) ||
      !isa<gradc::nn::ElementwiseOpInterface, gradc::nn::KernelOpInterface>(payload))
    return emitOpError() << "expected the payload to be an nn op that runs as a kernel, found '"
                         << payload->getName() << "'";
  if (getOuts().empty())
    return emitOpError() << "expected at least one output buffer";
  Block &body = getBody().front();
  if (body.getNumArguments() != getIns().size() ||
      payload->getOperands() != ValueRange(body.getArguments()))
    return emitOpError() << "expected the payload to read the body's arguments, in order";
  for (auto [in, arg] : llvm::zip_equal(getIns(), body.getArguments()))
    if (arg.getType() != tensorOf(in.getType()))
      return emitOpError() << "expected the body argument of " << in.getType() << " to be a "
                           << tensorOf(in.getType()) << ", found " << arg.getType();
  if (payload->getNumResults() != getOuts().size())
    return emitOpError() << "expected one output buffer per result of '" << payload->getName()
                         << "' (" << payload->getNumResults() << "), found "
                         << getOuts().size();
  for (auto [out, result] : llvm::zip_equal(getOuts(), payload->getResults()))
    if (result.getType() != tensorOf(out.getType()))
      return emitOpError() << "expected the output buffer of a " << result.getType()
                           << " result, found " << out.getType();
  if (!isElementwise())
    for (Value out : getOuts())
      if (llvm::is_contained(getIns(), out))
        return emitOpError() << "'" << payload->getName()
                             << "' is not elementwise and cannot write an input buffer";
  return success();
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
    // The body's rules below ask the kernels' payloads; a payload must be a
    // valid op first (this verifier runs before the ones nested in it).
    if (failed(mlir::verify(kernel)))
      return failure();
    if (kernel.isConstant()) {
      Attribute constant;
      matchPattern(kernel.getPayload(), m_Constant(&constant));
      auto value = dyn_cast_or_null<DenseElementsAttr>(constant);
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
               << "'" << kernel.getPayload()->getName()
               << "' cannot lead an epilogue (expected a matrix product, convolution or "
                  "normalization)";
      auto type = cast<MemRefType>(kernel.getOuts().front().getType());
      if (type.getShape() != shape)
        return kernel.emitOpError() << "expected the producer's first output of shape ["
                                    << shape << "], found " << type;
      continue;
    }
    if (!kernel.isElementwise())
      return kernel.emitOpError() << "'" << kernel.getPayload()->getName()
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
