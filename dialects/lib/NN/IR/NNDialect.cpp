//===- NNDialect.cpp - nn dialect registration and attribute checks -------===//

#include "gradc/Dialect/NN/IR/NNDialect.h"
#include "gradc/Dialect/NN/IR/NNOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/STLExtras.h"

#include <cmath>

using namespace mlir;
using namespace gradc::nn;

#include "gradc/Dialect/NN/IR/NNDialect.cpp.inc"

void NNDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "gradc/Dialect/NN/IR/NNOps.cpp.inc"
      >();
  registerAttributes();
}

Operation *NNDialect::materializeConstant(OpBuilder &builder, Attribute value,
                                          Type type, Location loc) {
  auto elements = dyn_cast<ElementsAttr>(value);
  if (!elements || elements.getType() != type)
    return nullptr;
  return builder.create<ConstantOp>(loc, type, elements);
}

std::optional<Role> gradc::nn::argumentRole(FunctionOpInterface func, unsigned i) {
  auto role = func.getArgAttrOfType<RoleAttr>(i, NNDialect::kRoleAttrName);
  return role ? std::optional(role.getValue()) : std::nullopt;
}

std::optional<Role> gradc::nn::resultRole(FunctionOpInterface func, unsigned i) {
  auto role = func.getResultAttrOfType<RoleAttr>(i, NNDialect::kRoleAttrName);
  return role ? std::optional(role.getValue()) : std::nullopt;
}

DictionaryAttr gradc::nn::roleAttrs(MLIRContext *context, Role role, llvm::StringRef name) {
  Builder b(context);
  SmallVector<NamedAttribute> attrs{
      b.getNamedAttr(NNDialect::kRoleAttrName, RoleAttr::get(context, role))};
  if (!name.empty())
    attrs.push_back(b.getNamedAttr(NNDialect::kNameAttrName, b.getStringAttr(name)));
  return b.getDictionaryAttr(attrs);
}

llvm::ArrayRef<llvm::StringLiteral> gradc::nn::argumentRoles() {
  static constexpr llvm::StringLiteral roles[] = {
      "input", "label", "param", "buffer", "rng", "hyper", "opt_state", "grad"};
  return roles;
}

llvm::ArrayRef<llvm::StringLiteral> gradc::nn::initializerNames() {
  static constexpr llvm::StringLiteral inits[] = {
      "default", "he", "xavier", "normal", "unit_normal", "uniform", "zeros", "ones", "data"};
  return inits;
}

static std::string joinNames(llvm::ArrayRef<llvm::StringLiteral> names) {
  std::string joined;
  for (auto [index, name] : llvm::enumerate(names))
    joined += (index ? ", " : "") + name.str();
  return joined;
}

/// Checks the attributes arguments and results share: `nn.role` (one of
/// `roles`) and `nn.name`. std::nullopt for any other attribute.
static std::optional<LogicalResult>
verifyRoleOrName(Operation *op, llvm::StringRef subject, NamedAttribute attribute,
                 llvm::ArrayRef<llvm::StringLiteral> roles) {
  StringRef name = attribute.getName().strref();
  Attribute value = attribute.getValue();
  auto fail = [&]() {
    return op->emitOpError() << subject << " attribute '" << name << "' ";
  };
  if (name == NNDialect::kRoleAttrName) {
    auto role = dyn_cast<RoleAttr>(value);
    if (!role || !llvm::is_contained(roles, stringifyRole(role.getValue())))
      return fail() << "expected one of " << joinNames(roles) << ", found " << value;
    return success();
  }
  if (name == NNDialect::kNameAttrName) {
    auto str = dyn_cast<StringAttr>(value);
    if (!str || str.getValue().empty())
      return fail() << "expected a non-empty string, found " << value;
    return success();
  }
  return std::nullopt;
}

LogicalResult NNDialect::verifyRegionArgAttribute(Operation *op,
                                                  unsigned regionIndex,
                                                  unsigned argIndex,
                                                  NamedAttribute attribute) {
  StringRef name = attribute.getName().strref();
  Attribute value = attribute.getValue();
  auto fail = [&]() {
    return op->emitOpError() << "argument #" << argIndex << " attribute '"
                             << name << "' ";
  };
  Type argType;
  if (op->getNumRegions() > regionIndex &&
      !op->getRegion(regionIndex).empty() &&
      op->getRegion(regionIndex).getNumArguments() > argIndex)
    argType = op->getRegion(regionIndex).getArgument(argIndex).getType();

  std::string subject = "argument #" + std::to_string(argIndex);
  if (auto checked = verifyRoleOrName(op, subject, attribute, argumentRoles()))
    return *checked;
  if (name == kInitAttrName) {
    auto init = dyn_cast<StringAttr>(value);
    if (!init || !llvm::is_contained(initializerNames(), init.getValue()))
      return fail() << "expected one of " << joinNames(initializerNames())
                    << ", found " << value;
    return success();
  }
  if (name == kClassesAttrName) {
    auto classes = dyn_cast<IntegerAttr>(value);
    if (!classes || classes.getInt() <= 0)
      return fail() << "expected a positive integer, found " << value;
    auto tensor = dyn_cast_or_null<RankedTensorType>(argType);
    if (tensor && !tensor.getElementType().isInteger(32))
      return fail() << "expected an i32 label tensor, found " << argType;
    return success();
  }
  if (name == kIgnoreIndexAttrName) {
    auto index = dyn_cast<IntegerAttr>(value);
    if (!index || index.getInt() < INT32_MIN || index.getInt() > INT32_MAX)
      return fail() << "expected an i32 value, found " << value;
    auto tensor = dyn_cast_or_null<RankedTensorType>(argType);
    if (tensor && !tensor.getElementType().isInteger(32))
      return fail() << "expected an i32 label tensor, found " << argType;
    return success();
  }
  if (name == kRangeAttrName) {
    auto range = dyn_cast<DictionaryAttr>(value);
    auto low = range ? range.getAs<FloatAttr>("low") : FloatAttr();
    auto high = range ? range.getAs<FloatAttr>("high") : FloatAttr();
    if (!low || !high || !range.getAs<BoolAttr>("high_open") ||
        !range.getAs<BoolAttr>("integral") || !range.getAs<StringAttr>("use") ||
        range.size() != 5)
      return fail() << "expected {low, high: f64, high_open, integral: bool, use: string}, "
                       "found "
                    << value;
    if (!(low.getValueAsDouble() <= high.getValueAsDouble()))
      return fail() << "expected low <= high, found " << value;
    return success();
  }
  if (name == kInitScaleAttrName) {
    auto scale = dyn_cast<FloatAttr>(value);
    if (!scale || !(scale.getValueAsDouble() > 0) || !std::isfinite(scale.getValueAsDouble()))
      return fail() << "expected a positive f64, found " << value;
    return success();
  }
  if (name == kInitDataAttrName) {
    auto data = dyn_cast<DenseElementsAttr>(value);
    auto tensor = dyn_cast_or_null<ShapedType>(argType);
    if (!data || (tensor && (data.getType().getShape() != tensor.getShape() ||
                             data.getElementType() != tensor.getElementType())))
      return fail() << "expected dense elements of the argument's shape and element type, "
                       "found "
                    << (data ? Attribute(TypeAttr::get(data.getType())) : value);
    return success();
  }
  if (name == kFrozenAttrName) {
    if (!isa<UnitAttr>(value))
      return fail() << "expected a unit attribute, found " << value;
    return success();
  }
  return op->emitOpError() << "argument #" << argIndex
                           << " has unknown attribute '" << name << "'";
}

llvm::ArrayRef<llvm::StringLiteral> gradc::nn::resultRoles() {
  static constexpr llvm::StringLiteral roles[] = {
      "loss", "metric", "output", "buffer_update", "grad", "param_update",
      "opt_state_update"};
  return roles;
}

LogicalResult NNDialect::verifyRegionResultAttribute(Operation *op, unsigned,
                                                     unsigned resultIndex,
                                                     NamedAttribute attribute) {
  std::string subject = "result #" + std::to_string(resultIndex);
  if (auto checked = verifyRoleOrName(op, subject, attribute, resultRoles()))
    return *checked;
  return op->emitOpError() << subject << " has unknown attribute '"
                           << attribute.getName().strref() << "'";
}

LogicalResult NNDialect::verifyOperationAttribute(Operation *op,
                                                  NamedAttribute attribute) {
  StringRef name = attribute.getName().strref();
  if (name == "nn.model") {
    if (!isa<StringAttr>(attribute.getValue()))
      return op->emitOpError() << "attribute 'nn.model' expected a string, found "
                               << attribute.getValue();
    return success();
  }
  if (name == kTrainAttrName) {
    if (!isa<ModuleOp>(op))
      return op->emitOpError() << "attribute 'nn.train' expected on a module";
    if (!isa<TrainAttr>(attribute.getValue()))
      return op->emitOpError() << "attribute 'nn.train' expected an #nn.train, found "
                               << attribute.getValue();
    return success();
  }
  if (name == kLocAttrName) {
    if (!isa<LocationAttr>(attribute.getValue()))
      return op->emitOpError() << "attribute 'nn.loc' expected a location, found "
                               << attribute.getValue();
    return success();
  }
  return op->emitOpError() << "has unknown attribute '" << name << "'";
}
