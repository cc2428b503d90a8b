//===- NNDerivatives.cpp - vector-Jacobian products of nn ops -------------===//
//
// Each differentiable op builds its VJP from nn ops, so the backward graph is
// ordinary nn IR that canonicalization, fusion and planning see like any other.
//
//===----------------------------------------------------------------------===//

#include "gradc/Dialect/NN/IR/NNOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/TypeUtilities.h"

#include <cmath>
#include <numeric>

using namespace mlir;
using namespace gradc::nn;

#include "gradc/Dialect/NN/IR/NNInterfaces.cpp.inc"

namespace {

/// Small builders for the arithmetic VJP rules are written in.
class GradBuilder {
public:
  GradBuilder(OpBuilder &builder, Location loc) : b(builder), loc(loc) {}

  /// A rank-0 constant with the element type of `like`.
  Value scalar(Value like, double value) {
    auto type = RankedTensorType::get({}, getElementTypeOrSelf(like.getType()));
    return b.create<ConstantOp>(loc, DenseElementsAttr::get(type, floatAttr(type, value)));
  }

  Value zerosLike(Type type) {
    auto tensor = cast<RankedTensorType>(type);
    return b.create<ConstantOp>(loc,
                                DenseElementsAttr::get(tensor, floatAttr(tensor, 0.0)));
  }

  Value add(Value x, Value y) { return b.create<AddOp>(loc, x, y); }
  Value sub(Value x, Value y) { return b.create<SubOp>(loc, x, y); }
  Value mul(Value x, Value y) { return b.create<MulOp>(loc, x, y); }
  Value div(Value x, Value y) { return b.create<DivOp>(loc, x, y); }
  Value mul(Value x, double c) { return mul(x, scalar(x, c)); }
  Value neg(Value x) { return b.create<NegOp>(loc, x); }
  Value exp(Value x) { return b.create<ExpOp>(loc, x); }
  Value compare(CmpPredicate predicate, Value x, Value y) {
    return b.create<CompareOp>(loc, predicate, x, y);
  }
  Value select(Value cond, Value x, Value y) {
    return b.create<SelectOp>(loc, cond, x, y);
  }
  Value reduceSum(Value x, ArrayRef<int64_t> axes, bool keepDims) {
    return b.create<ReduceSumOp>(loc, x, axes, keepDims);
  }

  /// Sums a broadcast gradient back down to `target`'s shape: over the leading
  /// dimensions the operand did not have, and over its size-1 dimensions.
  Value reduceTo(Value grad, Type target) {
    auto gradType = cast<RankedTensorType>(grad.getType());
    auto targetType = cast<RankedTensorType>(target);
    if (gradType.getShape() == targetType.getShape())
      return grad;
    int64_t lead = gradType.getRank() - targetType.getRank();
    SmallVector<int64_t> axes;
    for (int64_t dim = 0; dim < gradType.getRank(); ++dim)
      if (dim < lead || (targetType.getDimSize(dim - lead) == 1 &&
                         gradType.getDimSize(dim) != 1))
        axes.push_back(dim);
    Value summed = reduceSum(grad, axes, /*keepDims=*/false);
    if (summed.getType() == targetType)
      return summed;
    return b.create<ReshapeOp>(loc, targetType, summed);
  }

  /// Broadcasts a reduced tensor back over the reduced `axes` of `target`.
  Value expandTo(Value reduced, ArrayRef<int64_t> axes, bool keptDims, Type target) {
    auto targetType = cast<RankedTensorType>(target);
    if (!keptDims) {
      SmallVector<int64_t> kept(targetType.getShape());
      for (int64_t axis : axes)
        kept[axis] = 1;
      reduced = b.create<ReshapeOp>(
          loc, RankedTensorType::get(kept, targetType.getElementType()), reduced);
    }
    if (reduced.getType() == targetType)
      return reduced;
    return b.create<BroadcastToOp>(loc, targetType, reduced);
  }

  OpBuilder &b;
  Location loc;

private:
  static FloatAttr floatAttr(RankedTensorType type, double value) {
    return FloatAttr::get(type.getElementType(), value);
  }
};

/// The two gradients of a broadcasting binary op, reduced to operand shapes.
LogicalResult binaryGrads(Operation *op, Value gradLhs, Value gradRhs,
                          SmallVectorImpl<Value> &operandGrads, GradBuilder &gb) {
  operandGrads.push_back(gradLhs ? gb.reduceTo(gradLhs, op->getOperand(0).getType())
                                 : Value());
  operandGrads.push_back(gradRhs ? gb.reduceTo(gradRhs, op->getOperand(1).getType())
                                 : Value());
  return success();
}

} // namespace

//===----------------------------------------------------------------------===//
// Constants and elementwise binary ops
//===----------------------------------------------------------------------===//

LogicalResult ConstantOp::buildVJP(OpBuilder &, ArrayRef<Value>,
                                   SmallVectorImpl<Value> &) {
  return success();
}

LogicalResult AddOp::buildVJP(OpBuilder &builder, ArrayRef<Value> resultGrads,
                              SmallVectorImpl<Value> &operandGrads) {
  GradBuilder gb(builder, getLoc());
  Value g = resultGrads[0];
  return binaryGrads(*this, g, g, operandGrads, gb);
}

LogicalResult SubOp::buildVJP(OpBuilder &builder, ArrayRef<Value> resultGrads,
                              SmallVectorImpl<Value> &operandGrads) {
  GradBuilder gb(builder, getLoc());
  Value g = resultGrads[0];
  return binaryGrads(*this, g, gb.neg(g), operandGrads, gb);
}

LogicalResult MulOp::buildVJP(OpBuilder &builder, ArrayRef<Value> resultGrads,
                              SmallVectorImpl<Value> &operandGrads) {
  GradBuilder gb(builder, getLoc());
  Value g = resultGrads[0];
  return binaryGrads(*this, gb.mul(g, getRhs()), gb.mul(g, getLhs()), operandGrads, gb);
}

LogicalResult DivOp::buildVJP(OpBuilder &builder, ArrayRef<Value> resultGrads,
                              SmallVectorImpl<Value> &operandGrads) {
  GradBuilder gb(builder, getLoc());
  Value g = resultGrads[0];
  Value gradLhs = gb.div(g, getRhs());
  // d(a/b)/db = -(a/b)/b
  Value gradRhs = gb.neg(gb.div(gb.mul(g, getResult()), getRhs()));
  return binaryGrads(*this, gradLhs, gradRhs, operandGrads, gb);
}

LogicalResult PowOp::buildVJP(OpBuilder &builder, ArrayRef<Value> resultGrads,
                              SmallVectorImpl<Value> &operandGrads) {
  GradBuilder gb(builder, getLoc());
  Value g = resultGrads[0];
  Value a = getLhs(), p = getRhs();
  // d(a^p)/da = p a^(p-1);  d(a^p)/dp = a^p ln a. Where these formulas give
  // 0 * inf although the function is locally constant, the gradient is 0, as
  // torch.pow: d/da where p = 0 (a^0 = 1, also at a = 0), and d/dp where
  // a = 0 and p >= 0 (0^p is constant for p > 0).
  Value zero = gb.scalar(g, 0.0);
  Value powMinusOne = builder.create<PowOp>(getLoc(), a, gb.sub(p, gb.scalar(p, 1.0)));
  Value gradLhs = gb.mul(g, gb.mul(p, powMinusOne));
  Value zeroExponent = gb.compare(CmpPredicate::eq, p, gb.scalar(p, 0.0));
  gradLhs = gb.select(zeroExponent, zero, gradLhs);
  Value gradRhs =
      gb.mul(g, gb.mul(getResult(), builder.create<LogOp>(getLoc(), a)));
  Value zeroBase = gb.compare(CmpPredicate::eq, a, gb.scalar(a, 0.0));
  Value nonNegativeExponent = gb.compare(CmpPredicate::ge, p, gb.scalar(p, 0.0));
  Value atZero = gb.select(nonNegativeExponent, zero, gradRhs);
  gradRhs = gb.select(zeroBase, atZero, gradRhs);
  return binaryGrads(*this, gradLhs, gradRhs, operandGrads, gb);
}

/// max/min: the gradient goes to the chosen operand, split evenly on ties
/// (as torch.maximum / torch.minimum).
static LogicalResult extremumGrads(Operation *op, CmpPredicate wins, Value g,
                                   SmallVectorImpl<Value> &operandGrads,
                                   GradBuilder &gb) {
  Value a = op->getOperand(0), b = op->getOperand(1);
  Value zero = gb.scalar(g, 0.0);
  Value half = gb.mul(g, 0.5);
  Value tie = gb.compare(CmpPredicate::eq, a, b);
  Value aWins = gb.compare(wins, a, b);
  Value bWins = gb.compare(wins, b, a);
  Value gradLhs = gb.select(aWins, g, gb.select(tie, half, zero));
  Value gradRhs = gb.select(bWins, g, gb.select(tie, half, zero));
  return binaryGrads(op, gradLhs, gradRhs, operandGrads, gb);
}

LogicalResult MaximumOp::buildVJP(OpBuilder &builder, ArrayRef<Value> resultGrads,
                                  SmallVectorImpl<Value> &operandGrads) {
  GradBuilder gb(builder, getLoc());
  return extremumGrads(*this, CmpPredicate::gt, resultGrads[0], operandGrads, gb);
}

LogicalResult MinimumOp::buildVJP(OpBuilder &builder, ArrayRef<Value> resultGrads,
                                  SmallVectorImpl<Value> &operandGrads) {
  GradBuilder gb(builder, getLoc());
  return extremumGrads(*this, CmpPredicate::lt, resultGrads[0], operandGrads, gb);
}

LogicalResult SelectOp::buildVJP(OpBuilder &builder, ArrayRef<Value> resultGrads,
                                 SmallVectorImpl<Value> &operandGrads) {
  GradBuilder gb(builder, getLoc());
  Value g = resultGrads[0];
  Value zero = gb.scalar(g, 0.0);
  operandGrads.push_back(Value());
  operandGrads.push_back(
      gb.reduceTo(gb.select(getCond(), g, zero), getOnTrue().getType()));
  operandGrads.push_back(
      gb.reduceTo(gb.select(getCond(), zero, g), getOnFalse().getType()));
  return success();
}

bool SelectOp::isNonDifferentiableOperand(unsigned index) { return index == 0; }

LogicalResult CastOp::buildVJP(OpBuilder &builder, ArrayRef<Value> resultGrads,
                               SmallVectorImpl<Value> &operandGrads) {
  // Only a float-to-float conversion carries a gradient; an integer operand
  // that depends on a parameter is reported by autodiff.
  if (!isa<FloatType>(getX().getType().getElementType())) {
    operandGrads.push_back(Value());
    return success();
  }
  operandGrads.push_back(
      builder.create<CastOp>(getLoc(), getX().getType(), resultGrads[0]));
  return success();
}

//===----------------------------------------------------------------------===//
// Elementwise unary ops
//===----------------------------------------------------------------------===//

#define NN_UNARY_VJP(OpClass, body)                                            \
  LogicalResult OpClass::buildVJP(OpBuilder &builder,                          \
                                  ArrayRef<Value> resultGrads,                 \
                                  SmallVectorImpl<Value> &operandGrads) {      \
    GradBuilder gb(builder, getLoc());                                         \
    Value g = resultGrads[0], x = getX(), y = getResult();                     \
    (void)g;                                                                   \
    (void)x;                                                                   \
    (void)y;                                                                   \
    operandGrads.push_back(body);                                              \
    return success();                                                          \
  }

NN_UNARY_VJP(NegOp, gb.neg(g))
NN_UNARY_VJP(ExpOp, gb.mul(g, y))
NN_UNARY_VJP(LogOp, gb.div(g, x))
NN_UNARY_VJP(SqrtOp, gb.div(gb.mul(g, 0.5), y))
// d(x^-1/2)/dx = -1/2 x^-3/2 = -1/2 y / x
NN_UNARY_VJP(RsqrtOp, gb.mul(gb.div(gb.mul(g, y), x), -0.5))
NN_UNARY_VJP(AbsOp, gb.mul(g, builder.create<SignOp>(getLoc(), x)))
// Piecewise constant: zero almost everywhere (as torch.sign).
NN_UNARY_VJP(SignOp, gb.zerosLike(x.getType()))
NN_UNARY_VJP(SquareOp, gb.mul(gb.mul(g, x), 2.0))
// d erf(x)/dx = 2/sqrt(pi) e^(-x^2)
NN_UNARY_VJP(ErfOp, gb.mul(gb.mul(g, gb.exp(gb.neg(gb.mul(x, x)))),
                           2.0 / std::sqrt(M_PI)))
NN_UNARY_VJP(ReluOp, gb.select(gb.compare(CmpPredicate::gt, x, gb.scalar(x, 0.0)), g,
                               gb.scalar(g, 0.0)))
NN_UNARY_VJP(SigmoidOp, gb.mul(g, gb.mul(y, gb.sub(gb.scalar(y, 1.0), y))))
NN_UNARY_VJP(TanhOp, gb.mul(g, gb.sub(gb.scalar(y, 1.0), gb.mul(y, y))))
NN_UNARY_VJP(SoftplusOp, gb.mul(g, builder.create<SigmoidOp>(getLoc(), x)))
#undef NN_UNARY_VJP

LogicalResult GeluOp::buildVJP(OpBuilder &builder, ArrayRef<Value> resultGrads,
                               SmallVectorImpl<Value> &operandGrads) {
  GradBuilder gb(builder, getLoc());
  Value g = resultGrads[0], x = getX();
  // gelu'(x) = Phi(x) + x phi(x), Phi(x) = (1 + erf(x / sqrt 2)) / 2,
  // phi(x) = e^(-x^2 / 2) / sqrt(2 pi).
  Value cdf = gb.mul(gb.add(gb.scalar(x, 1.0),
                            builder.create<ErfOp>(getLoc(), gb.mul(x, M_SQRT1_2))),
                     0.5);
  Value pdf = gb.mul(gb.exp(gb.mul(gb.mul(x, x), -0.5)), 1.0 / std::sqrt(2.0 * M_PI));
  operandGrads.push_back(gb.mul(g, gb.add(cdf, gb.mul(x, pdf))));
  return success();
}

LogicalResult SiluOp::buildVJP(OpBuilder &builder, ArrayRef<Value> resultGrads,
                               SmallVectorImpl<Value> &operandGrads) {
  GradBuilder gb(builder, getLoc());
  Value g = resultGrads[0], x = getX();
  // silu'(x) = s (1 + x (1 - s)), s = sigmoid(x)
  Value s = builder.create<SigmoidOp>(getLoc(), x);
  Value one = gb.scalar(x, 1.0);
  operandGrads.push_back(gb.mul(g, gb.mul(s, gb.add(one, gb.mul(x, gb.sub(one, s))))));
  return success();
}

LogicalResult LeakyReluOp::buildVJP(OpBuilder &builder, ArrayRef<Value> resultGrads,
                                    SmallVectorImpl<Value> &operandGrads) {
  GradBuilder gb(builder, getLoc());
  Value g = resultGrads[0], x = getX();
  Value positive = gb.compare(CmpPredicate::gt, x, gb.scalar(x, 0.0));
  operandGrads.push_back(
      gb.select(positive, g, gb.mul(g, getSlope().convertToDouble())));
  return success();
}

//===----------------------------------------------------------------------===//
// Shape ops
//===----------------------------------------------------------------------===//

LogicalResult ReshapeOp::buildVJP(OpBuilder &builder, ArrayRef<Value> resultGrads,
                                  SmallVectorImpl<Value> &operandGrads) {
  operandGrads.push_back(
      builder.create<ReshapeOp>(getLoc(), getX().getType(), resultGrads[0]));
  return success();
}

LogicalResult TransposeOp::buildVJP(OpBuilder &builder, ArrayRef<Value> resultGrads,
                                    SmallVectorImpl<Value> &operandGrads) {
  ArrayRef<int64_t> perm = getPermutation();
  SmallVector<int64_t> inverse(perm.size());
  for (auto [index, dim] : llvm::enumerate(perm))
    inverse[dim] = index;
  operandGrads.push_back(
      builder.create<TransposeOp>(getLoc(), resultGrads[0], inverse));
  return success();
}

LogicalResult BroadcastToOp::buildVJP(OpBuilder &builder, ArrayRef<Value> resultGrads,
                                      SmallVectorImpl<Value> &operandGrads) {
  GradBuilder gb(builder, getLoc());
  operandGrads.push_back(gb.reduceTo(resultGrads[0], getX().getType()));
  return success();
}

LogicalResult ConcatOp::buildVJP(OpBuilder &builder, ArrayRef<Value> resultGrads,
                                 SmallVectorImpl<Value> &operandGrads) {
  int64_t axis = getAxis();
  int64_t offset = 0;
  for (Value input : getInputs()) {
    auto type = cast<RankedTensorType>(input.getType());
    SmallVector<int64_t> start(type.getRank(), 0);
    start[axis] = offset;
    offset += type.getDimSize(axis);
    operandGrads.push_back(
        builder.create<SliceOp>(getLoc(), type, resultGrads[0], start));
  }
  return success();
}

LogicalResult SliceOp::buildVJP(OpBuilder &builder, ArrayRef<Value> resultGrads,
                                SmallVectorImpl<Value> &operandGrads) {
  // Surround the gradient with zeros, one dimension at a time.
  GradBuilder gb(builder, getLoc());
  auto inType = cast<RankedTensorType>(getX().getType());
  Value grad = resultGrads[0];
  for (int64_t dim = 0; dim < inType.getRank(); ++dim) {
    auto gradType = cast<RankedTensorType>(grad.getType());
    int64_t before = getStart()[dim];
    int64_t after = inType.getDimSize(dim) - before - gradType.getDimSize(dim);
    if (before == 0 && after == 0)
      continue;
    SmallVector<Value> pieces;
    auto zeros = [&](int64_t extent) {
      SmallVector<int64_t> shape(gradType.getShape());
      shape[dim] = extent;
      return gb.zerosLike(RankedTensorType::get(shape, gradType.getElementType()));
    };
    if (before)
      pieces.push_back(zeros(before));
    pieces.push_back(grad);
    if (after)
      pieces.push_back(zeros(after));
    grad = builder.create<ConcatOp>(getLoc(), pieces, dim);
  }
  operandGrads.push_back(grad);
  return success();
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

LogicalResult ReduceSumOp::buildVJP(OpBuilder &builder, ArrayRef<Value> resultGrads,
                                    SmallVectorImpl<Value> &operandGrads) {
  GradBuilder gb(builder, getLoc());
  operandGrads.push_back(
      gb.expandTo(resultGrads[0], getAxes(), getKeepDims(), getX().getType()));
  return success();
}

LogicalResult ReduceMeanOp::buildVJP(OpBuilder &builder, ArrayRef<Value> resultGrads,
                                     SmallVectorImpl<Value> &operandGrads) {
  GradBuilder gb(builder, getLoc());
  auto inType = cast<RankedTensorType>(getX().getType());
  int64_t count = 1;
  for (int64_t axis : getAxes())
    count *= inType.getDimSize(axis);
  Value scaled = gb.mul(resultGrads[0], 1.0 / static_cast<double>(count));
  operandGrads.push_back(gb.expandTo(scaled, getAxes(), getKeepDims(), inType));
  return success();
}

LogicalResult ReduceMaxOp::buildVJP(OpBuilder &builder, ArrayRef<Value> resultGrads,
                                    SmallVectorImpl<Value> &operandGrads) {
  // The gradient is shared evenly by the maximal elements (as torch.amax).
  GradBuilder gb(builder, getLoc());
  Type inType = getX().getType();
  Value maxima = gb.expandTo(getResult(), getAxes(), getKeepDims(), inType);
  Value isMax = builder.create<CastOp>(
      getLoc(), inType, gb.compare(CmpPredicate::eq, getX(), maxima));
  Value count = gb.expandTo(gb.reduceSum(isMax, getAxes(), getKeepDims()), getAxes(),
                            getKeepDims(), inType);
  Value g = gb.expandTo(resultGrads[0], getAxes(), getKeepDims(), inType);
  operandGrads.push_back(gb.div(gb.mul(g, isMax), count));
  return success();
}

//===----------------------------------------------------------------------===//
// Linear algebra, convolution, pooling
//===----------------------------------------------------------------------===//

LogicalResult MatmulOp::buildVJP(OpBuilder &builder, ArrayRef<Value> resultGrads,
                                 SmallVectorImpl<Value> &operandGrads) {
  GradBuilder gb(builder, getLoc());
  Value g = resultGrads[0], a = getLhs(), b = getRhs();
  bool ta = getTransposeLhs(), tb = getTransposeRhs();
  auto matmul = [&](Value x, Value y, bool tx, bool ty) -> Value {
    return builder.create<MatmulOp>(getLoc(), x, y, tx, ty);
  };
  // C = op(A) op(B); dop(A) = G op(B)^T, dop(B) = op(A)^T G.
  Value gradA = ta ? matmul(b, g, tb, true) : matmul(g, b, false, !tb);
  Value gradB = tb ? matmul(g, a, true, ta) : matmul(a, g, !ta, false);
  operandGrads.push_back(gb.reduceTo(gradA, a.getType()));
  operandGrads.push_back(gb.reduceTo(gradB, b.getType()));
  return success();
}

LogicalResult LinearOp::buildVJP(OpBuilder &builder, ArrayRef<Value> resultGrads,
                                 SmallVectorImpl<Value> &operandGrads) {
  GradBuilder gb(builder, getLoc());
  Value g = resultGrads[0];
  // y = x W^T + b:  dx = g W,  dW = g^T x,  db = sum over the batch of g.
  operandGrads.push_back(builder.create<MatmulOp>(getLoc(), g, getWeight(), false, false));
  operandGrads.push_back(builder.create<MatmulOp>(getLoc(), g, getX(), true, false));
  if (getBias())
    operandGrads.push_back(gb.reduceSum(g, {0}, false));
  return success();
}

LogicalResult Conv2DOp::buildVJP(OpBuilder &builder, ArrayRef<Value> resultGrads,
                                 SmallVectorImpl<Value> &operandGrads) {
  GradBuilder gb(builder, getLoc());
  Value g = resultGrads[0];
  operandGrads.push_back(builder.create<Conv2DBackwardInputOp>(
      getLoc(), getX().getType(), g, getWeight(), getStride(), getPadding()));
  operandGrads.push_back(builder.create<Conv2DBackwardFilterOp>(
      getLoc(), getWeight().getType(), getX(), g, getStride(), getPadding()));
  if (getBias())
    operandGrads.push_back(gb.reduceSum(g, {0, 2, 3}, false));
  return success();
}

LogicalResult MaxPool2DOp::buildVJP(OpBuilder &builder, ArrayRef<Value> resultGrads,
                                    SmallVectorImpl<Value> &operandGrads) {
  operandGrads.push_back(builder.create<MaxPool2DBackwardOp>(
      getLoc(), getX().getType(), getX(), resultGrads[0], getKernel(), getStride(),
      getPadding()));
  return success();
}

LogicalResult AvgPool2DOp::buildVJP(OpBuilder &builder, ArrayRef<Value> resultGrads,
                                    SmallVectorImpl<Value> &operandGrads) {
  operandGrads.push_back(builder.create<AvgPool2DBackwardOp>(
      getLoc(), getX().getType(), resultGrads[0], getKernel(), getStride(),
      getPadding()));
  return success();
}

//===----------------------------------------------------------------------===//
// Normalization
//===----------------------------------------------------------------------===//

LogicalResult BatchNormTrainOp::buildVJP(OpBuilder &builder,
                                         ArrayRef<Value> resultGrads,
                                         SmallVectorImpl<Value> &operandGrads) {
  // The batch statistics and running-statistic results exist for the backward
  // pass and the train step; a model never differentiates through them.
  for (Value grad : resultGrads.drop_front())
    if (grad)
      return emitOpError() << "only the normalized output is differentiable";
  auto backward = builder.create<BatchNormBackwardOp>(
      getLoc(), getX(), resultGrads[0], getGamma(), getMean(), getVar(), getEps());
  operandGrads.append({backward.getDx(), backward.getDgamma(), backward.getDbeta(),
                       Value(), Value()});
  return success();
}

bool BatchNormTrainOp::isNonDifferentiableOperand(unsigned index) {
  return index >= 3; // running_mean, running_var
}

// With the statistics fixed, y = x · s + (beta − mean · s), s = gamma / √(var + eps),
// per channel (axis 1): dx = g · s, dgamma = Σ g · x̂, dbeta = Σ g over every
// axis but the channel's, x̂ = (x − mean) / √(var + eps).
LogicalResult BatchNormEvalOp::buildVJP(OpBuilder &builder, ArrayRef<Value> resultGrads,
                                        SmallVectorImpl<Value> &operandGrads) {
  GradBuilder gb(builder, getLoc());
  Value g = resultGrads[0];
  auto xType = cast<RankedTensorType>(getX().getType());
  // A [C] statistic as [C, 1, ...], to broadcast over x's axes after 1.
  auto perChannel = [&](Value v) -> Value {
    if (xType.getRank() <= 2)
      return v;
    SmallVector<int64_t> shape(xType.getRank() - 1, 1);
    shape[0] = xType.getDimSize(1);
    return builder.create<ReshapeOp>(getLoc(),
                                     RankedTensorType::get(shape, xType.getElementType()), v);
  };
  Value inv = builder.create<RsqrtOp>(getLoc(), gb.add(getRunningVar(), gb.scalar(g, getEps().convertToDouble())));
  SmallVector<int64_t> axes;
  for (int64_t d = 0; d < xType.getRank(); ++d)
    if (d != 1)
      axes.push_back(d);
  Value dx = gb.mul(g, perChannel(gb.mul(getGamma(), inv)));
  Value xhat = gb.mul(gb.sub(getX(), perChannel(getRunningMean())), perChannel(inv));
  operandGrads.append({dx, gb.reduceSum(gb.mul(g, xhat), axes, false),
                       gb.reduceSum(g, axes, false), Value(), Value()});
  return success();
}

bool BatchNormEvalOp::isNonDifferentiableOperand(unsigned index) {
  return index >= 3; // running_mean, running_var
}

LogicalResult LayerNormOp::buildVJP(OpBuilder &builder, ArrayRef<Value> resultGrads,
                                    SmallVectorImpl<Value> &operandGrads) {
  auto backward = builder.create<LayerNormBackwardOp>(getLoc(), getX(), resultGrads[0],
                                                      getGamma(), getEps());
  operandGrads.append(
      {backward.getDx(), backward.getDgamma(), backward.getDbeta()});
  return success();
}

//===----------------------------------------------------------------------===//
// Softmax, losses, embedding, dropout
//===----------------------------------------------------------------------===//

LogicalResult SoftmaxOp::buildVJP(OpBuilder &builder, ArrayRef<Value> resultGrads,
                                  SmallVectorImpl<Value> &operandGrads) {
  GradBuilder gb(builder, getLoc());
  Value g = resultGrads[0], y = getResult();
  // dx = y (g - sum(g y))
  Value dot = gb.reduceSum(gb.mul(g, y), {static_cast<int64_t>(getAxis())}, true);
  operandGrads.push_back(gb.mul(y, gb.sub(g, dot)));
  return success();
}

LogicalResult LogSoftmaxOp::buildVJP(OpBuilder &builder, ArrayRef<Value> resultGrads,
                                     SmallVectorImpl<Value> &operandGrads) {
  GradBuilder gb(builder, getLoc());
  Value g = resultGrads[0];
  // dx = g - softmax(x) sum(g)
  Value total = gb.reduceSum(g, {static_cast<int64_t>(getAxis())}, true);
  operandGrads.push_back(gb.sub(g, gb.mul(gb.exp(getResult()), total)));
  return success();
}

LogicalResult SoftmaxCrossEntropyOp::buildVJP(OpBuilder &builder,
                                              ArrayRef<Value> resultGrads,
                                              SmallVectorImpl<Value> &operandGrads) {
  operandGrads.push_back(builder.create<SoftmaxCrossEntropyBackwardOp>(
      getLoc(), getLogits(), getLabels(), resultGrads[0], getIgnoreIndexAttr()));
  operandGrads.push_back(Value());
  return success();
}

bool SoftmaxCrossEntropyOp::isNonDifferentiableOperand(unsigned index) {
  return index == 1;
}

LogicalResult GatherRowsOp::buildVJP(OpBuilder &builder, ArrayRef<Value> resultGrads,
                                     SmallVectorImpl<Value> &operandGrads) {
  operandGrads.push_back(builder.create<ScatterAddRowsOp>(
      getLoc(), getTable().getType(), getIds(), resultGrads[0]));
  operandGrads.push_back(Value());
  return success();
}

bool GatherRowsOp::isNonDifferentiableOperand(unsigned index) { return index == 1; }

LogicalResult DropoutOp::buildVJP(OpBuilder &builder, ArrayRef<Value> resultGrads,
                                  SmallVectorImpl<Value> &operandGrads) {
  // Dropout is linear in x with a mask that depends only on (key, stream):
  // its VJP is the same dropout applied to the gradient.
  operandGrads.push_back(builder.create<DropoutOp>(getLoc(), resultGrads[0], getKey(),
                                                   getP(), getStream()));
  operandGrads.push_back(Value());
  return success();
}

bool DropoutOp::isNonDifferentiableOperand(unsigned index) { return index == 1; }

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

LogicalResult AttentionOp::buildVJP(OpBuilder &builder, ArrayRef<Value> resultGrads,
                                    SmallVectorImpl<Value> &operandGrads) {
  // The logsumexp exists for the backward; a model never differentiates it.
  if (resultGrads.size() > 1 && resultGrads[1])
    return emitOpError() << "only the attention's result is differentiable";
  auto backward = builder.create<AttentionBackwardOp>(
      getLoc(), getQ(), getK(), getV(), getResult(), getLogsumexp(), resultGrads[0],
      getHeadsAttr(), getCausalAttr(), getScaleAttr());
  operandGrads.append({backward.getDq(), backward.getDk(), backward.getDv()});
  return success();
}

//===----------------------------------------------------------------------===//
// Recurrent layers
//===----------------------------------------------------------------------===//

/// The saved results (gates, cells) exist for the backward; a model never
/// differentiates them.
static LogicalResult requireOnlyFirstResultGradient(Operation *op,
                                                    ArrayRef<Value> resultGrads) {
  for (Value grad : resultGrads.drop_front())
    if (grad)
      return op->emitOpError() << "only the layer's result is differentiable";
  return success();
}

LogicalResult LstmOp::buildVJP(OpBuilder &builder, ArrayRef<Value> resultGrads,
                               SmallVectorImpl<Value> &operandGrads) {
  if (failed(requireOnlyFirstResultGradient(*this, resultGrads)))
    return failure();
  auto backward = builder.create<LstmBackwardOp>(getLoc(), getX(), getWIh(), getWHh(),
                                                 getResult(), getGates(), getCells(),
                                                 resultGrads[0]);
  operandGrads.append(backward->result_begin(), backward->result_end());
  return success();
}

LogicalResult GruOp::buildVJP(OpBuilder &builder, ArrayRef<Value> resultGrads,
                              SmallVectorImpl<Value> &operandGrads) {
  if (failed(requireOnlyFirstResultGradient(*this, resultGrads)))
    return failure();
  auto backward = builder.create<GruBackwardOp>(getLoc(), getX(), getWIh(), getWHh(),
                                                getResult(), getGates(), resultGrads[0]);
  operandGrads.append(backward->result_begin(), backward->result_end());
  return success();
}
