//===- NNOps.td - nn dialect operations -----------------------*- tablegen -*-===//

#ifndef GRADC_DIALECT_NN_IR_NNOPS_TD
#define GRADC_DIALECT_NN_IR_NNOPS_TD

include "gradc/Dialect/NN/IR/NNBase.td"
include "gradc/Dialect/NN/IR/NNAttrs.td"
include "gradc/Dialect/NN/IR/NNInterfaces.td"
include "mlir/IR/OpBase.td"
include "mlir/IR/BuiltinAttributes.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"

// Every nn op is pure: it reads its operands and defines its results.
def NN_Differentiable : DeclareOpInterfaceMethods<DifferentiableOpInterface>;
def NN_DifferentiableExcept : DeclareOpInterfaceMethods<DifferentiableOpInterface,
                                                        ["isNonDifferentiableOperand"]>;

// How each op runs in the generated program (NNInterfaces.td; NNKernels.cpp).
def NN_Elementwise : DeclareOpInterfaceMethods<ElementwiseOpInterface>;
def NN_Kernel : DeclareOpInterfaceMethods<KernelOpInterface, ["getFlops"]>;
def NN_MovesData : DeclareOpInterfaceMethods<KernelOpInterface>; // no FLOPs
def NN_EpilogueProducer : DeclareOpInterfaceMethods<KernelOpInterface,
                                                    ["getFlops", "canLeadEpilogue"]>;
// Written into ONNX graphs by `--export-onnx` (NNInterfaces.td; NNOnnx.cpp).
def NN_OnnxExportable : DeclareOpInterfaceMethods<OnnxExportOpInterface>;

def NN_RowBlockProducer : DeclareOpInterfaceMethods<KernelOpInterface,
    ["getFlops", "canLeadEpilogue", "canComputeRowBlocks", "printRowBlock"]>;

class NN_Op<string mnemonic, list<Trait> traits = []>
    : Op<NN_Dialect, mnemonic, !listconcat([Pure], traits)>;

// Ops whose result type follows from operands and attributes implement
// `static LogicalResult inferResultType(...)` through this class; the
// generic InferTypeOpInterface verifier then reports "inferred type ... is
// incompatible with return type ..." on a mismatch.
class NN_InferredOp<string mnemonic, list<Trait> traits = []>
    : NN_Op<mnemonic, !listconcat([InferTypeOpAdaptor], traits)>;

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

def NN_ConstantOp : NN_InferredOp<"constant", [NN_OnnxExportable, NN_MovesData, ConstantLike, NN_Differentiable]> {
  let summary = "a tensor literal";
  let description = [{
    Materializes a dense tensor literal. Rank-0 constants are how scalars
    enter elementwise arithmetic: binary ops broadcast them.

    ```mlir
    %half = nn.constant dense<5.000000e-01> : tensor<f32>
    %bias = nn.constant dense<[1.0, 2.0]> : tensor<2xf32>
    ```
  }];
  let arguments = (ins ElementsAttr:$value);
  let results = (outs NN_AnyTensor:$result);
  let assemblyFormat = "attr-dict $value";
  let hasFolder = 1;
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Elementwise binary ops with NumPy broadcasting
//===----------------------------------------------------------------------===//

class NN_BroadcastBinaryOp<string mnemonic, string opSummary, string formula,
                           list<Trait> traits = []>
    : NN_InferredOp<mnemonic, !listconcat([NN_OnnxExportable, NN_Elementwise, NN_Differentiable], traits)> {
  let summary = opSummary;
  let description = [{
    Computes `}] # formula # [{` elementwise. The operands broadcast as in
    NumPy: shapes are aligned at the trailing dimension and each pair of
    dimensions must be equal or one of them 1; the result has the larger
    extent in each position. Both operands have the same element type.

    ```mlir
    %y = nn.}] # mnemonic # [{ %a, %b : tensor<64x10xf32>, tensor<10xf32> -> tensor<64x10xf32>
    ```
  }];
  let arguments = (ins NN_NumericTensor:$lhs, NN_NumericTensor:$rhs);
  let results = (outs NN_NumericTensor:$result);
  let assemblyFormat =
      "$lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)";
  let hasFolder = 1;
}

def NN_AddOp : NN_BroadcastBinaryOp<"add", "elementwise addition", "lhs + rhs", [Commutative]>;
def NN_SubOp : NN_BroadcastBinaryOp<"sub", "elementwise subtraction", "lhs - rhs">;
def NN_MulOp : NN_BroadcastBinaryOp<"mul", "elementwise multiplication", "lhs * rhs", [Commutative]>;
def NN_DivOp : NN_BroadcastBinaryOp<"div", "elementwise division", "lhs / rhs">;
def NN_MaximumOp : NN_BroadcastBinaryOp<"maximum", "elementwise maximum", "max(lhs, rhs)", [Commutative]>;
def NN_MinimumOp : NN_BroadcastBinaryOp<"minimum", "elementwise minimum", "min(lhs, rhs)", [Commutative]>;
def NN_PowOp : NN_BroadcastBinaryOp<"pow", "elementwise power", "lhs ^ rhs">;

def NN_CompareOp : NN_InferredOp<"compare", [NN_OnnxExportable, NN_Elementwise]> {
  let summary = "elementwise comparison producing an i1 mask";
  let description = [{
    Compares two broadcast-compatible tensors of the same element type and
    yields an `i1` tensor of the broadcast shape. Comparisons are ordered:
    any comparison involving NaN is false, except `ne`.

    ```mlir
    %pos = nn.compare gt, %x, %zero : tensor<64x256xf32>, tensor<f32> -> tensor<64x256xi1>
    ```
  }];
  let arguments = (ins NN_CmpPredicate:$predicate, NN_NumericTensor:$lhs,
                       NN_NumericTensor:$rhs);
  let results = (outs NN_MaskTensor:$result);
  let assemblyFormat =
      "$predicate `,` $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)";
}

def NN_SelectOp : NN_InferredOp<"select", [NN_OnnxExportable, NN_Elementwise, NN_DifferentiableExcept]> {
  let summary = "elementwise choice between two tensors by an i1 mask";
  let description = [{
    Yields `cond ? on_true : on_false` elementwise. All three operands
    broadcast together; the two value operands have the same element type.

    ```mlir
    %dx = nn.select %pos, %dy, %zero : tensor<64x256xi1>, tensor<64x256xf32>, tensor<f32> -> tensor<64x256xf32>
    ```
  }];
  let arguments = (ins NN_MaskTensor:$cond, NN_NumericTensor:$on_true,
                       NN_NumericTensor:$on_false);
  let results = (outs NN_NumericTensor:$result);
  let assemblyFormat = [{
    $cond `,` $on_true `,` $on_false attr-dict `:` type($cond) `,` type($on_true) `,`
    type($on_false) `->` type($result)
  }];
  let hasFolder = 1;
}

def NN_CastOp : NN_Op<"cast", [NN_OnnxExportable, NN_Elementwise, SameOperandsAndResultShape, NN_Differentiable]> {
  let summary = "elementwise element-type conversion";
  let description = [{
    Converts every element to the result's element type: floats to integers
    truncate toward zero, `i1` becomes 0 or 1, and any nonzero value becomes
    `true` when converting to `i1`.

    ```mlir
    %hits = nn.cast %eq : tensor<64xi1> -> tensor<64xf32>
    ```
  }];
  let arguments = (ins NN_AnyTensor:$x);
  let results = (outs NN_AnyTensor:$result);
  let assemblyFormat = "$x attr-dict `:` type($x) `->` type($result)";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Elementwise unary ops
//===----------------------------------------------------------------------===//

class NN_UnaryOp<string mnemonic, string opSummary, string formula,
                 list<Trait> traits = []>
    : NN_Op<mnemonic, !listconcat([NN_OnnxExportable, NN_Elementwise,
        DeclareOpInterfaceMethods<UnaryFunctionOpInterface>, SameOperandsAndResultType,
        NN_Differentiable], traits)> {
  let summary = opSummary;
  let description = [{
    Computes `}] # formula # [{` for every element of a floating-point tensor.

    ```mlir
    %y = nn.}] # mnemonic # [{ %x : tensor<64x256xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$x);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$x attr-dict `:` type($x)";
  // A splat operand folds through `evaluate` (NNKernels.cpp), where the
  // function is stated.
  let hasFolder = 1;
  let extraClassDefinition = [{
    ::mlir::OpFoldResult $cppClass::fold(FoldAdaptor adaptor) {
      return foldUnaryFunction(*this, adaptor.getX());
    }
  }];
}

def NN_NegOp : NN_UnaryOp<"neg", "elementwise negation", "-x", [Involution]>;
def NN_ExpOp : NN_UnaryOp<"exp", "elementwise exponential", "e^x">;
def NN_LogOp : NN_UnaryOp<"log", "elementwise natural logarithm", "ln(x)">;
def NN_SqrtOp : NN_UnaryOp<"sqrt", "elementwise square root", "sqrt(x)">;
def NN_RsqrtOp : NN_UnaryOp<"rsqrt", "elementwise reciprocal square root", "1 / sqrt(x)">;
def NN_AbsOp : NN_UnaryOp<"abs", "elementwise absolute value", "|x|", [Idempotent]>;
def NN_SignOp : NN_UnaryOp<"sign", "elementwise sign", "x > 0 ? 1 : (x < 0 ? -1 : 0)", [Idempotent]>;
def NN_SquareOp : NN_UnaryOp<"square", "elementwise square", "x * x">;
def NN_ErfOp : NN_UnaryOp<"erf", "elementwise Gauss error function", "erf(x)">;
def NN_ReluOp : NN_UnaryOp<"relu", "rectified linear unit", "max(x, 0)", [Idempotent]>;
def NN_SigmoidOp : NN_UnaryOp<"sigmoid", "logistic sigmoid", "1 / (1 + e^-x)">;
def NN_TanhOp : NN_UnaryOp<"tanh", "hyperbolic tangent", "tanh(x)">;
def NN_GeluOp : NN_UnaryOp<"gelu", "Gaussian error linear unit (exact erf form)",
                           "x * 0.5 * (1 + erf(x / sqrt(2)))">;
def NN_SoftplusOp : NN_UnaryOp<"softplus", "numerically stable softplus",
                               "max(x, 0) + log(1 + e^-|x|)">;
def NN_SiluOp : NN_UnaryOp<"silu", "sigmoid-weighted linear unit (swish)",
                           "x * sigmoid(x) = x / (1 + e^-x)">;

def NN_LeakyReluOp : NN_Op<"leaky_relu", [NN_OnnxExportable, NN_Elementwise, SameOperandsAndResultType, NN_Differentiable]> {
  let summary = "leaky rectified linear unit";
  let description = [{
    Computes `x > 0 ? x : slope * x` elementwise (PyTorch's `leaky_relu`,
    default slope 0.01).

    ```mlir
    %y = nn.leaky_relu %x {slope = 0.01 : f64} : tensor<64x256xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$x, DefaultValuedAttr<F64Attr, "0.01">:$slope);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$x attr-dict `:` type($x)";
}

//===----------------------------------------------------------------------===//
// Shape ops
//===----------------------------------------------------------------------===//

def NN_ReshapeOp : NN_Op<"reshape", [NN_OnnxExportable, NN_Differentiable]> {
  let summary = "reinterpret a tensor's shape, keeping row-major element order";
  let description = [{
    The result has the same element type and element count as the operand.

    ```mlir
    %flat = nn.reshape %x : tensor<64x1x28x28xf32> -> tensor<64x784xf32>
    ```
  }];
  let arguments = (ins NN_AnyTensor:$x);
  let results = (outs NN_AnyTensor:$result);
  let assemblyFormat = "$x attr-dict `:` type($x) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def NN_TransposeOp : NN_InferredOp<"transpose", [NN_OnnxExportable, NN_MovesData, NN_Differentiable]> {
  let summary = "permute dimensions";
  let description = [{
    Result dimension `i` is operand dimension `permutation[i]`, as
    `torch.permute`.

    ```mlir
    %t = nn.transpose %x [1, 0] : tensor<64x10xf32> -> tensor<10x64xf32>
    ```
  }];
  let arguments = (ins NN_AnyTensor:$x, DenseI64ArrayAttr:$permutation);
  let results = (outs NN_AnyTensor:$result);
  let assemblyFormat = "$x $permutation attr-dict `:` type($x) `->` type($result)";
  let hasFolder = 1;
}

def NN_BroadcastToOp : NN_Op<"broadcast_to", [NN_OnnxExportable, NN_MovesData, NN_Differentiable]> {
  let summary = "broadcast a tensor to a larger shape";
  let description = [{
    Replicates the operand along size-1 and missing leading dimensions, by
    NumPy's broadcasting rule, to the result shape.

    ```mlir
    %b = nn.broadcast_to %bias : tensor<10xf32> -> tensor<64x10xf32>
    ```
  }];
  let arguments = (ins NN_AnyTensor:$x);
  let results = (outs NN_AnyTensor:$result);
  let assemblyFormat = "$x attr-dict `:` type($x) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def NN_ConcatOp : NN_InferredOp<"concat", [NN_OnnxExportable, NN_MovesData, NN_Differentiable]> {
  let summary = "join tensors along one dimension";
  let description = [{
    All inputs have the same rank and element type, and equal extents in
    every dimension but `axis`.

    ```mlir
    %c = nn.concat %a, %b {axis = 1 : i64} : (tensor<64x3xf32>, tensor<64x5xf32>) -> tensor<64x8xf32>
    ```
  }];
  let arguments = (ins Variadic<NN_AnyTensor>:$inputs, I64Attr:$axis);
  let results = (outs NN_AnyTensor:$result);
  let assemblyFormat = "$inputs attr-dict `:` functional-type($inputs, $result)";
  let hasFolder = 1;
}

def NN_SliceOp : NN_Op<"slice", [NN_OnnxExportable, NN_MovesData, NN_Differentiable]> {
  let summary = "a static, unit-stride window of a tensor";
  let description = [{
    Takes, in every dimension `i`, the elements `[start[i], start[i] +
    size[i])` where `size` is the result shape.

    ```mlir
    %a = nn.slice %c [0, 3] : tensor<64x8xf32> -> tensor<64x5xf32>
    ```
  }];
  let arguments = (ins NN_AnyTensor:$x, DenseI64ArrayAttr:$start);
  let results = (outs NN_AnyTensor:$result);
  let assemblyFormat = "$x $start attr-dict `:` type($x) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

class NN_ReduceOp<string mnemonic, string opSummary, string example>
    : NN_InferredOp<mnemonic, [NN_OnnxExportable, NN_Kernel, NN_Differentiable]> {
  let summary = opSummary;
  let description = [{
    Reduces over `axes` (sorted, distinct, in `[0, rank)`). With `keep_dims`
    the reduced dimensions stay with extent 1, otherwise they are removed.

    ```mlir
    }] # example # [{
    ```
  }];
  let arguments = (ins NN_NumericTensor:$x, DenseI64ArrayAttr:$axes,
                       DefaultValuedAttr<BoolAttr, "false">:$keep_dims);
  let results = (outs NN_NumericTensor:$result);
  let assemblyFormat = "$x $axes attr-dict `:` type($x) `->` type($result)";
  let hasFolder = 1;
}

def NN_ReduceSumOp : NN_ReduceOp<"reduce_sum", "sum over dimensions",
    "%db = nn.reduce_sum %dy [0] : tensor<64x10xf32> -> tensor<10xf32>">;
def NN_ReduceMeanOp : NN_ReduceOp<"reduce_mean", "mean over dimensions",
    "%m = nn.reduce_mean %x [0, 1] : tensor<64x10xf32> -> tensor<f32>">;
def NN_ReduceMaxOp : NN_ReduceOp<"reduce_max", "maximum over dimensions",
    "%m = nn.reduce_max %x [1] {keep_dims = true} : tensor<64x10xf32> -> tensor<64x1xf32>">;

def NN_ArgmaxOp : NN_InferredOp<"argmax", [NN_OnnxExportable, NN_Kernel]> {
  let summary = "index of the largest element along one dimension";
  let description = [{
    Yields `i32` indices with `axis` removed; ties go to the first index, as
    `torch.argmax`. Not differentiable.

    ```mlir
    %pred = nn.argmax %logits {axis = 1 : i64} : tensor<64x10xf32> -> tensor<64xi32>
    ```
  }];
  let arguments = (ins NN_NumericTensor:$x, I64Attr:$axis);
  let results = (outs NN_IndexTensor:$result);
  let assemblyFormat = "$x attr-dict `:` type($x) `->` type($result)";
}

//===----------------------------------------------------------------------===//
// Linear algebra
//===----------------------------------------------------------------------===//

def NN_MatmulOp : NN_InferredOp<"matmul", [NN_OnnxExportable, NN_RowBlockProducer, NN_Differentiable]> {
  let summary = "batched matrix product";
  let description = [{
    Multiplies the trailing two dimensions of each operand (after the
    optional transposes) and broadcasts the leading (batch) dimensions as
    NumPy does; both operands have rank 2 or more and the same float type.

    ```mlir
    %c = nn.matmul %a, %b : tensor<8x64x32xf32>, tensor<32x16xf32> -> tensor<8x64x16xf32>
    %dw = nn.matmul %dy, %x {transpose_lhs} : tensor<64x10xf32>, tensor<64x128xf32> -> tensor<10x128xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$lhs, NN_FloatTensor:$rhs,
                       UnitAttr:$transpose_lhs, UnitAttr:$transpose_rhs);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat =
      "$lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)";
}

def NN_LinearOp : NN_InferredOp<"linear", [NN_OnnxExportable, NN_EpilogueProducer, NN_Differentiable]> {
  let summary = "fully connected layer: x · weightᵀ + bias";
  let description = [{
    `x` is `[N, in]`, `weight` is `[out, in]` (PyTorch's layout) and the
    optional `bias` is `[out]`; the result is `[N, out]`.

    ```mlir
    %h = nn.linear %x, %w, %b : (tensor<64x784xf32>, tensor<256x784xf32>, tensor<256xf32>) -> tensor<64x256xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$x, NN_FloatTensor:$weight,
                       Optional<NN_FloatTensor>:$bias);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat =
      "$x `,` $weight (`,` $bias^)? attr-dict `:` functional-type(operands, results)";
}

//===----------------------------------------------------------------------===//
// Convolution and pooling (NCHW)
//===----------------------------------------------------------------------===//

def NN_Conv2DOp : NN_InferredOp<"conv2d", [NN_OnnxExportable, NN_EpilogueProducer, NN_Differentiable]> {
  let summary = "2-D convolution (cross-correlation), NCHW";
  let description = [{
    `x` is `[N, C, H, W]`, `weight` `[O, C, KH, KW]`, optional `bias` `[O]`;
    the result is `[N, O, (H + 2·ph − KH) / sh + 1, (W + 2·pw − KW) / sw + 1]`
    with zero padding, as `torch.nn.functional.conv2d`.

    ```mlir
    %y = nn.conv2d %x, %w, %b {stride = array<i64: 1, 1>, padding = array<i64: 2, 2>}
        : (tensor<64x1x28x28xf32>, tensor<6x1x5x5xf32>, tensor<6xf32>) -> tensor<64x6x28x28xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$x, NN_FloatTensor:$weight,
                       Optional<NN_FloatTensor>:$bias,
                       DenseI64ArrayAttr:$stride, DenseI64ArrayAttr:$padding);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat =
      "$x `,` $weight (`,` $bias^)? attr-dict `:` functional-type(operands, results)";
}

def NN_Conv2DBackwardInputOp : NN_Op<"conv2d_backward_input", [NN_Kernel]> {
  let summary = "gradient of conv2d with respect to its input";
  let description = [{
    Given the result gradient `dy` `[N, O, OH, OW]` and the filter, yields
    the input gradient, whose shape (the forward input's) is the result type.

    ```mlir
    %dx = nn.conv2d_backward_input %dy, %w {stride = array<i64: 1, 1>, padding = array<i64: 2, 2>}
        : (tensor<64x6x28x28xf32>, tensor<6x1x5x5xf32>) -> tensor<64x1x28x28xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$dy, NN_FloatTensor:$weight,
                       DenseI64ArrayAttr:$stride, DenseI64ArrayAttr:$padding);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$dy `,` $weight attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def NN_Conv2DBackwardFilterOp : NN_Op<"conv2d_backward_filter", [NN_Kernel]> {
  let summary = "gradient of conv2d with respect to its filter";
  let description = [{
    Given the forward input `x` and the result gradient `dy`, yields the
    filter gradient `[O, C, KH, KW]` (the result type).

    ```mlir
    %dw = nn.conv2d_backward_filter %x, %dy {stride = array<i64: 1, 1>, padding = array<i64: 2, 2>}
        : (tensor<64x1x28x28xf32>, tensor<64x6x28x28xf32>) -> tensor<6x1x5x5xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$x, NN_FloatTensor:$dy,
                       DenseI64ArrayAttr:$stride, DenseI64ArrayAttr:$padding);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$x `,` $dy attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

class NN_Pool2DOp<string mnemonic, string opSummary, string detail>
    : NN_InferredOp<mnemonic, [NN_OnnxExportable, NN_Kernel, NN_Differentiable]> {
  let summary = opSummary;
  let description = [{
    Pools `[N, C, H, W]` over `kernel` windows moved by `stride` over the
    input padded by `padding` on each side; the result is
    `[N, C, (H + 2·ph − KH) / sh + 1, (W + 2·pw − KW) / sw + 1]`.
    }] # detail # [{

    ```mlir
    %p = nn.}] # mnemonic # [{ %x {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>}
        : tensor<64x6x28x28xf32> -> tensor<64x6x14x14xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$x, DenseI64ArrayAttr:$kernel,
                       DenseI64ArrayAttr:$stride, DenseI64ArrayAttr:$padding);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$x attr-dict `:` type($x) `->` type($result)";
}

def NN_MaxPool2DOp : NN_Pool2DOp<"max_pool2d", "2-D max pooling, NCHW",
    "Padding counts as minus infinity.">;
def NN_AvgPool2DOp : NN_Pool2DOp<"avg_pool2d", "2-D average pooling, NCHW",
    "Padding counts as zeros in the average (PyTorch's count_include_pad).">;

def NN_MaxPool2DBackwardOp : NN_Op<"max_pool2d_backward", [NN_Kernel]> {
  let summary = "gradient of max_pool2d";
  let description = [{
    Routes each element of `dy` to the first maximal input element of its
    window (as PyTorch), summing where windows overlap. The result has the
    type of the forward input `x`.

    ```mlir
    %dx = nn.max_pool2d_backward %x, %dy {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>}
        : (tensor<64x6x28x28xf32>, tensor<64x6x14x14xf32>) -> tensor<64x6x28x28xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$x, NN_FloatTensor:$dy,
                       DenseI64ArrayAttr:$kernel, DenseI64ArrayAttr:$stride,
                       DenseI64ArrayAttr:$padding);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$x `,` $dy attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def NN_AvgPool2DBackwardOp : NN_Op<"avg_pool2d_backward", [NN_Kernel]> {
  let summary = "gradient of avg_pool2d";
  let description = [{
    Spreads each element of `dy` evenly over its window (divided by the full
    window size). The result type is the forward input's.

    ```mlir
    %dx = nn.avg_pool2d_backward %dy {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>}
        : tensor<64x6x14x14xf32> -> tensor<64x6x28x28xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$dy, DenseI64ArrayAttr:$kernel,
                       DenseI64ArrayAttr:$stride, DenseI64ArrayAttr:$padding);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$dy attr-dict `:` type($dy) `->` type($result)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Normalization
//===----------------------------------------------------------------------===//

def NN_BatchNormTrainOp : NN_InferredOp<"batch_norm_train", [NN_EpilogueProducer, NN_DifferentiableExcept]> {
  let summary = "batch normalization in training mode";
  let description = [{
    Normalizes `x` (`[N, C]` or `[N, C, H, W]`) per channel `C` with the
    batch mean and biased batch variance, then scales by `gamma` and shifts
    by `beta` (both `[C]`). Also yields the batch `mean` and `var` (kept for
    the backward pass) and the updated running statistics
    `(1 − momentum)·running + momentum·batch`, using the unbiased variance
    for `running_var`, exactly as `torch.nn.BatchNorm{1,2}d`.

    ```mlir
    %y, %mean, %var, %rm, %rv = nn.batch_norm_train %x, %g, %b, %running_mean, %running_var
        {eps = 1.0e-5 : f64, momentum = 0.1 : f64}
        : (tensor<64x512xf32>, tensor<512xf32>, tensor<512xf32>, tensor<512xf32>, tensor<512xf32>)
        -> (tensor<64x512xf32>, tensor<512xf32>, tensor<512xf32>, tensor<512xf32>, tensor<512xf32>)
    ```
  }];
  let arguments = (ins NN_FloatTensor:$x, NN_FloatTensor:$gamma,
                       NN_FloatTensor:$beta, NN_FloatTensor:$running_mean,
                       NN_FloatTensor:$running_var,
                       DefaultValuedAttr<F64Attr, "1.0e-5">:$eps,
                       DefaultValuedAttr<F64Attr, "0.1">:$momentum);
  let results = (outs NN_FloatTensor:$result, NN_FloatTensor:$mean,
                      NN_FloatTensor:$var, NN_FloatTensor:$new_running_mean,
                      NN_FloatTensor:$new_running_var);
  let assemblyFormat = [{
    $x `,` $gamma `,` $beta `,` $running_mean `,` $running_var attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def NN_BatchNormEvalOp : NN_InferredOp<"batch_norm_eval", [NN_OnnxExportable, NN_EpilogueProducer, NN_DifferentiableExcept]> {
  let summary = "batch normalization in evaluation mode";
  let description = [{
    Normalizes `x` per channel with the running statistics:
    `(x − running_mean) / sqrt(running_var + eps) · gamma + beta`. It is
    differentiable in `x`, `gamma` and `beta` with the statistics held fixed
    (a batch norm in evaluation mode inside a trained model, as a graph
    exported in eval mode, or a frozen backbone, trains).

    ```mlir
    %y = nn.batch_norm_eval %x, %g, %b, %rm, %rv {eps = 1.0e-5 : f64}
        : (tensor<64x512xf32>, tensor<512xf32>, tensor<512xf32>, tensor<512xf32>, tensor<512xf32>) -> tensor<64x512xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$x, NN_FloatTensor:$gamma,
                       NN_FloatTensor:$beta, NN_FloatTensor:$running_mean,
                       NN_FloatTensor:$running_var,
                       DefaultValuedAttr<F64Attr, "1.0e-5">:$eps);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = [{
    $x `,` $gamma `,` $beta `,` $running_mean `,` $running_var attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def NN_BatchNormBackwardOp : NN_InferredOp<"batch_norm_backward", [NN_Kernel]> {
  let summary = "gradients of batch_norm_train";
  let description = [{
    From the forward input, the result gradient, `gamma` and the batch
    statistics saved by `nn.batch_norm_train`, yields the gradients with
    respect to `x`, `gamma` and `beta`.

    ```mlir
    %dx, %dg, %db = nn.batch_norm_backward %x, %dy, %g, %mean, %var {eps = 1.0e-5 : f64}
        : (tensor<64x512xf32>, tensor<64x512xf32>, tensor<512xf32>, tensor<512xf32>, tensor<512xf32>)
        -> (tensor<64x512xf32>, tensor<512xf32>, tensor<512xf32>)
    ```
  }];
  let arguments = (ins NN_FloatTensor:$x, NN_FloatTensor:$dy,
                       NN_FloatTensor:$gamma, NN_FloatTensor:$mean,
                       NN_FloatTensor:$var,
                       DefaultValuedAttr<F64Attr, "1.0e-5">:$eps);
  let results = (outs NN_FloatTensor:$dx, NN_FloatTensor:$dgamma,
                      NN_FloatTensor:$dbeta);
  let assemblyFormat = [{
    $x `,` $dy `,` $gamma `,` $mean `,` $var attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def NN_LayerNormOp : NN_InferredOp<"layer_norm", [NN_OnnxExportable, NN_EpilogueProducer, NN_Differentiable]> {
  let summary = "layer normalization over the last dimension";
  let description = [{
    Normalizes each row of the last dimension `D` with its mean and biased
    variance, then applies the learned affine `gamma`, `beta` (both `[D]`).

    ```mlir
    %y = nn.layer_norm %x, %g, %b {eps = 1.0e-5 : f64}
        : (tensor<64x128xf32>, tensor<128xf32>, tensor<128xf32>) -> tensor<64x128xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$x, NN_FloatTensor:$gamma,
                       NN_FloatTensor:$beta,
                       DefaultValuedAttr<F64Attr, "1.0e-5">:$eps);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$x `,` $gamma `,` $beta attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def NN_LayerNormBackwardOp : NN_InferredOp<"layer_norm_backward", [NN_Kernel]> {
  let summary = "gradients of layer_norm";
  let description = [{
    Recomputes the row statistics of `x` and yields the gradients with
    respect to `x`, `gamma` and `beta`.

    ```mlir
    %dx, %dg, %db = nn.layer_norm_backward %x, %dy, %g {eps = 1.0e-5 : f64}
        : (tensor<64x128xf32>, tensor<64x128xf32>, tensor<128xf32>)
        -> (tensor<64x128xf32>, tensor<128xf32>, tensor<128xf32>)
    ```
  }];
  let arguments = (ins NN_FloatTensor:$x, NN_FloatTensor:$dy,
                       NN_FloatTensor:$gamma,
                       DefaultValuedAttr<F64Attr, "1.0e-5">:$eps);
  let results = (outs NN_FloatTensor:$dx, NN_FloatTensor:$dgamma,
                      NN_FloatTensor:$dbeta);
  let assemblyFormat = "$x `,` $dy `,` $gamma attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Softmax, losses and metrics
//===----------------------------------------------------------------------===//

class NN_SoftmaxLikeOp<string mnemonic, string opSummary, string formula>
    : NN_Op<mnemonic, [NN_OnnxExportable, NN_Kernel, SameOperandsAndResultType, NN_Differentiable]> {
  let summary = opSummary;
  let description = [{
    Computes `}] # formula # [{` along `axis` (in `[0, rank)`), subtracting the
    maximum first so that no exponential overflows.

    ```mlir
    %p = nn.}] # mnemonic # [{ %logits {axis = 1 : i64} : tensor<64x10xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$x, I64Attr:$axis);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$x attr-dict `:` type($x)";
  let hasVerifier = 1;
}

def NN_SoftmaxOp : NN_SoftmaxLikeOp<"softmax", "softmax", "e^x_i / Σ_j e^x_j">;
def NN_LogSoftmaxOp : NN_SoftmaxLikeOp<"log_softmax", "log-softmax",
                                       "x_i − log Σ_j e^x_j">;

def NN_SoftmaxCrossEntropyOp : NN_InferredOp<"softmax_cross_entropy", [NN_Kernel, NN_DifferentiableExcept]> {
  let summary = "mean softmax cross-entropy of logits against class labels";
  let description = [{
    `logits` is `[N, C]`, `labels` `i32` `[N]` with values in `[0, C)`; the
    result is the rank-0 mean over the batch of `−log softmax(logits)[label]`,
    as `torch.nn.functional.cross_entropy`. With `ignore_index`, a sample
    whose label is that value counts neither in the sum nor in the mean's
    divisor (every sample ignored: NaN), as PyTorch's `ignore_index`.

    ```mlir
    %loss = nn.softmax_cross_entropy %logits, %y : (tensor<64x10xf32>, tensor<64xi32>) -> tensor<f32>
    %masked = nn.softmax_cross_entropy %logits, %y {ignore_index = -100 : i64}
        : (tensor<64x10xf32>, tensor<64xi32>) -> tensor<f32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$logits, NN_IndexTensor:$labels,
                       OptionalAttr<I64Attr>:$ignore_index);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$logits `,` $labels attr-dict `:` functional-type(operands, results)";
}

def NN_SoftmaxCrossEntropyBackwardOp
    : NN_InferredOp<"softmax_cross_entropy_backward", [NN_Kernel]> {
  let summary = "gradient of softmax_cross_entropy with respect to the logits";
  let description = [{
    Yields `(softmax(logits) − onehot(labels)) · dloss / N`, the numerically
    stable closed form; with `ignore_index`, N counts the samples not
    ignored and an ignored sample's row is zero.

    ```mlir
    %dlogits = nn.softmax_cross_entropy_backward %logits, %y, %dloss
        : (tensor<64x10xf32>, tensor<64xi32>, tensor<f32>) -> tensor<64x10xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$logits, NN_IndexTensor:$labels,
                       NN_ScalarFloat:$dloss, OptionalAttr<I64Attr>:$ignore_index);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat =
      "$logits `,` $labels `,` $dloss attr-dict `:` functional-type(operands, results)";
}

def NN_ConfusionMatrixOp : NN_InferredOp<"confusion_matrix", [NN_Kernel]> {
  let summary = "counts of (label, prediction) pairs";
  let description = [{
    From `i32` predictions and labels (both `[N]`) yields the `i32`
    `[num_classes, num_classes]` matrix whose entry `[l, p]` counts samples
    with label `l` predicted as `p`; values outside `[0, num_classes)` are
    not counted. Accuracy, precision, recall and F1 are computed from its
    sum over an epoch. Not differentiable.

    ```mlir
    %cm = nn.confusion_matrix %pred, %y {num_classes = 10 : i64}
        : (tensor<64xi32>, tensor<64xi32>) -> tensor<10x10xi32>
    ```
  }];
  let arguments = (ins NN_IndexTensor:$predictions, NN_IndexTensor:$labels,
                       I64Attr:$num_classes);
  let results = (outs NN_IndexTensor:$result);
  let assemblyFormat =
      "$predictions `,` $labels attr-dict `:` functional-type(operands, results)";
}

//===----------------------------------------------------------------------===//
// Embedding
//===----------------------------------------------------------------------===//

def NN_GatherRowsOp : NN_InferredOp<"gather_rows", [NN_OnnxExportable, NN_MovesData, NN_DifferentiableExcept]> {
  let summary = "look up rows of a table (embedding)";
  let description = [{
    `table` is `[V, D]` and `ids` an `i32` tensor of any shape `S` with values
    in `[0, V)`; the result is `S × [D]`.

    ```mlir
    %e = nn.gather_rows %table, %ids : (tensor<1000x64xf32>, tensor<32x16xi32>) -> tensor<32x16x64xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$table, NN_IndexTensor:$ids);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$table `,` $ids attr-dict `:` functional-type(operands, results)";
}

def NN_ScatterAddRowsOp : NN_Op<"scatter_add_rows", [NN_Kernel]> {
  let summary = "sum rows into a table (gradient of gather_rows)";
  let description = [{
    Adds row `updates[i]` into row `ids[i]` of a zero table whose `[V, D]`
    shape is the result type.

    ```mlir
    %dtable = nn.scatter_add_rows %ids, %de : (tensor<32x16xi32>, tensor<32x16x64xf32>) -> tensor<1000x64xf32>
    ```
  }];
  let arguments = (ins NN_IndexTensor:$ids, NN_FloatTensor:$updates);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$ids `,` $updates attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

def NN_AttentionOp : NN_InferredOp<"attention", [NN_Kernel, NN_Differentiable]> {
  let summary = "multi-head scaled dot-product attention";
  let description = [{
    `q` is `[B, Tq, C]`, `k` and `v` are `[B, Tk, C]`; the channels of each
    are `heads` heads of `D = C / heads` consecutive columns (the layout of
    `x.view(B, T, heads, D)`). For every batch row and head,
    `result = softmax(scale · q kᵀ) v` over the key positions, where `scale`
    is `1 / sqrt(D)` unless given, and with `causal` query position `i`
    sees only key positions `j ≤ i` (then `Tq = Tk`). This is
    `torch.nn.functional.scaled_dot_product_attention` on
    `[B, heads, T, D]` views, with the heads folded back into `C`.

    The second result, `logsumexp`, `[B, heads, Tq]` and `f64` whatever the
    operands' type, is `log Σ_j exp(scale · q_i · k_j)` over the keys each
    query sees: the backward recomputes the probabilities from it (rounded to
    f32 it would cost an f32 training accuracy). The kernel holds a block
    of the scores at a time, never a whole `Tq × Tk` matrix, so its scratch
    is independent of T.

    ```mlir
    %y, %lse = nn.attention %q, %k, %v {heads = 4 : i64, causal, scale = 0.17677669529663687 : f64}
        : (tensor<12x64x128xf32>, tensor<12x64x128xf32>, tensor<12x64x128xf32>)
        -> (tensor<12x64x128xf32>, tensor<12x4x64xf64>)
    ```
  }];
  let arguments = (ins NN_FloatTensor:$q, NN_FloatTensor:$k, NN_FloatTensor:$v,
                       I64Attr:$heads, UnitAttr:$causal, F64Attr:$scale);
  let results = (outs NN_FloatTensor:$result, NN_FloatTensor:$logsumexp);
  let assemblyFormat = "$q `,` $k `,` $v attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def NN_AttentionBackwardOp : NN_InferredOp<"attention_backward", [NN_Kernel]> {
  let summary = "gradients of attention";
  let description = [{
    Given the operands of an `nn.attention`, its result, its `logsumexp` and
    the gradient `dy` of its result, yields the gradients with respect to
    `q`, `k` and `v`. The probabilities are recomputed a block at a time from
    `logsumexp`, as the forward computed them.

    ```mlir
    %dq, %dk, %dv = nn.attention_backward %q, %k, %v, %y, %lse, %dy {heads = 4 : i64, causal, scale = 0.17677669529663687 : f64}
        : (tensor<12x64x128xf32>, tensor<12x64x128xf32>, tensor<12x64x128xf32>,
           tensor<12x64x128xf32>, tensor<12x4x64xf64>, tensor<12x64x128xf32>)
        -> (tensor<12x64x128xf32>, tensor<12x64x128xf32>, tensor<12x64x128xf32>)
    ```
  }];
  let arguments = (ins NN_FloatTensor:$q, NN_FloatTensor:$k, NN_FloatTensor:$v,
                       NN_FloatTensor:$y, NN_FloatTensor:$logsumexp, NN_FloatTensor:$dy,
                       I64Attr:$heads, UnitAttr:$causal, F64Attr:$scale);
  let results = (outs NN_FloatTensor:$dq, NN_FloatTensor:$dk, NN_FloatTensor:$dv);
  let assemblyFormat = "$q `,` $k `,` $v `,` $y `,` $logsumexp `,` $dy attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Recurrent layers
//===----------------------------------------------------------------------===//

def NN_LstmOp : NN_InferredOp<"lstm", [NN_OnnxExportable, NN_Kernel, NN_Differentiable]> {
  let summary = "one LSTM layer over a batch of sequences";
  let description = [{
    One layer of `torch.nn.LSTM(in, H, batch_first=True)` from a zero
    initial state. `x` is `[B, T, in]`, `w_ih` `[4H, in]`, `w_hh` `[4H, H]`,
    `b_ih` and `b_hh` `[4H]`, the four gates in PyTorch's order: input `i`,
    forget `f`, cell `g`, output `o`. At each step t, with `h₋₁ = c₋₁ = 0`:

        a = x_t·w_ihᵀ + b_ih + h_{t−1}·w_hhᵀ + b_hh
        i, f, o = σ(a_i), σ(a_f), σ(a_o);  g = tanh(a_g)
        c_t = f ⊙ c_{t−1} + i ⊙ g;  h_t = o ⊙ tanh(c_t)

    `result` is every `h_t`, `[B, T, H]`. `gates` (`[T, B, 4H]`, the
    activated i, f, g, o) and `cells` (`[T, B, H]`, every c_t) exist for the
    backward; a model never differentiates them.

    ```mlir
    %y, %gates, %cells = nn.lstm %x, %w_ih, %w_hh, %b_ih, %b_hh
        : (tensor<12x64x32xf32>, tensor<1024x32xf32>, tensor<1024x256xf32>,
           tensor<1024xf32>, tensor<1024xf32>)
        -> (tensor<12x64x256xf32>, tensor<64x12x1024xf32>, tensor<64x12x256xf32>)
    ```
  }];
  let arguments = (ins NN_FloatTensor:$x, NN_FloatTensor:$w_ih, NN_FloatTensor:$w_hh,
                       NN_FloatTensor:$b_ih, NN_FloatTensor:$b_hh);
  let results = (outs NN_FloatTensor:$result, NN_FloatTensor:$gates,
                      NN_FloatTensor:$cells);
  let assemblyFormat = "$x `,` $w_ih `,` $w_hh `,` $b_ih `,` $b_hh attr-dict `:` functional-type(operands, results)";
}

def NN_LstmBackwardOp : NN_InferredOp<"lstm_backward", [NN_Kernel]> {
  let summary = "backpropagation through time of an LSTM layer";
  let description = [{
    Given the operands of an `nn.lstm` but the biases, its three results and
    the gradient `dy` of its result, yields the gradients with respect to
    `x`, `w_ih`, `w_hh`, `b_ih` and `b_hh` (the two bias gradients are
    equal).

    ```mlir
    %dx, %dw_ih, %dw_hh, %db_ih, %db_hh = nn.lstm_backward %x, %w_ih, %w_hh, %y, %gates, %cells, %dy
        : (tensor<12x64x32xf32>, tensor<1024x32xf32>, tensor<1024x256xf32>,
           tensor<12x64x256xf32>, tensor<64x12x1024xf32>, tensor<64x12x256xf32>,
           tensor<12x64x256xf32>)
        -> (tensor<12x64x32xf32>, tensor<1024x32xf32>, tensor<1024x256xf32>,
            tensor<1024xf32>, tensor<1024xf32>)
    ```
  }];
  let arguments = (ins NN_FloatTensor:$x, NN_FloatTensor:$w_ih, NN_FloatTensor:$w_hh,
                       NN_FloatTensor:$y, NN_FloatTensor:$gates, NN_FloatTensor:$cells,
                       NN_FloatTensor:$dy);
  let results = (outs NN_FloatTensor:$dx, NN_FloatTensor:$dw_ih, NN_FloatTensor:$dw_hh,
                      NN_FloatTensor:$db_ih, NN_FloatTensor:$db_hh);
  let assemblyFormat = "$x `,` $w_ih `,` $w_hh `,` $y `,` $gates `,` $cells `,` $dy attr-dict `:` functional-type(operands, results)";
}

def NN_GruOp : NN_InferredOp<"gru", [NN_OnnxExportable, NN_Kernel, NN_Differentiable]> {
  let summary = "one GRU layer over a batch of sequences";
  let description = [{
    One layer of `torch.nn.GRU(in, H, batch_first=True)` from a zero
    initial state. `x` is `[B, T, in]`, `w_ih` `[3H, in]`, `w_hh` `[3H, H]`,
    `b_ih` and `b_hh` `[3H]`, the gates in PyTorch's order: reset `r`,
    update `z`, new `n`. At each step t, with `h₋₁ = 0`:

        r = σ(x_t·w_irᵀ + b_ir + h_{t−1}·w_hrᵀ + b_hr)
        z = σ(x_t·w_izᵀ + b_iz + h_{t−1}·w_hzᵀ + b_hz)
        n = tanh(x_t·w_inᵀ + b_in + r ⊙ (h_{t−1}·w_hnᵀ + b_hn))
        h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}

    `result` is every `h_t`, `[B, T, H]`. `gates` (`[T, B, 4H]`: r, z, n and
    `h_{t−1}·w_hnᵀ + b_hn` of each step) exists for the backward; a model
    never differentiates it.

    ```mlir
    %y, %gates = nn.gru %x, %w_ih, %w_hh, %b_ih, %b_hh
        : (tensor<12x64x32xf32>, tensor<768x32xf32>, tensor<768x256xf32>,
           tensor<768xf32>, tensor<768xf32>)
        -> (tensor<12x64x256xf32>, tensor<64x12x1024xf32>)
    ```
  }];
  let arguments = (ins NN_FloatTensor:$x, NN_FloatTensor:$w_ih, NN_FloatTensor:$w_hh,
                       NN_FloatTensor:$b_ih, NN_FloatTensor:$b_hh);
  let results = (outs NN_FloatTensor:$result, NN_FloatTensor:$gates);
  let assemblyFormat = "$x `,` $w_ih `,` $w_hh `,` $b_ih `,` $b_hh attr-dict `:` functional-type(operands, results)";
}

def NN_GruBackwardOp : NN_InferredOp<"gru_backward", [NN_Kernel]> {
  let summary = "backpropagation through time of a GRU layer";
  let description = [{
    Given the operands of an `nn.gru` but the biases, its two results and
    the gradient `dy` of its result, yields the gradients with respect to
    `x`, `w_ih`, `w_hh`, `b_ih` and `b_hh`.

    ```mlir
    %dx, %dw_ih, %dw_hh, %db_ih, %db_hh = nn.gru_backward %x, %w_ih, %w_hh, %y, %gates, %dy
        : (tensor<12x64x32xf32>, tensor<768x32xf32>, tensor<768x256xf32>,
           tensor<12x64x256xf32>, tensor<64x12x1024xf32>, tensor<12x64x256xf32>)
        -> (tensor<12x64x32xf32>, tensor<768x32xf32>, tensor<768x256xf32>,
            tensor<768xf32>, tensor<768xf32>)
    ```
  }];
  let arguments = (ins NN_FloatTensor:$x, NN_FloatTensor:$w_ih, NN_FloatTensor:$w_hh,
                       NN_FloatTensor:$y, NN_FloatTensor:$gates, NN_FloatTensor:$dy);
  let results = (outs NN_FloatTensor:$dx, NN_FloatTensor:$dw_ih, NN_FloatTensor:$dw_hh,
                      NN_FloatTensor:$db_ih, NN_FloatTensor:$db_hh);
  let assemblyFormat = "$x `,` $w_ih `,` $w_hh `,` $y `,` $gates `,` $dy attr-dict `:` functional-type(operands, results)";
}

//===----------------------------------------------------------------------===//
// Dropout
//===----------------------------------------------------------------------===//

def NN_DropoutOp : NN_Op<"dropout", [NN_Kernel, AllTypesMatch<["x", "result"]>, NN_DifferentiableExcept]> {
  let summary = "inverted dropout with a counter-based random mask";
  let description = [{
    Zeroes each element with probability `p` and scales the survivors by
    `1 / (1 − p)`. The mask is a pure function of the random key, `stream`
    and the element's index, so the same key and stream always give the same
    mask: the op is its own vector-Jacobian product, and evaluation mode
    simply drops it.

    ```mlir
    %y = nn.dropout %x, %key {p = 2.0e-1 : f64, stream = 3 : i64} : tensor<64x512xf32>, tensor<i64>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$x, NN_RngKey:$key, F64Attr:$p,
                       I64Attr:$stream);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$x `,` $key attr-dict `:` type($x) `,` type($key)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

#endif // GRADC_DIALECT_NN_IR_NNOPS_TD
