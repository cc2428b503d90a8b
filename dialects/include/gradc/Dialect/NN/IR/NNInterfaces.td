//===- NNInterfaces.td - nn dialect op interfaces ------------*- tablegen -*-===//

#ifndef GRADC_DIALECT_NN_IR_NNINTERFACES_TD
#define GRADC_DIALECT_NN_IR_NNINTERFACES_TD

include "mlir/IR/OpBase.td"

def DifferentiableOpInterface : OpInterface<"DifferentiableOpInterface"> {
  let cppNamespace = "::gradc::nn";
  let description = [{
    An op whose reverse-mode derivative gradc knows. `buildVJP` builds, at
    the builder's insertion point, the vector-Jacobian product of the op:
    given one gradient per result (a null Value where a result receives
    none), it appends one gradient per operand, each of the operand's type,
    or a null Value where the gradient is zero by definition.

    An operand listed by `isNonDifferentiableOperand` (labels, random keys,
    running statistics, the mask of `nn.select`, ...) never receives a
    gradient. Any other operand that depends on a trainable parameter must
    receive one: autodiff reports an error otherwise, so a gradient is never
    silently dropped.
  }];
  let methods = [
    InterfaceMethod<
      /*desc=*/"Builds the operand gradients from the result gradients.",
      /*retTy=*/"::mlir::LogicalResult",
      /*methodName=*/"buildVJP",
      /*args=*/(ins "::mlir::OpBuilder &":$builder,
                    "::mlir::ArrayRef<::mlir::Value>":$resultGrads,
                    "::llvm::SmallVectorImpl<::mlir::Value> &":$operandGrads)>,
    InterfaceMethod<
      /*desc=*/[{Whether operand `index` carries no gradient by the op's
                 definition (it is discrete, or piecewise constant).}],
      /*retTy=*/"bool",
      /*methodName=*/"isNonDifferentiableOperand",
      /*args=*/(ins "unsigned":$index),
      /*methodBody=*/"",
      /*defaultImplementation=*/"return false;">,
  ];
}

#endif // GRADC_DIALECT_NN_IR_NNINTERFACES_TD
