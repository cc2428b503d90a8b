//===- Kernels.h - The interpreter's per-op evaluation functions -*- C++ -*-===//
//
// One function per op (or family of ops sharing a definition). Each takes the
// op and its operand values and returns its result values, or reports an
// error at the op's location and returns failure. Results are computed in
// double; the caller rounds f32 results to float.
//
//===----------------------------------------------------------------------===//

#ifndef GRADC_LIB_INTERPRETER_KERNELS_H
#define GRADC_LIB_INTERPRETER_KERNELS_H

#include "gradc/Dialect/NN/IR/NNOps.h"
#include "gradc/Interpreter/Interpreter.h"

#include "llvm/ADT/SmallVector.h"

namespace gradc::interp::detail {

using Operands = llvm::ArrayRef<const Tensor *>;
using Results = llvm::SmallVector<Tensor, 1>;

//===----------------------------------------------------------------------===//
// Shape and indexing helpers
//===----------------------------------------------------------------------===//

/// A zero-filled tensor of `type`.
Tensor zeros(mlir::Type type);

/// The shape of a tensor value.
llvm::ArrayRef<int64_t> shapeOf(const Tensor &tensor);

/// Row-major strides of `shape`.
llvm::SmallVector<int64_t> stridesOf(llvm::ArrayRef<int64_t> shape);

/// The multi-index of row-major element `offset` of `shape`.
llvm::SmallVector<int64_t> unravel(int64_t offset, llvm::ArrayRef<int64_t> shape);

/// The row-major offset of the element of `operandShape` that element
/// `resultIndex` of a larger result reads under NumPy broadcasting (shapes
/// aligned at the trailing dimension, extent-1 dimensions repeated).
int64_t broadcastOffset(llvm::ArrayRef<int64_t> resultIndex,
                        llvm::ArrayRef<int64_t> operandShape);

/// max and min as torch.maximum/minimum: a NaN operand gives NaN.
double nanMax(double a, double b);
double nanMin(double a, double b);

/// `value` wrapped to a two's-complement i32, as integer arithmetic does.
double wrapToI32(int64_t value);

/// Whether `value` is an integer that an i64 holds and a double holds exactly.
bool isExactI64(double value);

//===----------------------------------------------------------------------===//
// Elementwise ops, constants, dropout (Elementwise.cpp)
//===----------------------------------------------------------------------===//

mlir::FailureOr<Tensor> evalConstant(nn::ConstantOp op);
/// add, sub, mul, div, maximum, minimum, pow.
mlir::FailureOr<Tensor> evalBinary(mlir::Operation *op, Operands in);
mlir::FailureOr<Tensor> evalCompare(nn::CompareOp op, Operands in);
mlir::FailureOr<Tensor> evalSelect(nn::SelectOp op, Operands in);
mlir::FailureOr<Tensor> evalCast(nn::CastOp op, Operands in);
/// Every nn op with one float operand and a same-typed result, by its name.
mlir::FailureOr<Tensor> evalUnary(nn::UnaryFunctionOpInterface op, Operands in);
mlir::FailureOr<Tensor> evalLeakyRelu(nn::LeakyReluOp op, Operands in);
mlir::FailureOr<Tensor> evalDropout(nn::DropoutOp op, Operands in);

//===----------------------------------------------------------------------===//
// Shape ops, reductions, gather/scatter (Shape.cpp)
//===----------------------------------------------------------------------===//

mlir::FailureOr<Tensor> evalReshape(nn::ReshapeOp op, Operands in);
mlir::FailureOr<Tensor> evalTranspose(nn::TransposeOp op, Operands in);
mlir::FailureOr<Tensor> evalBroadcastTo(nn::BroadcastToOp op, Operands in);
mlir::FailureOr<Tensor> evalConcat(nn::ConcatOp op, Operands in);
mlir::FailureOr<Tensor> evalSlice(nn::SliceOp op, Operands in);
/// reduce_sum, reduce_mean, reduce_max.
mlir::FailureOr<Tensor> evalReduce(mlir::Operation *op, Operands in);
mlir::FailureOr<Tensor> evalArgmax(nn::ArgmaxOp op, Operands in);
mlir::FailureOr<Tensor> evalGatherRows(nn::GatherRowsOp op, Operands in);
mlir::FailureOr<Tensor> evalScatterAddRows(nn::ScatterAddRowsOp op, Operands in);

//===----------------------------------------------------------------------===//
// Matrix products, convolution, pooling (Conv.cpp)
//===----------------------------------------------------------------------===//

mlir::FailureOr<Tensor> evalMatmul(nn::MatmulOp op, Operands in);
mlir::FailureOr<Tensor> evalLinear(nn::LinearOp op, Operands in);
mlir::FailureOr<Tensor> evalConv2D(nn::Conv2DOp op, Operands in);
mlir::FailureOr<Tensor> evalConv2DBackwardInput(nn::Conv2DBackwardInputOp op,
                                                Operands in);
mlir::FailureOr<Tensor> evalConv2DBackwardFilter(nn::Conv2DBackwardFilterOp op,
                                                 Operands in);
mlir::FailureOr<Tensor> evalMaxPool2D(nn::MaxPool2DOp op, Operands in);
mlir::FailureOr<Tensor> evalAvgPool2D(nn::AvgPool2DOp op, Operands in);
mlir::FailureOr<Tensor> evalMaxPool2DBackward(nn::MaxPool2DBackwardOp op,
                                              Operands in);
mlir::FailureOr<Tensor> evalAvgPool2DBackward(nn::AvgPool2DBackwardOp op,
                                              Operands in);

//===----------------------------------------------------------------------===//
// Normalization, softmax, losses, metrics (Normalization.cpp)
//===----------------------------------------------------------------------===//

mlir::FailureOr<Results> evalBatchNormTrain(nn::BatchNormTrainOp op, Operands in);
mlir::FailureOr<Tensor> evalBatchNormEval(nn::BatchNormEvalOp op, Operands in);
mlir::FailureOr<Results> evalBatchNormBackward(nn::BatchNormBackwardOp op,
                                               Operands in);
mlir::FailureOr<Tensor> evalLayerNorm(nn::LayerNormOp op, Operands in);
mlir::FailureOr<Results> evalLayerNormBackward(nn::LayerNormBackwardOp op,
                                               Operands in);
/// softmax and log_softmax.
mlir::FailureOr<Tensor> evalSoftmax(mlir::Operation *op, Operands in);
mlir::FailureOr<Tensor> evalSoftmaxCrossEntropy(nn::SoftmaxCrossEntropyOp op,
                                                Operands in);
mlir::FailureOr<Tensor>
evalSoftmaxCrossEntropyBackward(nn::SoftmaxCrossEntropyBackwardOp op, Operands in);
mlir::FailureOr<Tensor> evalConfusionMatrix(nn::ConfusionMatrixOp op, Operands in);

//===----------------------------------------------------------------------===//
// Attention (Attention.cpp)
//===----------------------------------------------------------------------===//

mlir::FailureOr<Results> evalAttention(nn::AttentionOp op, Operands in);
mlir::FailureOr<Results> evalAttentionBackward(nn::AttentionBackwardOp op, Operands in);

//===----------------------------------------------------------------------===//
// Recurrent layers (Recurrent.cpp)
//===----------------------------------------------------------------------===//

mlir::FailureOr<Results> evalLstm(nn::LstmOp op, Operands in);
mlir::FailureOr<Results> evalLstmBackward(nn::LstmBackwardOp op, Operands in);
mlir::FailureOr<Results> evalGru(nn::GruOp op, Operands in);
mlir::FailureOr<Results> evalGruBackward(nn::GruBackwardOp op, Operands in);

} // namespace gradc::interp::detail

#endif // GRADC_LIB_INTERPRETER_KERNELS_H
