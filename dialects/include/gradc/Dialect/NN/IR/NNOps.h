//===- NNOps.h - nn dialect operations -------------------------*- C++ -*-===//

#ifndef GRADC_DIALECT_NN_IR_NNOPS_H
#define GRADC_DIALECT_NN_IR_NNOPS_H

#include "gradc/Dialect/NN/IR/NNDialect.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "gradc/Dialect/NN/IR/NNAttrs.h"
#include "gradc/Dialect/NN/IR/OnnxGraph.h"
#include "gradc/Dialect/NN/IR/NNInterfaces.h.inc"

namespace gradc::nn {
/// The fold of a unary function op (UnaryFunctionOpInterface) of a splat
/// constant operand: the splat of its value there; null otherwise.
mlir::OpFoldResult foldUnaryFunction(UnaryFunctionOpInterface op, mlir::Attribute operand);
} // namespace gradc::nn

#define GET_OP_CLASSES
#include "gradc/Dialect/NN/IR/NNOps.h.inc"

namespace gradc::nn {

/// NumPy broadcasting of two shapes; std::nullopt when incompatible.
std::optional<llvm::SmallVector<int64_t>>
broadcastShapes(llvm::ArrayRef<int64_t> lhs, llvm::ArrayRef<int64_t> rhs);

/// The `nn.role` of argument `i` of `func`; std::nullopt without one.
std::optional<Role> argumentRole(mlir::FunctionOpInterface func, unsigned i);

/// The `nn.role` of result `i` of `func`; std::nullopt without one.
std::optional<Role> resultRole(mlir::FunctionOpInterface func, unsigned i);

/// `{nn.role = role[, nn.name = name]}`, an argument's or result's attributes.
mlir::DictionaryAttr roleAttrs(mlir::MLIRContext *context, Role role,
                               llvm::StringRef name = {});

/// The roles a function argument of a model function can play (`nn.role`).
llvm::ArrayRef<llvm::StringLiteral> argumentRoles();

/// The roles a result of a model function can play (`nn.role`).
llvm::ArrayRef<llvm::StringLiteral> resultRoles();

/// The parameter initializers the dialect knows (`nn.init`).
llvm::ArrayRef<llvm::StringLiteral> initializerNames();

} // namespace gradc::nn

#endif // GRADC_DIALECT_NN_IR_NNOPS_H
