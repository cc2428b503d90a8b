//===- NNOnnx.cpp - the nn ops in an ONNX inference graph -----------------===//
//
// The OnnxExportOpInterface of every nn op a predict entry point can hold:
// the ONNX nodes (opset 17) `PROGRAM --export-onnx` writes for it. Each op's
// nodes are those gradc's importer (compiler/lib/MLIRGen/OnnxImport.cpp)
// reads back as the same op, or as elementwise ops that round as it does, so
// that a re-imported graph predicts bitwise what the program predicts.
// Ops without an ONNX form here (attention, the training-only ops) do not
// implement the interface.
//
//===----------------------------------------------------------------------===//

#include "gradc/Dialect/NN/IR/NNOps.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"

#include <cmath>

using namespace mlir;
using namespace gradc;
using namespace gradc::nn;

OnnxGraphBuilder::~OnnxGraphBuilder() = default;

namespace {

using Attr = OnnxAttribute;

ArrayRef<int64_t> shapeOf(Value v) { return cast<RankedTensorType>(v.getType()).getShape(); }
Type elementOf(Value v) { return cast<RankedTensorType>(v.getType()).getElementType(); }

LogicalResult unary(OnnxGraphBuilder &graph, Operation *op, StringRef type,
                    ArrayRef<Attr> attributes = {}) {
  graph.addNode(type, {graph.nameOf(op->getOperand(0))}, {graph.resultName(op->getResult(0))},
                attributes);
  return success();
}

LogicalResult binary(OnnxGraphBuilder &graph, Operation *op, StringRef type) {
  graph.addNode(type, {graph.nameOf(op->getOperand(0)), graph.nameOf(op->getOperand(1))},
                {graph.resultName(op->getResult(0))});
  return success();
}

/// ONNX's pads of a 2-D window: begin and end of each spatial axis.
std::vector<int64_t> windowPads(ArrayRef<int64_t> padding) {
  return {padding[0], padding[1], padding[0], padding[1]};
}

/// Whether some dimension of `value` changes with the batch, or may.
bool mayFollowBatch(OnnxGraphBuilder &graph, Value value) {
  std::optional<SmallVector<bool>> dims = graph.followsBatch(value);
  return !dims || llvm::is_contained(*dims, true);
}

} // namespace

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

LogicalResult ConstantOp::exportToOnnx(OnnxGraphBuilder &graph) {
  auto value = cast<ElementsAttr>(getValue());
  // A constant with a batch dimension (the zero state of a layer) holds one
  // batch's worth of values.
  if (mayFollowBatch(graph, getResult()))
    graph.fixBatch();
  graph.setName(getResult(), graph.constant(value));
  return success();
}

//===----------------------------------------------------------------------===//
// Elementwise ops
//===----------------------------------------------------------------------===//

LogicalResult AddOp::exportToOnnx(OnnxGraphBuilder &graph) { return binary(graph, *this, "Add"); }
LogicalResult SubOp::exportToOnnx(OnnxGraphBuilder &graph) { return binary(graph, *this, "Sub"); }
LogicalResult MulOp::exportToOnnx(OnnxGraphBuilder &graph) { return binary(graph, *this, "Mul"); }
LogicalResult DivOp::exportToOnnx(OnnxGraphBuilder &graph) { return binary(graph, *this, "Div"); }
LogicalResult MaximumOp::exportToOnnx(OnnxGraphBuilder &graph) {
  return binary(graph, *this, "Max");
}
LogicalResult MinimumOp::exportToOnnx(OnnxGraphBuilder &graph) {
  return binary(graph, *this, "Min");
}
LogicalResult PowOp::exportToOnnx(OnnxGraphBuilder &graph) { return binary(graph, *this, "Pow"); }

LogicalResult CompareOp::exportToOnnx(OnnxGraphBuilder &graph) {
  std::string lhs = graph.nameOf(getLhs()), rhs = graph.nameOf(getRhs());
  std::string result = graph.resultName(getResult());
  switch (getPredicate()) {
  case CmpPredicate::eq:
    graph.addNode("Equal", {lhs, rhs}, {result});
    break;
  case CmpPredicate::ne: {
    // True where either side is NaN, as nn.compare ne.
    std::string equal = graph.tempName("equal");
    graph.addNode("Equal", {lhs, rhs}, {equal});
    graph.addNode("Not", {equal}, {result});
    break;
  }
  case CmpPredicate::lt:
    graph.addNode("Less", {lhs, rhs}, {result});
    break;
  case CmpPredicate::le:
    graph.addNode("LessOrEqual", {lhs, rhs}, {result});
    break;
  case CmpPredicate::gt:
    graph.addNode("Greater", {lhs, rhs}, {result});
    break;
  case CmpPredicate::ge:
    graph.addNode("GreaterOrEqual", {lhs, rhs}, {result});
    break;
  }
  return success();
}

LogicalResult SelectOp::exportToOnnx(OnnxGraphBuilder &graph) {
  graph.addNode("Where",
                {graph.nameOf(getCond()), graph.nameOf(getOnTrue()), graph.nameOf(getOnFalse())},
                {graph.resultName(getResult())});
  return success();
}

LogicalResult CastOp::exportToOnnx(OnnxGraphBuilder &graph) {
  Type to = elementOf(getResult());
  // TensorProto.DataType: FLOAT 1, INT32 6, INT64 7, BOOL 9, DOUBLE 11.
  int64_t code = to.isF32() ? 1 : to.isF64() ? 11 : to.isInteger(1) ? 9 : to.isInteger(64) ? 7 : 6;
  return unary(graph, *this, "Cast", {Attr::integer("to", code)});
}

LogicalResult NegOp::exportToOnnx(OnnxGraphBuilder &graph) { return unary(graph, *this, "Neg"); }
LogicalResult ExpOp::exportToOnnx(OnnxGraphBuilder &graph) { return unary(graph, *this, "Exp"); }
LogicalResult LogOp::exportToOnnx(OnnxGraphBuilder &graph) { return unary(graph, *this, "Log"); }
LogicalResult SqrtOp::exportToOnnx(OnnxGraphBuilder &graph) { return unary(graph, *this, "Sqrt"); }
LogicalResult AbsOp::exportToOnnx(OnnxGraphBuilder &graph) { return unary(graph, *this, "Abs"); }
LogicalResult SignOp::exportToOnnx(OnnxGraphBuilder &graph) { return unary(graph, *this, "Sign"); }
LogicalResult ErfOp::exportToOnnx(OnnxGraphBuilder &graph) { return unary(graph, *this, "Erf"); }
LogicalResult ReluOp::exportToOnnx(OnnxGraphBuilder &graph) { return unary(graph, *this, "Relu"); }
LogicalResult SigmoidOp::exportToOnnx(OnnxGraphBuilder &graph) {
  return unary(graph, *this, "Sigmoid");
}
LogicalResult TanhOp::exportToOnnx(OnnxGraphBuilder &graph) { return unary(graph, *this, "Tanh"); }
LogicalResult SoftplusOp::exportToOnnx(OnnxGraphBuilder &graph) {
  return unary(graph, *this, "Softplus");
}

LogicalResult RsqrtOp::exportToOnnx(OnnxGraphBuilder &graph) {
  std::string root = graph.tempName("sqrt");
  graph.addNode("Sqrt", {graph.nameOf(getX())}, {root});
  graph.addNode("Reciprocal", {root}, {graph.resultName(getResult())});
  return success();
}

LogicalResult SquareOp::exportToOnnx(OnnxGraphBuilder &graph) {
  std::string x = graph.nameOf(getX());
  graph.addNode("Mul", {x, x}, {graph.resultName(getResult())});
  return success();
}

// (0.5 · x) · (1 + erf(x · (1/√2))): the operations of the op's own
// expression in its order (NNKernels.cpp), so that even read as separate
// nodes they round as the op does; the importer reads them back as one GELU.
LogicalResult GeluOp::exportToOnnx(OnnxGraphBuilder &graph) {
  Type element = elementOf(getX());
  std::string x = graph.nameOf(getX());
  std::string half = graph.tempName("gelu_half"), scaled = graph.tempName("gelu_scaled");
  std::string erf = graph.tempName("gelu_erf"), plus = graph.tempName("gelu_plus");
  graph.addNode("Mul", {graph.scalar(element, 0.5), x}, {half});
  graph.addNode("Mul", {x, graph.scalar(element, M_SQRT1_2)}, {scaled});
  graph.addNode("Erf", {scaled}, {erf});
  graph.addNode("Add", {graph.scalar(element, 1.0), erf}, {plus});
  graph.addNode("Mul", {half, plus}, {graph.resultName(getResult())});
  return success();
}

// x / (1 + e^-x), the op's own expression: read back as those elementwise
// ops, it rounds as the op does.
LogicalResult SiluOp::exportToOnnx(OnnxGraphBuilder &graph) {
  Type element = elementOf(getX());
  std::string x = graph.nameOf(getX());
  std::string negated = graph.tempName("silu_neg"), exp = graph.tempName("silu_exp");
  std::string plus = graph.tempName("silu_plus");
  graph.addNode("Neg", {x}, {negated});
  graph.addNode("Exp", {negated}, {exp});
  graph.addNode("Add", {graph.scalar(element, 1.0), exp}, {plus});
  graph.addNode("Div", {x, plus}, {graph.resultName(getResult())});
  return success();
}

LogicalResult LeakyReluOp::exportToOnnx(OnnxGraphBuilder &graph) {
  return unary(graph, *this, "LeakyRelu", {Attr::floating("alpha", getSlope().convertToDouble())});
}

//===----------------------------------------------------------------------===//
// Shape ops
//===----------------------------------------------------------------------===//

// The shape given with -1 for the one dimension that follows the batch.
LogicalResult ReshapeOp::exportToOnnx(OnnxGraphBuilder &graph) {
  ArrayRef<int64_t> to = shapeOf(getResult());
  std::vector<int64_t> target(to.begin(), to.end());
  std::optional<SmallVector<bool>> batchDims = graph.followsBatch(getResult());
  if (!batchDims) {
    graph.fixBatch();
  } else if (llvm::count(*batchDims, true) == 1) {
    target[llvm::find(*batchDims, true) - batchDims->begin()] = -1;
  } else if (llvm::count(*batchDims, true) > 1) {
    graph.fixBatch();
  }
  graph.addNode("Reshape", {graph.nameOf(getX()), graph.int64s(target)},
                {graph.resultName(getResult())});
  return success();
}

LogicalResult TransposeOp::exportToOnnx(OnnxGraphBuilder &graph) {
  return unary(graph, *this, "Transpose", {Attr::integers("perm", getPermutation())});
}

LogicalResult BroadcastToOp::exportToOnnx(OnnxGraphBuilder &graph) {
  ArrayRef<int64_t> from = shapeOf(getX()), to = shapeOf(getResult());
  std::vector<int64_t> target(to.begin(), to.end());
  std::optional<SmallVector<bool>> batchDims = graph.followsBatch(getResult());
  const size_t offset = to.size() - from.size();
  for (size_t i = 0; i < to.size(); ++i) {
    if (i >= offset && from[i - offset] == to[i])
      target[i] = 1; // Expand keeps the input's extent
    else if (!batchDims || (*batchDims)[i])
      graph.fixBatch();
  }
  graph.addNode("Expand", {graph.nameOf(getX()), graph.int64s(target)},
                {graph.resultName(getResult())});
  return success();
}

LogicalResult ConcatOp::exportToOnnx(OnnxGraphBuilder &graph) {
  std::vector<std::string> inputs;
  for (Value v : getInputs())
    inputs.push_back(graph.nameOf(v));
  graph.addNode("Concat", inputs, {graph.resultName(getResult())},
                {Attr::integer("axis", getAxis())});
  return success();
}

LogicalResult SliceOp::exportToOnnx(OnnxGraphBuilder &graph) {
  ArrayRef<int64_t> from = shapeOf(getX()), to = shapeOf(getResult());
  ArrayRef<int64_t> start = getStart();
  std::vector<int64_t> starts, ends, axes;
  std::optional<SmallVector<bool>> batchDims = graph.followsBatch(getX());
  for (size_t i = 0; i < from.size(); ++i) {
    if (start[i] == 0 && to[i] == from[i])
      continue;
    if (!batchDims || (*batchDims)[i])
      graph.fixBatch();
    starts.push_back(start[i]);
    ends.push_back(start[i] + to[i]);
    axes.push_back(static_cast<int64_t>(i));
  }
  if (axes.empty()) {
    graph.setName(getResult(), graph.nameOf(getX()));
    return success();
  }
  graph.addNode("Slice",
                {graph.nameOf(getX()), graph.int64s(starts), graph.int64s(ends), graph.int64s(axes)},
                {graph.resultName(getResult())});
  return success();
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

namespace {
LogicalResult reduction(OnnxGraphBuilder &graph, Operation *op, StringRef type,
                        ArrayRef<int64_t> axes, bool keepDims, bool axesAsInput) {
  if (axes.empty()) {
    graph.setName(op->getResult(0), graph.nameOf(op->getOperand(0)));
    return success();
  }
  std::vector<std::string> inputs = {graph.nameOf(op->getOperand(0))};
  std::vector<Attr> attributes = {Attr::integer("keepdims", keepDims ? 1 : 0)};
  if (axesAsInput)
    inputs.push_back(graph.int64s(axes));
  else
    attributes.push_back(Attr::integers("axes", axes));
  graph.addNode(type, inputs, {graph.resultName(op->getResult(0))}, attributes);
  return success();
}
} // namespace

// Opset 13 moved ReduceSum's axes to an input; the others follow in 18.
LogicalResult ReduceSumOp::exportToOnnx(OnnxGraphBuilder &graph) {
  return reduction(graph, *this, "ReduceSum", getAxes(), getKeepDims(), /*axesAsInput=*/true);
}
LogicalResult ReduceMeanOp::exportToOnnx(OnnxGraphBuilder &graph) {
  return reduction(graph, *this, "ReduceMean", getAxes(), getKeepDims(), false);
}
LogicalResult ReduceMaxOp::exportToOnnx(OnnxGraphBuilder &graph) {
  return reduction(graph, *this, "ReduceMax", getAxes(), getKeepDims(), false);
}

// ONNX's ArgMax yields int64 indices; nn.argmax i32 ones.
LogicalResult ArgmaxOp::exportToOnnx(OnnxGraphBuilder &graph) {
  std::string indices = graph.tempName("argmax");
  graph.addNode("ArgMax", {graph.nameOf(getX())}, {indices},
                {Attr::integer("axis", getAxis()), Attr::integer("keepdims", 0),
                 Attr::integer("select_last_index", 0)});
  graph.addNode("Cast", {indices}, {graph.resultName(getResult())}, {Attr::integer("to", 6)});
  return success();
}

//===----------------------------------------------------------------------===//
// Linear algebra, convolution, pooling, normalization
//===----------------------------------------------------------------------===//

LogicalResult MatmulOp::exportToOnnx(OnnxGraphBuilder &graph) {
  std::string lhs = graph.nameOf(getLhs()), rhs = graph.nameOf(getRhs());
  std::string result = graph.resultName(getResult());
  if (shapeOf(getLhs()).size() == 2 && shapeOf(getRhs()).size() == 2) {
    // Gemm without C, which the importer reads back as this matmul.
    graph.addNode("Gemm", {lhs, rhs}, {result},
                  {Attr::integer("transA", getTransposeLhs() ? 1 : 0),
                   Attr::integer("transB", getTransposeRhs() ? 1 : 0)});
    return success();
  }
  auto transposed = [&](Value v, std::string name) {
    int64_t rank = static_cast<int64_t>(shapeOf(v).size());
    std::vector<int64_t> perm;
    for (int64_t i = 0; i < rank; ++i)
      perm.push_back(i);
    std::swap(perm[rank - 1], perm[rank - 2]);
    std::string t = graph.tempName("transposed");
    graph.addNode("Transpose", {name}, {t}, {Attr::integers("perm", perm)});
    return t;
  };
  if (getTransposeLhs())
    lhs = transposed(getLhs(), lhs);
  if (getTransposeRhs())
    rhs = transposed(getRhs(), rhs);
  graph.addNode("MatMul", {lhs, rhs}, {result});
  return success();
}

// x · Wᵀ + b: Gemm with transB, as torch.onnx.export writes nn.Linear.
LogicalResult LinearOp::exportToOnnx(OnnxGraphBuilder &graph) {
  std::vector<std::string> inputs = {graph.nameOf(getX()), graph.nameOf(getWeight())};
  if (getBias())
    inputs.push_back(graph.nameOf(getBias()));
  graph.addNode("Gemm", inputs, {graph.resultName(getResult())},
                {Attr::integer("transB", 1)});
  return success();
}

LogicalResult Conv2DOp::exportToOnnx(OnnxGraphBuilder &graph) {
  std::vector<std::string> inputs = {graph.nameOf(getX()), graph.nameOf(getWeight())};
  if (getBias())
    inputs.push_back(graph.nameOf(getBias()));
  ArrayRef<int64_t> weight = shapeOf(getWeight());
  graph.addNode("Conv", inputs, {graph.resultName(getResult())},
                {Attr::integers("kernel_shape", weight.drop_front(2)),
                 Attr::integers("strides", getStride()),
                 Attr::integers("pads", windowPads(getPadding())),
                 Attr::integers("dilations", {1, 1}), Attr::integer("group", 1)});
  return success();
}

LogicalResult MaxPool2DOp::exportToOnnx(OnnxGraphBuilder &graph) {
  return unary(graph, *this, "MaxPool",
               {Attr::integers("kernel_shape", getKernel()), Attr::integers("strides", getStride()),
                Attr::integers("pads", windowPads(getPadding()))});
}

// The padding counts in the average, as torch.nn.AvgPool2d's default.
LogicalResult AvgPool2DOp::exportToOnnx(OnnxGraphBuilder &graph) {
  return unary(graph, *this, "AveragePool",
               {Attr::integers("kernel_shape", getKernel()), Attr::integers("strides", getStride()),
                Attr::integers("pads", windowPads(getPadding())),
                Attr::integer("count_include_pad", 1)});
}

LogicalResult BatchNormEvalOp::exportToOnnx(OnnxGraphBuilder &graph) {
  graph.addNode("BatchNormalization",
                {graph.nameOf(getX()), graph.nameOf(getGamma()), graph.nameOf(getBeta()),
                 graph.nameOf(getRunningMean()), graph.nameOf(getRunningVar())},
                {graph.resultName(getResult())},
                {Attr::floating("epsilon", getEps().convertToDouble())});
  return success();
}

LogicalResult LayerNormOp::exportToOnnx(OnnxGraphBuilder &graph) {
  graph.addNode("LayerNormalization",
                {graph.nameOf(getX()), graph.nameOf(getGamma()), graph.nameOf(getBeta())},
                {graph.resultName(getResult())},
                {Attr::integer("axis", -1), Attr::floating("epsilon", getEps().convertToDouble())});
  return success();
}

LogicalResult SoftmaxOp::exportToOnnx(OnnxGraphBuilder &graph) {
  return unary(graph, *this, "Softmax", {Attr::integer("axis", getAxis())});
}
LogicalResult LogSoftmaxOp::exportToOnnx(OnnxGraphBuilder &graph) {
  return unary(graph, *this, "LogSoftmax", {Attr::integer("axis", getAxis())});
}

//===----------------------------------------------------------------------===//
// Embeddings
//===----------------------------------------------------------------------===//

LogicalResult GatherRowsOp::exportToOnnx(OnnxGraphBuilder &graph) {
  graph.addNode("Gather", {graph.nameOf(getTable()), graph.nameOf(getIds())},
                {graph.resultName(getResult())}, {Attr::integer("axis", 0)});
  return success();
}

//===----------------------------------------------------------------------===//
// Recurrent layers
//===----------------------------------------------------------------------===//

namespace {
/// One LSTM or GRU node over the layer's batch-first sequence, as
/// torch.onnx.export writes nn.LSTM / nn.GRU: the weights reordered from
/// PyTorch's gate order to ONNX's by slices of the model's own tensors (which
/// the importer reorders back), the sequence transposed to time first, no
/// initial state (zeros). Only the hidden states `result` may be read.
LogicalResult recurrentNode(OnnxGraphBuilder &graph, Operation *op, StringRef type,
                            ArrayRef<int64_t> order) {
  for (Value aside : op->getResults().drop_front())
    if (!aside.use_empty())
      return failure();
  Value x = op->getOperand(0), wIh = op->getOperand(1), wHh = op->getOperand(2);
  Value bIh = op->getOperand(3), bHh = op->getOperand(4);
  const int64_t hidden = shapeOf(wHh)[1];
  // ONNX's gate k is PyTorch's gate order[k], as rows of a [G·H, ...] tensor.
  auto reordered = [&](Value v) {
    std::string name = graph.nameOf(v);
    std::vector<std::string> blocks;
    for (int64_t k : order) {
      std::string block = graph.tempName("gate");
      graph.addNode("Slice",
                    {name, graph.int64s({k * hidden}), graph.int64s({(k + 1) * hidden}),
                     graph.int64s({0})},
                    {block});
      blocks.push_back(block);
    }
    std::string joined = graph.tempName("gates");
    graph.addNode("Concat", blocks, {joined}, {OnnxAttribute::integer("axis", 0)});
    return joined;
  };
  auto unsqueezed = [&](const std::string &name) {
    std::string out = graph.tempName("direction");
    graph.addNode("Unsqueeze", {name, graph.int64s({0})}, {out});
    return out;
  };
  std::string w = unsqueezed(reordered(wIh)), r = unsqueezed(reordered(wHh));
  std::string bias = graph.tempName("bias");
  graph.addNode("Concat", {reordered(bIh), reordered(bHh)}, {bias},
                {OnnxAttribute::integer("axis", 0)});
  std::string timeFirst = graph.tempName("time_first");
  graph.addNode("Transpose", {graph.nameOf(x)}, {timeFirst},
                {OnnxAttribute::integers("perm", {1, 0, 2})});
  std::string states = graph.tempName(type.lower()), squeezed = graph.tempName("squeezed");
  std::vector<OnnxAttribute> attributes = {OnnxAttribute::integer("hidden_size", hidden)};
  if (type == "GRU")
    attributes.push_back(OnnxAttribute::integer("linear_before_reset", 1));
  graph.addNode(type, {timeFirst, w, r, unsqueezed(bias)}, {states}, attributes);
  graph.addNode("Squeeze", {states, graph.int64s({1})}, {squeezed});
  graph.addNode("Transpose", {squeezed}, {graph.resultName(op->getResult(0))},
                {OnnxAttribute::integers("perm", {1, 0, 2})});
  return success();
}
} // namespace

// PyTorch's i, f, g, o from ONNX's i, o, f, c.
LogicalResult LstmOp::exportToOnnx(OnnxGraphBuilder &graph) {
  return recurrentNode(graph, *this, "LSTM", {0, 3, 1, 2});
}

// PyTorch's r, z, n from ONNX's z, r, h.
LogicalResult GruOp::exportToOnnx(OnnxGraphBuilder &graph) {
  return recurrentNode(graph, *this, "GRU", {1, 0, 2});
}
