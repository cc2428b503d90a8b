//===- Builtins.cpp - the language's built-in layers and functions --------===//
//
// Each built-in checks its arguments the way a user thinks of them (ranks,
// feature counts, label types) and reports at the call with both shapes,
// then builds nn ops. Built-ins without an op of their own are decomposed
// here (mse, huber, bce_with_logits, flatten, global_avg_pool, ...).
//
// Over 800 lines on purpose: this is the language's table of built-ins, one
// function per built-in (layers, activations and shapes, losses, metrics)
// and the dispatch table at the end; a built-in is found, and added, here.
//
//===----------------------------------------------------------------------===//

#include "ModelBuilder.h"

#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/MathExtras.h"

#include <cmath>

using namespace mlir;

namespace gradc::detail {

namespace {

/// The arguments of one call, bound to parameter names.
class Args {
public:
  Args(ModelBuilder &mb, const CallExprAST &call) : mb(mb), call(call) {}

  /// Binds positional and named arguments to `params` (in positional order);
  /// the first `required` are required. Reports every mistake.
  bool bind(ArrayRef<StringRef> params, unsigned required) {
    StringRef callee = call.getCallee();
    auto list = [&]() {
      std::string names;
      for (auto [index, name] : llvm::enumerate(params))
        names += (index ? ", " : "") + name.str();
      return names;
    };
    bool ok = true;
    if (call.getArgs().size() > params.size()) {
      mb.error(call.getArgs()[params.size()]->getLoc(),
               callee + " takes at most " + std::to_string(params.size()) +
                   (params.size() == 1 ? " argument (" : " arguments (") + list() +
                   "), got " + std::to_string(call.getArgs().size()));
      return false;
    }
    for (auto [index, arg] : llvm::enumerate(call.getArgs())) {
      values[params[index].str()] = arg.get();
      locs[params[index].str()] = arg->getLoc();
    }
    for (const NamedArgAST &named : call.getNamedArgs()) {
      if (!llvm::is_contained(params, named.name)) {
        mb.error(named.loc, "unknown argument '" + named.name + "' of " + callee +
                                "; expected one of " + list());
        ok = false;
        continue;
      }
      if (values.count(named.name)) {
        mb.error(named.loc, "argument '" + named.name + "' of " + callee +
                                " is given twice");
        ok = false;
        continue;
      }
      values[named.name] = named.value.get();
      locs[named.name] = named.loc;
    }
    for (StringRef name : params.take_front(required)) {
      if (!values.count(name.str())) {
        mb.error(call.getLoc(), callee + " needs argument '" + name + "'");
        ok = false;
      }
    }
    return ok;
  }

  bool has(StringRef name) const { return values.count(name.str()); }
  const ExprAST *expr(StringRef name) const {
    auto it = values.find(name.str());
    return it == values.end() ? nullptr : it->second;
  }
  Location locOf(StringRef name) const {
    auto it = locs.find(name.str());
    return it == locs.end() ? call.getLoc() : it->second;
  }
  std::string what(StringRef name) const {
    return "argument '" + name.str() + "' of " + call.getCallee().str();
  }

  /// A float tensor argument.
  std::optional<Value> floatTensor(StringRef name) {
    auto value = mb.evalTensor(*expr(name), what(name));
    if (!value)
      return std::nullopt;
    if (!isa<FloatType>(cast<RankedTensorType>(value->getType()).getElementType())) {
      mb.error(locOf(name), call.getCallee() + " expects an f32 or f64 tensor for '" +
                                name + "', got " + ModelBuilder::typeString(value->getType()));
      return std::nullopt;
    }
    return value;
  }
  /// A float tensor, or a number turned into a rank-0 tensor of `like`'s type.
  std::optional<Value> floatOperand(StringRef name, Type elementType) {
    Val value = mb.eval(*expr(name));
    if (value.poisoned)
      return std::nullopt;
    if (!value.isTensor())
      return mb.scalar(elementType, *value.number, locOf(name));
    if (!isa<FloatType>(cast<RankedTensorType>(value.tensor.getType()).getElementType())) {
      mb.error(locOf(name), call.getCallee() + " expects an f32 or f64 tensor for '" +
                                name + "', got " +
                                ModelBuilder::typeString(value.tensor.getType()));
      return std::nullopt;
    }
    return value.tensor;
  }
  std::optional<int64_t> integer(StringRef name, int64_t fallback, int64_t minimum) {
    if (!has(name))
      return fallback;
    return mb.evalInt(*expr(name), what(name), minimum);
  }
  std::optional<double> number(StringRef name, double fallback) {
    if (!has(name))
      return fallback;
    return mb.evalNumber(*expr(name), what(name));
  }
  /// A bare name among `choices` (a string is accepted too).
  std::optional<std::string> choice(StringRef name, StringRef fallback,
                                    ArrayRef<StringRef> choices) {
    if (!has(name))
      return fallback.str();
    std::string value;
    if (auto *bare = dyn_cast<NameExprAST>(expr(name)))
      value = bare->getName().str();
    else if (auto *str = dyn_cast<StringExprAST>(expr(name)))
      value = str->getValue().str();
    if (!llvm::is_contained(choices, value)) {
      std::string list;
      for (auto [index, option] : llvm::enumerate(choices))
        list += (index ? ", " : "") + option.str();
      mb.error(locOf(name), what(name) + " must be one of " + list);
      return std::nullopt;
    }
    return value;
  }
  /// A layer's `init:`: one of `choices` by name, or `normal(std)` with the
  /// standard deviation in `scale`.
  std::optional<std::string> init(StringRef fallback, ArrayRef<StringRef> choices,
                                  std::optional<double> &scale) {
    if (has("init"))
      if (auto *call = dyn_cast<CallExprAST>(expr("init"))) {
        if (call->getCallee() != "normal" || call->getArgs().size() != 1 ||
            !call->getNamedArgs().empty()) {
          mb.error(locOf("init"), what("init") + " must be one of " + list(choices) +
                                      ", or normal(std)");
          return std::nullopt;
        }
        scale = mb.evalNumber(*call->getArgs().front(), "normal's standard deviation");
        if (scale && !(*scale > 0 && std::isfinite(*scale))) {
          mb.error(call->getArgs().front()->getLoc(),
                   "normal's standard deviation must be positive, got " +
                       ModelBuilder::numberString(*scale));
          scale.reset();
        }
        if (!scale)
          return std::nullopt;
        return std::string("normal");
      }
    return choice("init", fallback, choices);
  }
  static std::string list(ArrayRef<StringRef> choices) {
    std::string text;
    for (auto [index, option] : llvm::enumerate(choices))
      text += (index ? ", " : "") + option.str();
    return text;
  }
  std::optional<bool> flag(StringRef name, bool fallback) {
    auto value = choice(name, fallback ? "true" : "false", {"true", "false"});
    if (!value)
      return std::nullopt;
    return *value == "true";
  }
  /// An axis in [-rank, rank), normalized to [0, rank).
  std::optional<int64_t> axis(StringRef name, int64_t fallback, int64_t rank) {
    std::optional<int64_t> value = fallback;
    if (has(name))
      value = mb.evalInt(*expr(name), what(name), std::numeric_limits<int64_t>::min());
    if (!value)
      return std::nullopt;
    if (*value < -rank || *value >= rank) {
      mb.error(locOf(name), what(name) + " must be in [" + std::to_string(-rank) +
                                ", " + std::to_string(rank) + "), got " +
                                std::to_string(*value));
      return std::nullopt;
    }
    return *value < 0 ? *value + rank : *value;
  }
  /// A list literal of integers (`B` and negative numbers allowed).
  std::optional<SmallVector<int64_t>> intList(StringRef name) {
    auto *list = dyn_cast<ListExprAST>(expr(name));
    if (!list) {
      mb.error(locOf(name), what(name) + " must be a list such as [B, 3, 4]");
      return std::nullopt;
    }
    SmallVector<int64_t> result;
    for (const ExprPtr &element : list->getElements()) {
      auto value = mb.evalInt(*element, "a list element",
                              std::numeric_limits<int64_t>::min());
      if (!value)
        return std::nullopt;
      result.push_back(*value);
    }
    return result;
  }

  ModelBuilder &mb;
  const CallExprAST &call;

private:
  std::map<std::string, const ExprAST *> values;
  std::map<std::string, Location> locs;
};

RankedTensorType typeOf(Value value) { return cast<RankedTensorType>(value.getType()); }

std::string str(Value value) { return ModelBuilder::typeString(value.getType()); }

bool requireRank(ModelBuilder &mb, const CallExprAST &call, Value x,
                 ArrayRef<int64_t> ranks, StringRef what = "input") {
  if (llvm::is_contained(ranks, typeOf(x).getRank()))
    return true;
  std::string expected;
  for (auto [index, rank] : llvm::enumerate(ranks))
    expected += (index ? " or " : "") + std::to_string(rank);
  mb.error(call.getLoc(), call.getCallee() + " expects a rank-" + expected + " " + what +
                              ", got " + str(x));
  return false;
}

/// The init for a layer's weight and the matching one for its bias.
std::pair<std::string, std::string> initsFor(StringRef init) {
  if (init == "default")
    return {"default", "default"};
  return {init.str(), "zeros"};
}

const StringRef kInits[] = {"default", "he", "xavier", "normal", "zeros"};

Val tensor(Value value) { return value ? Val::ofTensor(value) : Val::poison(); }

/// x reshaped to `shape` (x itself when it has that shape already).
Value reshapeTo(ModelBuilder &mb, const Location &at, Value x, ArrayRef<int64_t> shape) {
  auto type = RankedTensorType::get(shape, typeOf(x).getElementType());
  if (type == x.getType())
    return x;
  return mb.builder.create<nn::ReshapeOp>(mb.loc(at), type, x);
}

//===----------------------------------------------------------------------===//
// Layers
//===----------------------------------------------------------------------===//

Val dense(ModelBuilder &mb, const CallExprAST &call) {
  Args args(mb, call);
  if (!args.bind({"x", "out", "bias", "init", "name"}, 2))
    return Val::poison();
  auto x = args.floatTensor("x");
  auto out = args.integer("out", 0, 1);
  auto bias = args.flag("bias", true);
  std::optional<double> scale;
  auto init = args.init("default", kInits, scale);
  if (!x || !out || !bias || !init)
    return Val::poison();
  RankedTensorType type = typeOf(*x);
  // Rank 4 is an NCHW image, which needs flatten first.
  if (!requireRank(mb, call, *x, {2, 3}, "input ([N, features] or [B, T, features])"))
    return Val::poison();
  auto name = mb.layerName("dense", call);
  if (!name)
    return Val::poison();
  int64_t in = type.getShape().back();
  auto [weightInit, biasInit] = initsFor(*init);
  Value w = mb.param(*name, "weight", {*out, in}, type.getElementType(), weightInit,
                     nn::Role::Param, call.getLoc(), scale);
  Value b;
  if (*bias)
    b = mb.param(*name, "bias", {*out}, type.getElementType(), biasInit, nn::Role::Param,
                 call.getLoc());
  // As torch.nn.Linear: [B, T, features] is B·T rows of one product.
  SmallVector<int64_t> shape(type.getShape());
  int64_t rows = 1;
  for (int64_t extent : ArrayRef<int64_t>(shape).drop_back())
    rows *= extent;
  Value rowsIn = reshapeTo(mb, call.getLoc(), *x, {rows, in});
  Value y = mb.create1<nn::LinearOp>(call.getLoc(), rowsIn, w, b);
  if (!y)
    return Val::poison();
  shape.back() = *out;
  return tensor(reshapeTo(mb, call.getLoc(), y, shape));
}

Val conv2d(ModelBuilder &mb, const CallExprAST &call) {
  Args args(mb, call);
  if (!args.bind({"x", "out_channels", "kernel", "stride", "padding", "bias", "init",
                  "name"},
                 3))
    return Val::poison();
  auto x = args.floatTensor("x");
  auto out = args.integer("out_channels", 0, 1);
  auto kernel = args.integer("kernel", 0, 1);
  auto stride = args.integer("stride", 1, 1);
  auto padding = args.integer("padding", 0, 0);
  auto bias = args.flag("bias", true);
  auto init = args.choice("init", "default", kInits);
  if (!x || !out || !kernel || !stride || !padding || !bias || !init ||
      !requireRank(mb, call, *x, {4}, "NCHW input"))
    return Val::poison();
  RankedTensorType type = typeOf(*x);
  for (int dim = 2; dim < 4; ++dim) {
    if (type.getDimSize(dim) + 2 * *padding < *kernel) {
      mb.error(call.getLoc(), "conv2d kernel " + std::to_string(*kernel) +
                                  " with padding " + std::to_string(*padding) +
                                  " does not fit the input " + str(*x));
      return Val::poison();
    }
  }
  auto name = mb.layerName("conv2d", call);
  if (!name)
    return Val::poison();
  auto [weightInit, biasInit] = initsFor(*init);
  Value w = mb.param(*name, "weight", {*out, type.getDimSize(1), *kernel, *kernel},
                     type.getElementType(), weightInit, nn::Role::Param, call.getLoc());
  Value b;
  if (*bias)
    b = mb.param(*name, "bias", {*out}, type.getElementType(), biasInit, nn::Role::Param,
                 call.getLoc());
  return tensor(mb.create1<nn::Conv2DOp>(
      call.getLoc(), *x, w, b, mb.builder.getDenseI64ArrayAttr({*stride, *stride}),
      mb.builder.getDenseI64ArrayAttr({*padding, *padding})));
}

Val batchNorm(ModelBuilder &mb, const CallExprAST &call) {
  Args args(mb, call);
  if (!args.bind({"x", "momentum", "eps", "name"}, 1))
    return Val::poison();
  auto x = args.floatTensor("x");
  auto momentum = args.number("momentum", 0.1);
  auto eps = args.number("eps", 1e-5);
  if (!x || !momentum || !eps || !requireRank(mb, call, *x, {2, 4}))
    return Val::poison();
  if (*momentum < 0 || *momentum > 1 || !(*eps > 0)) {
    mb.error(call.getLoc(), "batch_norm needs momentum in [0, 1] and eps > 0");
    return Val::poison();
  }
  RankedTensorType type = typeOf(*x);
  int64_t channels = type.getDimSize(1);
  if (mb.mode == Mode::Train && type.getNumElements() / channels < 2) {
    mb.error(call.getLoc(), "batch_norm in training needs more than one value per "
                            "channel, got " + str(*x));
    return Val::poison();
  }
  auto name = mb.layerName("batch_norm", call);
  if (!name)
    return Val::poison();
  Type element = type.getElementType();
  Location at = call.getLoc();
  Value gamma = mb.param(*name, "gamma", {channels}, element, "ones", nn::Role::Param, at);
  Value beta = mb.param(*name, "beta", {channels}, element, "zeros", nn::Role::Param, at);
  Value mean = mb.param(*name, "running_mean", {channels}, element, "zeros", nn::Role::Buffer, at);
  Value var = mb.param(*name, "running_var", {channels}, element, "ones", nn::Role::Buffer, at);
  if (mb.mode == Mode::Eval)
    return tensor(mb.create1<nn::BatchNormEvalOp>(at, *x, gamma, beta, mean, var,
                                                  mb.builder.getF64FloatAttr(*eps)));
  Operation *op = mb.create<nn::BatchNormTrainOp>(
      at, 5, *x, gamma, beta, mean, var, mb.builder.getF64FloatAttr(*eps),
      mb.builder.getF64FloatAttr(*momentum));
  if (!op)
    return Val::poison();
  mb.addResult(op->getResult(3), nn::Role::BufferUpdate, *name + ".running_mean");
  mb.addResult(op->getResult(4), nn::Role::BufferUpdate, *name + ".running_var");
  return Val::ofTensor(op->getResult(0));
}

Val layerNorm(ModelBuilder &mb, const CallExprAST &call) {
  Args args(mb, call);
  if (!args.bind({"x", "eps", "name"}, 1))
    return Val::poison();
  auto x = args.floatTensor("x");
  auto eps = args.number("eps", 1e-5);
  if (!x || !eps)
    return Val::poison();
  RankedTensorType type = typeOf(*x);
  if (type.getRank() < 1 || !(*eps > 0)) {
    mb.error(call.getLoc(), "layer_norm needs an input of rank >= 1 and eps > 0, got " +
                                str(*x));
    return Val::poison();
  }
  auto name = mb.layerName("layer_norm", call);
  if (!name)
    return Val::poison();
  int64_t d = type.getShape().back();
  Value gamma = mb.param(*name, "gamma", {d}, type.getElementType(), "ones", nn::Role::Param,
                         call.getLoc());
  Value beta = mb.param(*name, "beta", {d}, type.getElementType(), "zeros", nn::Role::Param,
                        call.getLoc());
  return tensor(mb.create1<nn::LayerNormOp>(call.getLoc(), *x, gamma, beta,
                                            mb.builder.getF64FloatAttr(*eps)));
}

Val embedding(ModelBuilder &mb, const CallExprAST &call) {
  Args args(mb, call);
  if (!args.bind({"ids", "vocab", "dim", "init", "name"}, 3))
    return Val::poison();
  auto ids = mb.evalTensor(*args.expr("ids"), args.what("ids"));
  auto vocab = args.integer("vocab", 0, 1);
  auto dim = args.integer("dim", 0, 1);
  // nn.Embedding's own N(0, 1) by default.
  std::optional<double> scale;
  auto init = args.init("default", {"default", "normal", "zeros"}, scale);
  if (!ids || !vocab || !dim || !init)
    return Val::poison();
  if (!typeOf(*ids).getElementType().isInteger(32)) {
    mb.error(args.locOf("ids"), "embedding expects i32 ids, got " + str(*ids));
    return Val::poison();
  }
  auto name = mb.layerName("embedding", call);
  if (!name)
    return Val::poison();
  Value table = mb.param(*name, "weight", {*vocab, *dim},
                         mb.floatType(mb.builder.getF32Type()),
                         *init == "default" ? "unit_normal" : *init, nn::Role::Param,
                         call.getLoc(), scale);
  // An id selects a row of the table.
  mb.requireValues(*ids, 0, static_cast<double>(*vocab), /*highOpen=*/true,
                   /*integral=*/true,
                   "the ids of " + *name + " (" + mb.place(call.getLoc()) + ", " +
                       std::to_string(*vocab) + " rows)");
  return tensor(mb.create1<nn::GatherRowsOp>(call.getLoc(), table, *ids));
}

//===----------------------------------------------------------------------===//
// Activations, elementwise math, shapes, reductions
//===----------------------------------------------------------------------===//

template <typename OpTy>
Val unary(ModelBuilder &mb, const CallExprAST &call) {
  Args args(mb, call);
  if (!args.bind({"x"}, 1))
    return Val::poison();
  auto x = args.floatTensor("x");
  if (!x)
    return Val::poison();
  return Val::ofTensor(mb.builder.create<OpTy>(mb.loc(call.getLoc()), *x));
}

Val leakyRelu(ModelBuilder &mb, const CallExprAST &call) {
  Args args(mb, call);
  if (!args.bind({"x", "slope"}, 1))
    return Val::poison();
  auto x = args.floatTensor("x");
  auto slope = args.number("slope", 0.01);
  if (!x || !slope)
    return Val::poison();
  return Val::ofTensor(mb.builder.create<nn::LeakyReluOp>(
      mb.loc(call.getLoc()), *x, mb.builder.getF64FloatAttr(*slope)));
}

template <typename OpTy>
Val softmaxLike(ModelBuilder &mb, const CallExprAST &call) {
  Args args(mb, call);
  if (!args.bind({"x", "axis"}, 1))
    return Val::poison();
  auto x = args.floatTensor("x");
  if (!x)
    return Val::poison();
  auto axis = args.axis("axis", -1, typeOf(*x).getRank());
  if (!axis)
    return Val::poison();
  return Val::ofTensor(mb.builder.create<OpTy>(mb.loc(call.getLoc()), *x,
                                               mb.builder.getI64IntegerAttr(*axis)));
}

template <typename OpTy>
Val extremum(ModelBuilder &mb, const CallExprAST &call) {
  Args args(mb, call);
  if (!args.bind({"a", "b"}, 2))
    return Val::poison();
  Val a = mb.eval(*args.expr("a")), b = mb.eval(*args.expr("b"));
  if (a.poisoned || b.poisoned)
    return Val::poison();
  if (!a.isTensor() && !b.isTensor()) {
    double x = *a.number, y = *b.number;
    bool isMax = std::is_same_v<OpTy, nn::MaximumOp>;
    return Val::ofNumber(isMax ? std::max(x, y) : std::min(x, y), a.integer && b.integer);
  }
  Type element = typeOf((a.isTensor() ? a : b).tensor).getElementType();
  auto lhs = args.floatOperand("a", element), rhs = args.floatOperand("b", element);
  if (!lhs || !rhs)
    return Val::poison();
  if (!nn::broadcastShapes(typeOf(*lhs).getShape(), typeOf(*rhs).getShape())) {
    mb.error(call.getLoc(), call.getCallee() + " arguments do not broadcast: " +
                                str(*lhs) + " and " + str(*rhs));
    return Val::poison();
  }
  return tensor(mb.create1<OpTy>(call.getLoc(), *lhs, *rhs));
}

/// An operand of a comparison or `where` that may be a number: a tensor as
/// it is, a number as a scalar of `element`.
std::optional<Value> operandOf(ModelBuilder &mb, const Val &value, Type element,
                               const Location &at) {
  if (value.isTensor())
    return value.tensor;
  return mb.scalar(element, *value.number, at);
}

/// gt, ge, lt, le, eq, ne (torch.gt, ...): a bool mask of two broadcast
/// operands of one element type, either of them possibly a number.
Val comparison(ModelBuilder &mb, const CallExprAST &call) {
  StringRef callee = call.getCallee();
  // The built-ins are named as the predicates.
  nn::CmpPredicate predicate = *nn::symbolizeCmpPredicate(callee);
  Args args(mb, call);
  if (!args.bind({"a", "b"}, 2))
    return Val::poison();
  Val a = mb.eval(*args.expr("a")), b = mb.eval(*args.expr("b"));
  if (a.poisoned || b.poisoned)
    return Val::poison();
  if (!a.isTensor() && !b.isTensor()) {
    mb.error(call.getLoc(), callee + " compares tensors; at least one of its operands must be one");
    return Val::poison();
  }
  Type element = typeOf((a.isTensor() ? a : b).tensor).getElementType();
  if (element.isInteger(1)) {
    mb.error(call.getLoc(), callee + " compares numbers, not the masks of other comparisons");
    return Val::poison();
  }
  auto lhs = operandOf(mb, a, element, args.locOf("a"));
  auto rhs = operandOf(mb, b, element, args.locOf("b"));
  if (typeOf(*lhs).getElementType() != typeOf(*rhs).getElementType()) {
    mb.error(call.getLoc(), callee + " compares tensors of one element type, got " + str(*lhs) +
                                " and " + str(*rhs));
    return Val::poison();
  }
  if (!nn::broadcastShapes(typeOf(*lhs).getShape(), typeOf(*rhs).getShape())) {
    mb.error(call.getLoc(), callee + " arguments do not broadcast: " + str(*lhs) + " and " +
                                str(*rhs));
    return Val::poison();
  }
  return tensor(mb.create1<nn::CompareOp>(
      call.getLoc(), nn::CmpPredicateAttr::get(mb.builder.getContext(), predicate), *lhs, *rhs));
}

/// where(cond, a, b) (torch.where): a where the bool mask `cond` holds, b
/// elsewhere, all three broadcast; a and b may be numbers.
Val where(ModelBuilder &mb, const CallExprAST &call) {
  Args args(mb, call);
  if (!args.bind({"cond", "a", "b"}, 3))
    return Val::poison();
  auto cond = mb.evalTensor(*args.expr("cond"), args.what("cond"));
  Val a = mb.eval(*args.expr("a")), b = mb.eval(*args.expr("b"));
  if (!cond || a.poisoned || b.poisoned)
    return Val::poison();
  if (!typeOf(*cond).getElementType().isInteger(1)) {
    mb.error(args.locOf("cond"), "where's condition is a bool mask (of gt, lt, eq, ... or "
                                 "causal_mask), got " + str(*cond));
    return Val::poison();
  }
  if (!a.isTensor() && !b.isTensor()) {
    mb.error(call.getLoc(), "where chooses between tensors; a or b must be one");
    return Val::poison();
  }
  Type element = typeOf((a.isTensor() ? a : b).tensor).getElementType();
  auto lhs = operandOf(mb, a, element, args.locOf("a"));
  auto rhs = operandOf(mb, b, element, args.locOf("b"));
  if (typeOf(*lhs).getElementType() != typeOf(*rhs).getElementType() ||
      element.isInteger(1)) {
    mb.error(call.getLoc(), "where chooses between tensors of one numeric element type, got " +
                                str(*lhs) + " and " + str(*rhs));
    return Val::poison();
  }
  auto shape = nn::broadcastShapes(typeOf(*lhs).getShape(), typeOf(*rhs).getShape());
  if (!shape || !nn::broadcastShapes(*shape, typeOf(*cond).getShape())) {
    mb.error(call.getLoc(), "where arguments do not broadcast: " + str(*cond) + ", " +
                                str(*lhs) + " and " + str(*rhs));
    return Val::poison();
  }
  return tensor(mb.create1<nn::SelectOp>(call.getLoc(), *cond, *lhs, *rhs));
}

/// causal_mask(T): the bool [T, T] mask that lets position i see positions
/// j <= i (torch.tril(torch.ones(T, T)).bool()), for where(mask, scores, -1e9).
Val causalMask(ModelBuilder &mb, const CallExprAST &call) {
  Args args(mb, call);
  if (!args.bind({"size"}, 1))
    return Val::poison();
  auto size = args.integer("size", 0, 1);
  if (!size)
    return Val::poison();
  if (*size > 65536) {
    mb.error(args.locOf("size"), "causal_mask size " + std::to_string(*size) +
                                     " is beyond 65536 positions");
    return Val::poison();
  }
  SmallVector<bool> values;
  values.reserve(*size * *size);
  for (int64_t i = 0; i < *size; ++i)
    for (int64_t j = 0; j < *size; ++j)
      values.push_back(j <= i);
  auto type = RankedTensorType::get({*size, *size}, mb.builder.getI1Type());
  return tensor(mb.builder.create<nn::ConstantOp>(mb.loc(call.getLoc()),
                                                  DenseElementsAttr::get(type, values)));
}

Val flatten(ModelBuilder &mb, const CallExprAST &call) {
  Args args(mb, call);
  if (!args.bind({"x"}, 1))
    return Val::poison();
  auto x = mb.evalTensor(*args.expr("x"), args.what("x"));
  if (!x)
    return Val::poison();
  RankedTensorType type = typeOf(*x);
  if (type.getRank() < 2) {
    mb.error(call.getLoc(), "flatten keeps dimension 0 and needs rank >= 2, got " +
                                str(*x));
    return Val::poison();
  }
  return Val::ofTensor(reshapeTo(mb, call.getLoc(), *x,
                                 {type.getDimSize(0),
                                  type.getNumElements() / type.getDimSize(0)}));
}

Val reshape(ModelBuilder &mb, const CallExprAST &call) {
  Args args(mb, call);
  if (!args.bind({"x", "shape"}, 2))
    return Val::poison();
  auto x = mb.evalTensor(*args.expr("x"), args.what("x"));
  auto shape = args.intList("shape");
  if (!x || !shape)
    return Val::poison();
  int64_t count = typeOf(*x).getNumElements(), known = 1;
  std::optional<size_t> inferred;
  for (auto [index, dim] : llvm::enumerate(*shape)) {
    if (dim == -1 && !inferred) {
      inferred = index;
      continue;
    }
    if (dim <= 0) {
      mb.error(args.locOf("shape"), "reshape sizes must be positive, with at most one "
                                    "-1; got " + std::to_string(dim));
      return Val::poison();
    }
    if (llvm::MulOverflow(known, dim, known) || known > ModelBuilder::kMaxElements) {
      mb.error(args.locOf("shape"), "cannot reshape " + str(*x) + " (" +
                                        std::to_string(count) +
                                        " elements): the shape is too large");
      return Val::poison();
    }
  }
  if (inferred) {
    if (count % known != 0) {
      mb.error(args.locOf("shape"), "cannot reshape " + str(*x) + " (" +
                                        std::to_string(count) +
                                        " elements): not divisible by " +
                                        std::to_string(known));
      return Val::poison();
    }
    (*shape)[*inferred] = count / known;
    known = count;
  }
  if (known != count) {
    std::string target;
    llvm::raw_string_ostream os(target);
    llvm::interleaveComma(*shape, os);
    mb.error(args.locOf("shape"), "cannot reshape " + str(*x) + " (" +
                                      std::to_string(count) + " elements) to [" + target +
                                      "] (" + std::to_string(known) + " elements)");
    return Val::poison();
  }
  return Val::ofTensor(reshapeTo(mb, call.getLoc(), *x, *shape));
}

Val transpose(ModelBuilder &mb, const CallExprAST &call) {
  Args args(mb, call);
  if (!args.bind({"x", "permutation"}, 2))
    return Val::poison();
  auto x = mb.evalTensor(*args.expr("x"), args.what("x"));
  auto perm = args.intList("permutation");
  if (!x || !perm)
    return Val::poison();
  int64_t rank = typeOf(*x).getRank();
  SmallVector<bool> seen(rank, false);
  bool valid = static_cast<int64_t>(perm->size()) == rank;
  for (int64_t &dim : *perm) {
    if (dim < 0)
      dim += rank;
    valid = valid && dim >= 0 && dim < rank && !seen[dim];
    if (valid)
      seen[dim] = true;
  }
  if (!valid) {
    mb.error(args.locOf("permutation"), "transpose of " + str(*x) +
                                            " needs a permutation of " +
                                            std::to_string(rank) + " dimensions");
    return Val::poison();
  }
  return tensor(mb.create1<nn::TransposeOp>(call.getLoc(), *x,
                                            mb.builder.getDenseI64ArrayAttr(*perm)));
}

Val concat(ModelBuilder &mb, const CallExprAST &call) {
  SmallVector<Value> inputs;
  for (const ExprPtr &arg : call.getArgs()) {
    auto value = mb.evalTensor(*arg, "an argument of concat");
    if (!value)
      return Val::poison();
    inputs.push_back(*value);
  }
  if (inputs.size() < 2) {
    mb.error(call.getLoc(), "concat needs at least two tensors");
    return Val::poison();
  }
  int64_t rank = typeOf(inputs.front()).getRank();
  std::optional<int64_t> axis = 0;
  for (const NamedArgAST &named : call.getNamedArgs()) {
    if (named.name != "axis") {
      mb.error(named.loc, "unknown argument '" + named.name + "' of concat; expected axis");
      return Val::poison();
    }
    axis = mb.evalInt(*named.value, "argument 'axis' of concat",
                      std::numeric_limits<int64_t>::min());
    if (!axis)
      return Val::poison();
    if (*axis < -rank || *axis >= rank) {
      mb.error(named.loc, "argument 'axis' of concat must be in [" +
                              std::to_string(-rank) + ", " + std::to_string(rank) + ")");
      return Val::poison();
    }
    if (*axis < 0)
      *axis += rank;
  }
  for (Value input : inputs) {
    RankedTensorType first = typeOf(inputs.front()), type = typeOf(input);
    bool fits = type.getRank() == rank &&
                type.getElementType() == first.getElementType();
    for (int64_t dim = 0; fits && dim < rank; ++dim)
      fits = dim == *axis || type.getDimSize(dim) == first.getDimSize(dim);
    if (!fits) {
      mb.error(call.getLoc(), "concat along axis " + std::to_string(*axis) +
                                  " needs matching shapes elsewhere, got " +
                                  str(inputs.front()) + " and " + str(input));
      return Val::poison();
    }
  }
  return tensor(mb.create1<nn::ConcatOp>(call.getLoc(), ValueRange(inputs),
                                         mb.builder.getI64IntegerAttr(*axis)));
}

template <typename OpTy>
Val reduction(ModelBuilder &mb, const CallExprAST &call) {
  Args args(mb, call);
  if (!args.bind({"x", "axis"}, 1))
    return Val::poison();
  auto x = args.floatTensor("x");
  if (!x)
    return Val::poison();
  int64_t rank = typeOf(*x).getRank();
  SmallVector<int64_t> axes;
  if (args.has("axis")) {
    auto axis = args.axis("axis", 0, rank);
    if (!axis)
      return Val::poison();
    axes.push_back(*axis);
  } else {
    for (int64_t dim = 0; dim < rank; ++dim)
      axes.push_back(dim);
  }
  return tensor(mb.create1<OpTy>(call.getLoc(), *x, mb.builder.getDenseI64ArrayAttr(axes),
                                 mb.builder.getBoolAttr(false)));
}

template <typename OpTy>
Val pool(ModelBuilder &mb, const CallExprAST &call) {
  Args args(mb, call);
  if (!args.bind({"x", "k", "stride", "padding"}, 2))
    return Val::poison();
  auto x = args.floatTensor("x");
  auto k = args.integer("k", 0, 1);
  if (!x || !k || !requireRank(mb, call, *x, {4}, "NCHW input"))
    return Val::poison();
  auto stride = args.integer("stride", *k, 1);
  auto padding = args.integer("padding", 0, 0);
  if (!stride || !padding)
    return Val::poison();
  if (2 * *padding > *k) {
    mb.error(args.locOf("padding"), call.getCallee() +
                                        " padding must be at most half the window " +
                                        std::to_string(*k));
    return Val::poison();
  }
  RankedTensorType type = typeOf(*x);
  for (int dim = 2; dim < 4; ++dim) {
    if (type.getDimSize(dim) + 2 * *padding < *k) {
      mb.error(call.getLoc(), call.getCallee() + " window " + std::to_string(*k) +
                                  " does not fit the input " + str(*x));
      return Val::poison();
    }
  }
  return tensor(mb.create1<OpTy>(call.getLoc(), *x,
                                 mb.builder.getDenseI64ArrayAttr({*k, *k}),
                                 mb.builder.getDenseI64ArrayAttr({*stride, *stride}),
                                 mb.builder.getDenseI64ArrayAttr({*padding, *padding})));
}

Val globalAvgPool(ModelBuilder &mb, const CallExprAST &call) {
  Args args(mb, call);
  if (!args.bind({"x"}, 1))
    return Val::poison();
  auto x = args.floatTensor("x");
  if (!x || !requireRank(mb, call, *x, {4}, "NCHW input"))
    return Val::poison();
  return tensor(mb.create1<nn::ReduceMeanOp>(call.getLoc(), *x,
                                             mb.builder.getDenseI64ArrayAttr({2, 3}),
                                             mb.builder.getBoolAttr(false)));
}

Val matmul(ModelBuilder &mb, const CallExprAST &call) {
  Args args(mb, call);
  if (!args.bind({"a", "b"}, 2))
    return Val::poison();
  auto a = args.floatTensor("a"), b = args.floatTensor("b");
  if (!a || !b)
    return Val::poison();
  RankedTensorType ta = typeOf(*a), tb = typeOf(*b);
  if (ta.getRank() < 2 || tb.getRank() < 2 ||
      ta.getShape().back() != tb.getShape()[tb.getRank() - 2] ||
      !nn::broadcastShapes(ta.getShape().drop_back(2), tb.getShape().drop_back(2))) {
    mb.error(call.getLoc(), "matmul shapes do not fit: " + str(*a) + " and " + str(*b));
    return Val::poison();
  }
  return tensor(mb.create1<nn::MatmulOp>(call.getLoc(), *a, *b, false, false));
}

Val attention(ModelBuilder &mb, const CallExprAST &call) {
  Args args(mb, call);
  if (!args.bind({"q", "k", "v", "heads", "causal", "scale"}, 3))
    return Val::poison();
  auto q = args.floatTensor("q"), k = args.floatTensor("k"), v = args.floatTensor("v");
  auto heads = args.integer("heads", 1, 1);
  auto causal = args.flag("causal", false);
  if (!q || !k || !v || !heads || !causal)
    return Val::poison();
  RankedTensorType tq = typeOf(*q), tk = typeOf(*k), tv = typeOf(*v);
  if (tq.getRank() != 3 || tk.getRank() != 3 || tk != tv || tq.getDimSize(0) != tk.getDimSize(0) ||
      tq.getDimSize(2) != tk.getDimSize(2) || tq.getElementType() != tk.getElementType()) {
    mb.error(call.getLoc(), "attention expects q [B, Tq, C] and k, v [B, Tk, C], got " +
                                str(*q) + ", " + str(*k) + " and " + str(*v));
    return Val::poison();
  }
  int64_t width = tq.getDimSize(2);
  if (width % *heads != 0) {
    mb.error(call.getLoc(), "attention heads (" + std::to_string(*heads) +
                                ") must divide the width " + std::to_string(width));
    return Val::poison();
  }
  if (*causal && tq.getDimSize(1) != tk.getDimSize(1)) {
    mb.error(call.getLoc(), "causal attention needs as many keys as queries, got " + str(*q) +
                                " and " + str(*k));
    return Val::poison();
  }
  auto scale = args.number("scale", 1.0 / std::sqrt(static_cast<double>(width / *heads)));
  if (!scale)
    return Val::poison();
  if (!(*scale > 0) || !std::isfinite(*scale)) {
    mb.error(call.getLoc(), "attention scale must be positive and finite");
    return Val::poison();
  }
  mlir::Operation *op = mb.create<nn::AttentionOp>(
      call.getLoc(), 2, *q, *k, *v, mb.builder.getI64IntegerAttr(*heads),
      *causal ? mb.builder.getUnitAttr() : UnitAttr(), mb.builder.getF64FloatAttr(*scale));
  return tensor(op ? op->getResult(0) : Value());
}

/// lstm(x, hidden:, layers:, dropout:, name:) and gru(...): torch.nn.LSTM /
/// nn.GRU with batch_first=True and a zero initial state, over x [B, T, in],
/// giving the last layer's hidden states [B, T, hidden]. Parameters as
/// PyTorch names them (`<name>.weight_ih_l0`, ...), initialized as PyTorch
/// does, uniform in ±1/√hidden; `dropout` between layers, in training only.
template <typename OpTy> Val recurrent(ModelBuilder &mb, const CallExprAST &call) {
  constexpr bool isLstm = std::is_same_v<OpTy, nn::LstmOp>;
  const int64_t gates = isLstm ? 4 : 3;
  Args args(mb, call);
  if (!args.bind({"x", "hidden", "layers", "dropout", "name"}, 2))
    return Val::poison();
  auto x = args.floatTensor("x");
  auto hidden = args.integer("hidden", 0, 1);
  auto layers = args.integer("layers", 1, 1);
  auto p = args.number("dropout", 0.0);
  if (!x || !hidden || !layers || !p)
    return Val::poison();
  if (!requireRank(mb, call, *x, {3}, "input [B, T, features]"))
    return Val::poison();
  if (*p < 0 || *p >= 1) {
    mb.error(args.locOf("dropout"), call.getCallee() +
                                        " dropout must be in [0, 1), got " +
                                        ModelBuilder::numberString(*p));
    return Val::poison();
  }
  auto name = mb.layerName(call.getCallee(), call);
  if (!name)
    return Val::poison();
  Type element = typeOf(*x).getElementType();
  const double bound = 1.0 / std::sqrt(static_cast<double>(*hidden));
  Value y = *x;
  for (int64_t layer = 0; layer < *layers; ++layer) {
    if (layer > 0 && *p > 0 && mb.mode != Mode::Eval)
      y = mb.builder.create<nn::DropoutOp>(
          mb.loc(call.getLoc()), y, mb.rngKey(call.getLoc()), mb.builder.getF64FloatAttr(*p),
          mb.builder.getI64IntegerAttr(mb.nextDropoutStream()));
    const std::string suffix = "_l" + std::to_string(layer);
    const int64_t in = typeOf(y).getDimSize(2);
    auto weight = [&](StringRef kind, ArrayRef<int64_t> shape) {
      return mb.param(*name, (kind + suffix).str(), shape, element, "uniform",
                      nn::Role::Param, call.getLoc(), bound);
    };
    Value wIh = weight("weight_ih", {gates * *hidden, in});
    Value wHh = weight("weight_hh", {gates * *hidden, *hidden});
    Value bIh = weight("bias_ih", {gates * *hidden});
    Value bHh = weight("bias_hh", {gates * *hidden});
    mlir::Operation *op = mb.create<OpTy>(call.getLoc(), isLstm ? 3 : 2, y, wIh, wHh, bIh, bHh);
    if (!op)
      return Val::poison();
    y = op->getResult(0);
  }
  return tensor(y);
}

/// split's value outside `let a, b, ... = split(...)`: there is none.
Val split(ModelBuilder &mb, const CallExprAST &call) {
  if (auto parts = splitTensors(mb, call))
    mb.error(call.getLoc(), "split gives " + std::to_string(parts->size()) +
                                " tensors: bind them with 'let a, b" +
                                (parts->size() > 2 ? ", ..." : "") + " = split(...)'");
  return Val::poison();
}

Val dropout(ModelBuilder &mb, const CallExprAST &call) {
  Args args(mb, call);
  if (!args.bind({"x", "p"}, 2))
    return Val::poison();
  auto x = args.floatTensor("x");
  auto p = args.number("p", 0.5);
  if (!x || !p)
    return Val::poison();
  if (*p < 0 || *p >= 1) {
    mb.error(args.locOf("p"), "dropout probability must be in [0, 1), got " +
                                  ModelBuilder::numberString(*p));
    return Val::poison();
  }
  if (mb.mode == Mode::Eval || *p == 0)
    return Val::ofTensor(*x);
  Value key = mb.rngKey(call.getLoc());
  return Val::ofTensor(mb.builder.create<nn::DropoutOp>(
      mb.loc(call.getLoc()), *x, key, mb.builder.getF64FloatAttr(*p),
      mb.builder.getI64IntegerAttr(mb.nextDropoutStream())));
}

//===----------------------------------------------------------------------===//
// Losses
//===----------------------------------------------------------------------===//

Value meanAll(ModelBuilder &mb, const Location &at, Value x) {
  SmallVector<int64_t> axes;
  for (int64_t dim = 0; dim < typeOf(x).getRank(); ++dim)
    axes.push_back(dim);
  return mb.create1<nn::ReduceMeanOp>(at, x, mb.builder.getDenseI64ArrayAttr(axes),
                                      mb.builder.getBoolAttr(false));
}

/// Class labels for a classification loss or metric, checked against logits [N, C].
std::optional<std::pair<Value, Value>> classification(ModelBuilder &mb,
                                                      const CallExprAST &call,
                                                      StringRef logitsName,
                                                      StringRef labelsName,
                                                      Value *modelLogits = nullptr,
                                                      std::optional<int64_t> *ignore = nullptr) {
  Args args(mb, call);
  if (!(ignore ? args.bind({logitsName, labelsName, "ignore_index"}, 2)
               : args.bind({logitsName, labelsName}, 2)))
    return std::nullopt;
  if (ignore && args.has("ignore_index")) {
    *ignore = mb.evalInt(*args.expr("ignore_index"), args.what("ignore_index"),
                         std::numeric_limits<int32_t>::min());
    if (!*ignore)
      return std::nullopt;
    if (**ignore > std::numeric_limits<int32_t>::max()) {
      mb.error(args.locOf("ignore_index"), args.what("ignore_index") +
                                               " must be an i32 label value, got " +
                                               std::to_string(**ignore));
      return std::nullopt;
    }
  }
  auto logits = args.floatTensor(logitsName);
  Val labels = mb.eval(*args.expr(labelsName));
  if (!logits || labels.poisoned)
    return std::nullopt;
  if (!labels.isTensor() || !typeOf(labels.tensor).getElementType().isInteger(32)) {
    mb.error(args.locOf(labelsName),
             call.getCallee() + " expects i32 class labels, got " +
                 (labels.isTensor() ? str(labels.tensor) : std::string("a number")));
    return std::nullopt;
  }
  RankedTensorType lt = typeOf(*logits), yt = typeOf(labels.tensor);
  if (lt.getRank() < 2) {
    mb.error(args.locOf(logitsName), call.getCallee() +
                                         " expects logits [N, classes] (or [N, T, classes] "
                                         "for a sequence), got " + str(*logits));
    return std::nullopt;
  }
  if (yt.getShape() != lt.getShape().drop_back()) {
    std::string shape;
    for (int64_t d : lt.getShape().drop_back())
      shape += (shape.empty() ? "" : ", ") + std::to_string(d);
    mb.error(args.locOf(labelsName),
             call.getCallee() + " needs one label per row of " + str(*logits) +
                 (lt.getRank() > 2 ? " (labels [" + shape + "], the classes last)" : "") +
                 ", got " + str(labels.tensor));
    return std::nullopt;
  }
  if (!labels.classes) {
    mb.error(args.locOf(labelsName),
             "classes missing for " + call.getCallee() +
                 ": declare the label with 'classes N', e.g. 'label y: i32[B] classes " +
                 std::to_string(lt.getShape().back()) + "'");
    return std::nullopt;
  }
  if (*labels.classes != lt.getShape().back()) {
    mb.error(call.getLoc(), call.getCallee() + " logits " + str(*logits) + " have " +
                                std::to_string(lt.getShape().back()) +
                                " classes, but the label declares classes " +
                                std::to_string(*labels.classes));
    return std::nullopt;
  }
  if (modelLogits)
    *modelLogits = *logits;
  if (lt.getRank() == 2)
    return std::make_pair(*logits, labels.tensor);
  // A sequence's logits [N, T, ..., classes]: every position is a sample,
  // as torch's cross_entropy(logits.view(-1, C), labels.view(-1)).
  int64_t rows = 1;
  for (int64_t d : yt.getShape())
    rows *= d;
  // Built in this order, whatever the compiler's order of arguments.
  Value rowLogits = reshapeTo(mb, call.getLoc(), *logits, {rows, lt.getShape().back()});
  Value rowLabels = reshapeTo(mb, call.getLoc(), labels.tensor, {rows});
  return std::make_pair(rowLogits, rowLabels);
}

/// Prediction and float target of the same shape (regression losses).
std::optional<std::pair<Value, Value>> regression(ModelBuilder &mb, Args &args,
                                                  StringRef predName,
                                                  StringRef targetName) {
  auto pred = args.floatTensor(predName);
  if (!pred)
    return std::nullopt;
  auto target = mb.evalTensor(*args.expr(targetName), args.what(targetName));
  if (!target)
    return std::nullopt;
  if (!isa<FloatType>(typeOf(*target).getElementType())) {
    mb.error(args.locOf(targetName), args.call.getCallee() +
                                         " expects a float target, got " + str(*target) +
                                         "; declare the label as f32");
    return std::nullopt;
  }
  if (typeOf(*pred) != typeOf(*target)) {
    mb.error(args.call.getLoc(), args.call.getCallee() +
                                     " expects prediction and target of the same shape, "
                                     "got " + str(*pred) + " and " + str(*target));
    return std::nullopt;
  }
  return std::make_pair(*pred, *target);
}

Val softmaxCrossEntropy(ModelBuilder &mb, const CallExprAST &call) {
  Value modelLogits;
  std::optional<int64_t> ignore;
  auto operands = classification(mb, call, "logits", "labels", &modelLogits, &ignore);
  if (!operands)
    return Val::poison();
  // The prediction is the logits as the model has them ([B, T, V] for a
  // sequence), before the rows are flattened.
  mb.lossPrediction = modelLogits;
  IntegerAttr ignoreAttr;
  if (ignore) {
    ignoreAttr = mb.builder.getI64IntegerAttr(*ignore);
    mb.ignoreLabel(operands->second, *ignore);
  }
  return tensor(mb.create1<nn::SoftmaxCrossEntropyOp>(call.getLoc(), operands->first,
                                                      operands->second, ignoreAttr));
}

Val pointwiseLoss(ModelBuilder &mb, const CallExprAST &call) {
  Args args(mb, call);
  StringRef callee = call.getCallee();
  bool huber = callee == "huber", bce = callee == "bce_with_logits";
  SmallVector<StringRef> params{bce ? "logits" : "pred", "target"};
  if (huber)
    params.push_back("delta");
  if (!args.bind(params, 2))
    return Val::poison();
  auto operands = regression(mb, args, params[0], "target");
  auto delta = args.number("delta", 1.0);
  if (!operands || !delta)
    return Val::poison();
  if (!(*delta > 0)) {
    mb.error(args.locOf("delta"), "huber delta must be positive");
    return Val::poison();
  }
  auto [pred, target] = *operands;
  mb.lossPrediction = pred;
  // bce_with_logits' targets are probabilities.
  if (bce)
    mb.requireValues(target, 0, 1, /*highOpen=*/false, /*integral=*/false,
                     "the targets of bce_with_logits (" + mb.place(call.getLoc()) + ")");
  Location at = call.getLoc();
  mlir::Location l = mb.loc(at);
  OpBuilder &b = mb.builder;
  Type element = typeOf(pred).getElementType();
  Value terms;
  if (bce) {
    // softplus(x) - x t == max(x, 0) - x t + log(1 + e^-|x|), stable for any x.
    Value product = b.create<nn::MulOp>(l, pred, target);
    terms = b.create<nn::SubOp>(l, b.create<nn::SoftplusOp>(l, pred), product);
  } else {
    Value diff = b.create<nn::SubOp>(l, pred, target);
    if (callee == "mse") {
      terms = b.create<nn::SquareOp>(l, diff);
    } else if (callee == "l1_loss") {
      terms = b.create<nn::AbsOp>(l, diff);
    } else {
      Value magnitude = b.create<nn::AbsOp>(l, diff);
      Value half = mb.scalar(element, 0.5, at);
      Value quadratic = b.create<nn::MulOp>(l, b.create<nn::SquareOp>(l, diff), half);
      Value linear = b.create<nn::MulOp>(
          l, b.create<nn::SubOp>(l, magnitude, mb.scalar(element, 0.5 * *delta, at)),
          mb.scalar(element, *delta, at));
      Value small = b.create<nn::CompareOp>(l, nn::CmpPredicate::lt, magnitude,
                                            mb.scalar(element, *delta, at));
      terms = b.create<nn::SelectOp>(l, small, quadratic, linear);
    }
  }
  return tensor(meanAll(mb, at, terms));
}

} // namespace

//===----------------------------------------------------------------------===//
// Metrics
//===----------------------------------------------------------------------===//

/// The 2x2 confusion matrix of a binary classifier: float logits against
/// float 0/1 targets of the same shape ([N] or [N, 1]), predicting class 1
/// where the logit is positive. Null when the call is not of that form.
static Value binaryCounts(ModelBuilder &mb, const CallExprAST &call) {
  if (call.getArgs().size() != 2 || !call.getNamedArgs().empty())
    return Value();
  // Peek at the labels' type without building anything twice: labels are
  // names of model inputs, so evaluating them creates no ops.
  auto *labelsName = dyn_cast<NameExprAST>(call.getArgs()[1].get());
  if (!labelsName)
    return Value();
  Val labels = mb.eval(*labelsName);
  if (!labels.isTensor() || !isa<FloatType>(typeOf(labels.tensor).getElementType()))
    return Value();
  Args args(mb, call);
  if (!args.bind({"logits", "labels"}, 2))
    return Value();
  auto logits = args.floatTensor("logits");
  if (!logits)
    return Value();
  RankedTensorType lt = typeOf(*logits), yt = typeOf(labels.tensor);
  bool columnOrVector = lt.getRank() == 1 || (lt.getRank() == 2 && lt.getDimSize(1) == 1);
  bool multiLabel = lt.getRank() == 2 && lt.getDimSize(1) > 1;
  if (lt != yt || (!columnOrVector && !multiLabel)) {
    mb.error(call.getLoc(), call.getCallee() +
                                " of a binary or multi-label classifier needs logits and 0/1 "
                                "targets of the same shape [N], [N, 1] or [N, K], got " +
                                str(*logits) + " and " + str(labels.tensor));
    return Value();
  }
  Location at = call.getLoc();
  mlir::Location l = mb.loc(at);
  OpBuilder &b = mb.builder;
  Type element = lt.getElementType();
  if (multiLabel) {
    // K labels, each a binary classification: per label the 2×2 confusion
    // matrix [target][prediction] of its N samples, as [K, 2, 2] counts.
    const int64_t k = lt.getDimSize(1);
    auto asFloat = [&](Value x, double threshold) -> Value {
      Value positive = b.create<nn::CompareOp>(l, nn::CmpPredicate::gt, x,
                                               mb.scalar(element, threshold, at));
      return b.create<nn::CastOp>(l, lt, positive);
    };
    Value predicted = asFloat(*logits, 0.0), actual = asFloat(labels.tensor, 0.5);
    Value one = mb.scalar(element, 1.0, at);
    Value notPredicted = b.create<nn::SubOp>(l, one, predicted);
    Value notActual = b.create<nn::SubOp>(l, one, actual);
    auto perLabel = [&](Value target, Value prediction) {
      Value both = b.create<nn::MulOp>(l, target, prediction);
      Value sum = mb.create1<nn::ReduceSumOp>(at, both, b.getDenseI64ArrayAttr({0}),
                                              b.getBoolAttr(false));
      return reshapeTo(mb, at, sum, {k, 1});
    };
    SmallVector<Value> cells = {perLabel(notActual, notPredicted), perLabel(notActual, predicted),
                                perLabel(actual, notPredicted), perLabel(actual, predicted)};
    Value table = mb.create1<nn::ConcatOp>(at, ValueRange(cells), b.getI64IntegerAttr(1));
    Value counts = b.create<nn::CastOp>(
        l, RankedTensorType::get({k, 4}, b.getI32Type()), table);
    return reshapeTo(mb, at, counts, {k, 2, 2});
  }
  auto classOf = [&](Value x, double threshold) {
    Value positive = b.create<nn::CompareOp>(l, nn::CmpPredicate::gt, x,
                                             mb.scalar(element, threshold, at));
    auto i32 = RankedTensorType::get(lt.getShape(), b.getI32Type());
    Value classes = b.create<nn::CastOp>(l, i32, positive);
    return reshapeTo(mb, at, classes, {lt.getDimSize(0)});
  };
  return mb.create1<nn::ConfusionMatrixOp>(at, classOf(*logits, 0.0),
                                           classOf(labels.tensor, 0.5),
                                           b.getI64IntegerAttr(2));
}

bool genMetric(ModelBuilder &mb, const CallExprAST &call) {
  StringRef kind = call.getCallee();
  unsigned errorsBefore = mb.diag.getNumErrors();
  if (!mb.metricNames.insert(kind).second) {
    mb.error(call.getLoc(), "duplicate metric '" + kind + "'");
    return false;
  }
  Location at = call.getLoc();
  mlir::Location l = mb.loc(at);
  OpBuilder &b = mb.builder;
  if (kind == "accuracy" || kind == "precision" || kind == "recall" || kind == "f1") {
    if (Value binary = binaryCounts(mb, call)) {
      mb.addResult(binary, nn::Role::Metric, kind);
      return true;
    }
    if (mb.diag.getNumErrors() != errorsBefore)
      return false;
    auto operands = classification(mb, call, "logits", "labels");
    if (!operands)
      return false;
    auto [logits, labels] = *operands;
    Value predictions = mb.create1<nn::ArgmaxOp>(at, logits, b.getI64IntegerAttr(1));
    Value counts = mb.create1<nn::ConfusionMatrixOp>(
        at, predictions, labels, b.getI64IntegerAttr(typeOf(logits).getDimSize(1)));
    if (!counts)
      return false;
    mb.addResult(counts, nn::Role::Metric, kind);
    return true;
  }
  if (kind == "mae" || kind == "rmse") {
    Args args(mb, call);
    if (!args.bind({"pred", "target"}, 2))
      return false;
    auto operands = regression(mb, args, "pred", "target");
    if (!operands)
      return false;
    Value diff = b.create<nn::SubOp>(l, operands->first, operands->second);
    Value terms = kind == "mae" ? Value(b.create<nn::AbsOp>(l, diff))
                                : Value(b.create<nn::SquareOp>(l, diff));
    SmallVector<int64_t> axes;
    for (int64_t dim = 0; dim < typeOf(terms).getRank(); ++dim)
      axes.push_back(dim);
    Value sum = mb.create1<nn::ReduceSumOp>(at, terms, b.getDenseI64ArrayAttr(axes),
                                            b.getBoolAttr(false));
    mb.addResult(sum, nn::Role::Metric, kind);
    return true;
  }
  mb.error(call.getLoc(), "unknown metric '" + kind +
                              "'; expected accuracy, precision, recall, f1, mae or rmse");
  return false;
}

//===----------------------------------------------------------------------===//
// Dispatch
//===----------------------------------------------------------------------===//

namespace {
using Builtin = Val (*)(ModelBuilder &, const CallExprAST &);

struct BuiltinEntry {
  StringRef name;
  Builtin build;
};

const BuiltinEntry kBuiltins[] = {
    {"dense", dense},
    {"attention", attention},
    {"split", split},
    {"lstm", recurrent<nn::LstmOp>},
    {"gru", recurrent<nn::GruOp>},
    {"conv2d", conv2d},
    {"batch_norm", batchNorm},
    {"layer_norm", layerNorm},
    {"embedding", embedding},
    {"relu", unary<nn::ReluOp>},
    {"leaky_relu", leakyRelu},
    {"sigmoid", unary<nn::SigmoidOp>},
    {"tanh", unary<nn::TanhOp>},
    {"gelu", unary<nn::GeluOp>},
    {"silu", unary<nn::SiluOp>},
    {"softmax", softmaxLike<nn::SoftmaxOp>},
    {"log_softmax", softmaxLike<nn::LogSoftmaxOp>},
    {"exp", unary<nn::ExpOp>},
    {"log", unary<nn::LogOp>},
    {"sqrt", unary<nn::SqrtOp>},
    {"abs", unary<nn::AbsOp>},
    {"square", unary<nn::SquareOp>},
    {"max", extremum<nn::MaximumOp>},
    {"gt", comparison},
    {"ge", comparison},
    {"lt", comparison},
    {"le", comparison},
    {"eq", comparison},
    {"ne", comparison},
    {"where", where},
    {"causal_mask", causalMask},
    {"min", extremum<nn::MinimumOp>},
    {"flatten", flatten},
    {"reshape", reshape},
    {"transpose", transpose},
    {"concat", concat},
    {"sum", reduction<nn::ReduceSumOp>},
    {"mean", reduction<nn::ReduceMeanOp>},
    {"max_pool2d", pool<nn::MaxPool2DOp>},
    {"avg_pool2d", pool<nn::AvgPool2DOp>},
    {"global_avg_pool", globalAvgPool},
    {"matmul", matmul},
    {"dropout", dropout},
    {"softmax_cross_entropy", softmaxCrossEntropy},
    {"mse", pointwiseLoss},
    {"l1_loss", pointwiseLoss},
    {"huber", pointwiseLoss},
    {"bce_with_logits", pointwiseLoss},
};

Builtin lookupBuiltin(StringRef name) {
  for (const BuiltinEntry &entry : kBuiltins)
    if (entry.name == name)
      return entry.build;
  return nullptr;
}

bool isMetricName(StringRef name) {
  return llvm::is_contained({"accuracy", "precision", "recall", "f1", "mae", "rmse"}, name);
}
} // namespace

bool isBuiltinName(StringRef name) {
  return lookupBuiltin(name) != nullptr || isMetricName(name);
}

std::string closestBuiltinName(StringRef name) {
  // PyTorch's and Keras' names for built-ins, lowercased.
  static const std::pair<StringRef, StringRef> kOtherNames[] = {
      {"swish", "silu"},             {"linear", "dense"},           {"scaled_dot_product_attention", "attention"},           {"conv", "conv2d"},
      {"batchnorm1d", "batch_norm"}, {"batchnorm2d", "batch_norm"},
      {"batchnorm", "batch_norm"},   {"layernorm", "layer_norm"},
      {"maxpool2d", "max_pool2d"},   {"avgpool2d", "avg_pool2d"},
      {"cross_entropy", "softmax_cross_entropy"},
      {"crossentropyloss", "softmax_cross_entropy"},
      {"mse_loss", "mse"},           {"mseloss", "mse"},
      {"bce", "bce_with_logits"},    {"bcewithlogitsloss", "bce_with_logits"},
      {"adaptive_avg_pool2d", "global_avg_pool"},
      {"globalaveragepooling2d", "global_avg_pool"},
      {"view", "reshape"},           {"cat", "concat"},
      {"rnn", "lstm"},               {"chunk", "split"}};
  const std::string lower = name.lower();
  for (const auto &[other, builtin] : kOtherNames)
    if (lower == other)
      return builtin.str();
  if (lookupBuiltin(lower))
    return lower;
  std::string best;
  unsigned bestDistance = std::max<unsigned>(2, name.size() / 3) + 1;
  for (const BuiltinEntry &entry : kBuiltins) {
    unsigned distance = name.edit_distance(entry.name, /*AllowReplacements=*/true,
                                           bestDistance);
    if (distance < bestDistance) {
      bestDistance = distance;
      best = entry.name.str();
    }
  }
  return best;
}

std::optional<SmallVector<Value>> splitTensors(ModelBuilder &mb, const CallExprAST &call) {
  Args args(mb, call);
  if (!args.bind({"x", "parts", "axis"}, 2))
    return std::nullopt;
  auto x = args.floatTensor("x");
  auto parts = args.integer("parts", 1, 1);
  if (!x || !parts)
    return std::nullopt;
  RankedTensorType type = typeOf(*x);
  auto axis = args.axis("axis", -1, type.getRank());
  if (!axis)
    return std::nullopt;
  const int64_t extent = type.getDimSize(*axis);
  if (extent % *parts != 0) {
    mb.error(args.locOf("parts"), "split cannot cut dimension " + std::to_string(*axis) +
                                      " of " + str(*x) + " (size " + std::to_string(extent) +
                                      ") into " + std::to_string(*parts) + " equal parts");
    return std::nullopt;
  }
  SmallVector<int64_t> shape(type.getShape());
  shape[*axis] = extent / *parts;
  auto partType = RankedTensorType::get(shape, type.getElementType());
  SmallVector<Value> result;
  for (int64_t part = 0; part < *parts; ++part) {
    SmallVector<int64_t> start(type.getRank(), 0);
    start[*axis] = part * shape[*axis];
    result.push_back(*parts == 1 ? *x
                                 : mb.builder.create<nn::SliceOp>(
                                       mb.loc(call.getLoc()), partType, *x,
                                       mb.builder.getDenseI64ArrayAttr(start)));
  }
  return result;
}

Val callBuiltin(ModelBuilder &mb, const CallExprAST &call,
                               bool &handled) {
  Builtin builtin = lookupBuiltin(call.getCallee());
  handled = builtin != nullptr;
  if (!builtin) {
    if (isMetricName(call.getCallee())) {
      handled = true;
      mb.error(call.getLoc(), "'" + call.getCallee() +
                                  "' is a metric; use it in a 'metric' statement");
      return Val::poison();
    }
    return Val::poison();
  }
  return builtin(mb, call);
}

} // namespace gradc::detail
