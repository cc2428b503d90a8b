//===- TrainStep.cpp - training and evaluation entry points ---------------===//

#include "gradc/Dialect/NN/IR/NNOps.h"
#include "gradc/Dialect/NN/Transforms/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace gradc {
#define GEN_PASS_DEF_TRAINSTEP
#include "gradc/Dialect/NN/Transforms/Passes.h.inc"
} // namespace gradc

using namespace mlir;
using namespace gradc;
using namespace gradc::nn;

namespace {

/// The optimizer's hyperparameters, from `nn.train` (a module without one
/// trains with adam, at the defaults of its table in NNAttrs.cpp).
struct OptimizerConfig {
  OptimizerKind kind;
  double beta1 = 0, beta2 = 0, eps = 0, weightDecay = 0;
  double momentum = 0, alpha = 0;
  bool nesterov = false;
  double l1 = 0, l2 = 0;
  std::optional<double> clipNorm, clipValue;

  static OptimizerConfig from(ModuleOp module) {
    auto train = module->getAttrOfType<TrainAttr>(NNDialect::kTrainAttrName);
    OptimizerAttr opt =
        train ? train.getOptimizer()
              : OptimizerAttr::get(module.getContext(), OptimizerKind::adam,
                                   DictionaryAttr::get(module.getContext()));
    OptimizerConfig c;
    c.kind = opt.getKind();
    auto setting = [&](StringRef name) {
      return findSetting(optimizerSettings(c.kind), name) ? opt.getSetting(name) : 0.0;
    };
    c.beta1 = setting("beta1");
    c.beta2 = setting("beta2");
    c.eps = setting("eps");
    c.weightDecay = setting("weight_decay");
    c.momentum = setting("momentum");
    c.alpha = setting("alpha");
    c.nesterov = setting("nesterov") != 0;
    if (train) {
      c.l1 = train.getL1();
      c.l2 = train.getL2();
      c.clipNorm = train.getClipGradNorm();
      c.clipValue = train.getClipGradValue();
    }
    return c;
  }

  /// The per-parameter state tensors, named as torch.optim names them.
  SmallVector<StringRef> stateNames() const {
    if (kind == OptimizerKind::adam || kind == OptimizerKind::adamw)
      return {"exp_avg", "exp_avg_sq"};
    if (kind == OptimizerKind::rmsprop)
      return momentum > 0 ? SmallVector<StringRef>{"square_avg", "momentum_buffer"}
                          : SmallVector<StringRef>{"square_avg"};
    return momentum > 0 ? SmallVector<StringRef>{"momentum_buffer"}
                        : SmallVector<StringRef>{};
  }
};

/// Arithmetic on tensors and rank-0 constants of one element type.
class Math {
public:
  Math(OpBuilder &b, Location loc, Type element) : b(b), loc(loc), element(element) {}

  Value c(double value) {
    auto type = RankedTensorType::get({}, element);
    return b.create<ConstantOp>(
        loc, DenseElementsAttr::get(type, FloatAttr::get(element, value)));
  }
  Value add(Value x, Value y) { return b.create<AddOp>(loc, x, y); }
  Value sub(Value x, Value y) { return b.create<SubOp>(loc, x, y); }
  Value mul(Value x, Value y) { return b.create<MulOp>(loc, x, y); }
  Value div(Value x, Value y) { return b.create<DivOp>(loc, x, y); }
  Value mul(Value x, double y) { return mul(x, c(y)); }
  Value add(Value x, double y) { return add(x, c(y)); }
  Value sqrt(Value x) { return b.create<SqrtOp>(loc, x); }
  Value square(Value x) { return b.create<SquareOp>(loc, x); }
  Value sign(Value x) { return b.create<SignOp>(loc, x); }
  Value pow(Value x, Value y) { return b.create<PowOp>(loc, x, y); }
  Value min(Value x, Value y) { return b.create<MinimumOp>(loc, x, y); }
  Value max(Value x, Value y) { return b.create<MaximumOp>(loc, x, y); }
  /// `x` converted to this element type (itself when it has it).
  Value convert(Value x) {
    auto type = llvm::cast<RankedTensorType>(x.getType());
    if (type.getElementType() == element)
      return x;
    return b.create<CastOp>(loc, RankedTensorType::get(type.getShape(), element), x);
  }
  Value sumAll(Value x) {
    SmallVector<int64_t> axes;
    for (int64_t dim = 0; dim < cast<RankedTensorType>(x.getType()).getRank(); ++dim)
      axes.push_back(dim);
    return b.create<ReduceSumOp>(loc, x, axes, false);
  }

  OpBuilder &b;
  Location loc;
  Type element;
};

struct Trainable {
  unsigned argIndex;
  StringRef name;
  Value param;
  Value grad;
  SmallVector<Value> state;     // block arguments of @train_step
  SmallVector<Value> newState;  // their updated values
  Value newParam;
};

/// Rewrites `gradients` in place: regularization, then clipping.
void preprocessGradients(Math &m, const OptimizerConfig &config,
                         MutableArrayRef<Trainable> params) {
  for (Trainable &p : params) {
    if (config.l1 > 0)
      p.grad = m.add(p.grad, m.mul(m.sign(p.param), config.l1));
    if (config.l2 > 0)
      p.grad = m.add(p.grad, m.mul(p.param, config.l2));
    if (config.clipValue)
      p.grad = m.min(m.max(p.grad, m.c(-*config.clipValue)), m.c(*config.clipValue));
  }
  if (config.clipNorm && !params.empty()) {
    Value total;
    for (Trainable &p : params) {
      Value sum = m.sumAll(m.square(p.grad));
      total = total ? m.add(total, sum) : sum;
    }
    // torch.nn.utils.clip_grad_norm_: coef = max_norm / (norm + 1e-6), clamped to 1.
    Value coef = m.min(m.div(m.c(*config.clipNorm), m.add(m.sqrt(total), 1e-6)), m.c(1.0));
    for (Trainable &p : params)
      p.grad = m.mul(p.grad, coef);
  }
}

/// The scalars of one optimizer step that every parameter's update shares:
/// Adam's step size lr / (1 - β₁ᵗ) and √(1 - β₂ᵗ), AdamW's decay factor
/// 1 - lr·λ. torch.optim computes them in double precision, as Python floats,
/// and only then meets the tensors' precision; so does this step (in f32,
/// 1 - β₂ᵗ would lose five digits to the rounding of β₂ = 0.999 alone).
/// Named for the generated code, at the train section's line.
struct StepScalars {
  Value stepSize, biasCorrection2Sqrt, decay;
};

Value named(Value value, StringRef name) {
  Operation *op = value.getDefiningOp();
  op->setLoc(NameLoc::get(StringAttr::get(op->getContext(), name), op->getLoc()));
  return value;
}

StepScalars stepScalars(Math &m, const OptimizerConfig &c, Value lr, Value step) {
  StepScalars s;
  if (c.kind != OptimizerKind::adam && c.kind != OptimizerKind::adamw)
    return s;
  Math wide(m.b, m.loc, m.b.getF64Type());
  Value wideLr = wide.convert(lr), wideStep = wide.convert(step);
  if (c.kind == OptimizerKind::adamw && c.weightDecay > 0)
    s.decay = named(m.convert(wide.sub(wide.c(1.0), wide.mul(wideLr, c.weightDecay))),
                    "decay_factor");
  Value biasCorrection1 = wide.sub(wide.c(1.0), wide.pow(wide.c(c.beta1), wideStep));
  Value biasCorrection2 = wide.sub(wide.c(1.0), wide.pow(wide.c(c.beta2), wideStep));
  s.biasCorrection2Sqrt = named(m.convert(wide.sqrt(biasCorrection2)), "bias_correction2_sqrt");
  s.stepSize = named(m.convert(wide.div(wideLr, biasCorrection1)), "step_size");
  return s;
}

/// One optimizer step of one parameter, as torch.optim computes it.
void update(Math &m, const OptimizerConfig &c, const StepScalars &s, Trainable &p, Value lr) {
  Value g = p.grad;
  if (c.weightDecay > 0 && c.kind != OptimizerKind::adamw)
    g = m.add(g, m.mul(p.param, c.weightDecay));
  if (c.kind == OptimizerKind::sgd) {
    if (c.momentum > 0) {
      // buf = momentum * buf + g (the zero initial buffer makes step 1 buf = g)
      Value buf = m.add(m.mul(p.state[0], c.momentum), g);
      p.newState.push_back(buf);
      g = c.nesterov ? m.add(g, m.mul(buf, c.momentum)) : buf;
    }
    p.newParam = m.sub(p.param, m.mul(g, lr));
    return;
  }
  if (c.kind == OptimizerKind::adam || c.kind == OptimizerKind::adamw) {
    Value param = p.param;
    if (s.decay)
      param = m.mul(param, s.decay);
    Value expAvg = m.add(m.mul(p.state[0], c.beta1), m.mul(g, 1.0 - c.beta1));
    Value expAvgSq = m.add(m.mul(p.state[1], c.beta2), m.mul(m.square(g), 1.0 - c.beta2));
    p.newState.append({expAvg, expAvgSq});
    // denom = sqrt(v) / sqrt(bc2) + eps; p -= (lr / bc1) * m / denom
    Value denom = m.add(m.div(m.sqrt(expAvgSq), s.biasCorrection2Sqrt), c.eps);
    p.newParam = m.sub(param, m.mul(s.stepSize, m.div(expAvg, denom)));
    return;
  }
  // rmsprop
  Value squareAvg = m.add(m.mul(p.state[0], c.alpha), m.mul(m.square(g), 1.0 - c.alpha));
  p.newState.push_back(squareAvg);
  Value avg = m.add(m.sqrt(squareAvg), c.eps);
  if (c.momentum > 0) {
    Value buf = m.add(m.mul(p.state[1], c.momentum), m.div(g, avg));
    p.newState.push_back(buf);
    p.newParam = m.sub(p.param, m.mul(buf, lr));
  } else {
    p.newParam = m.sub(p.param, m.mul(m.div(g, avg), lr));
  }
}

/// Regularization and clipping of the gradients, then every parameter's
/// update: appends the updated parameters (`param_update`) and optimizer
/// states (`opt_state_update`) to `results`.
void appendUpdates(OpBuilder &builder, Location loc, Type element,
                   const OptimizerConfig &config, MutableArrayRef<Trainable> params,
                   func::FuncOp lossGrad, Value lr, Value step,
                   ArrayRef<StringRef> stateNames, SmallVectorImpl<Value> &results,
                   SmallVectorImpl<DictionaryAttr> &resultAttrs) {
  MLIRContext *context = builder.getContext();
  Math m(builder, loc, element);
  preprocessGradients(m, config, params);
  // The step's shared scalars belong to the train section (the module's
  // nn.loc), each parameter's update to the layer that owns it.
  auto module = lossGrad->getParentOfType<ModuleOp>();
  auto trainLoc = module->getAttrOfType<LocationAttr>(NNDialect::kLocAttrName);
  Math atTrain(builder, trainLoc ? Location(trainLoc) : module.getLoc(), element);
  StepScalars scalars = stepScalars(atTrain, config, lr, step);
  for (Trainable &p : params) {
    Math local(builder, lossGrad.getArgument(p.argIndex).getLoc(), element);
    update(local, config, scalars, p, lr);
    results.push_back(p.newParam);
    resultAttrs.push_back(roleAttrs(context, Role::ParamUpdate, p.name));
    for (auto [state, value] : llvm::zip(stateNames, p.newState)) {
      results.push_back(value);
      resultAttrs.push_back(roleAttrs(context, Role::OptStateUpdate, (p.name + "." + state).str()));
    }
  }
}

/// The trailing arguments of @train_step and @apply_update: every trainable
/// parameter's optimizer states (shaped as the parameter, named as
/// torch.optim names them), then the learning rate and the step number.
void appendStateAndHyperArgs(func::FuncOp lossGrad, ArrayRef<Trainable> trained,
                             ArrayRef<StringRef> stateNames, Type element,
                             SmallVectorImpl<Type> &argTypes,
                             SmallVectorImpl<DictionaryAttr> &argAttrs) {
  MLIRContext *context = lossGrad.getContext();
  for (const Trainable &p : trained)
    for (StringRef state : stateNames) {
      argTypes.push_back(lossGrad.getArgumentTypes()[p.argIndex]);
      argAttrs.push_back(roleAttrs(context, Role::OptState, (p.name + "." + state).str()));
    }
  auto scalarType = RankedTensorType::get({}, element);
  argTypes.append({scalarType, scalarType});
  argAttrs.push_back(roleAttrs(context, Role::Hyper, "lr"));
  argAttrs.push_back(roleAttrs(context, Role::Hyper, "step"));
}

/// `@apply_update`: the update half of `@train_step` alone. It takes the
/// trainable parameters, their gradients (`nn.role = #nn.role<grad>`, read, never
/// written), the optimizer states, lr and step, and returns the updated
/// parameters and states, by the same formulas as `@train_step`. A program
/// that trains on several processes computes its gradients with `@loss_grad`
/// or `@train_grad`, averages them across processes, and applies them here.
void buildApplyUpdate(func::FuncOp trainStep, func::FuncOp lossGrad,
                      const OptimizerConfig &config, ArrayRef<Trainable> trained,
                      ArrayRef<StringRef> stateNames, Type element) {
  MLIRContext *context = trainStep.getContext();
  SmallVector<Type> argTypes;
  SmallVector<DictionaryAttr> argAttrs;
  for (const Trainable &p : trained) {
    argTypes.push_back(lossGrad.getArgumentTypes()[p.argIndex]);
    argAttrs.push_back(lossGrad.getArgAttrDict(p.argIndex));
  }
  for (const Trainable &p : trained) {
    argTypes.push_back(lossGrad.getArgumentTypes()[p.argIndex]);
    argAttrs.push_back(roleAttrs(context, Role::Grad, p.name));
  }
  appendStateAndHyperArgs(lossGrad, trained, stateNames, element, argTypes, argAttrs);

  OpBuilder builder(context);
  builder.setInsertionPointAfter(trainStep);
  auto apply = builder.create<func::FuncOp>(trainStep.getLoc(), "apply_update",
                                            builder.getFunctionType(argTypes, {}));
  Block *body = apply.addEntryBlock();
  builder.setInsertionPointToStart(body);
  SmallVector<Trainable> params;
  const unsigned count = trained.size();
  unsigned nextState = 2 * count;
  for (auto [i, source] : llvm::enumerate(trained)) {
    Trainable p;
    p.argIndex = source.argIndex;
    p.name = source.name;
    p.param = body->getArgument(i);
    p.grad = body->getArgument(count + i);
    body->getArgument(i).setLoc(lossGrad.getArgument(p.argIndex).getLoc());
    for (size_t s = 0; s < stateNames.size(); ++s)
      p.state.push_back(body->getArgument(nextState++));
    params.push_back(p);
  }
  Value lr = body->getArgument(nextState++);
  Value step = body->getArgument(nextState++);

  SmallVector<Value> results;
  SmallVector<DictionaryAttr> resultAttrs;
  appendUpdates(builder, trainStep.getLoc(), element, config, params, lossGrad, lr, step,
                stateNames, results, resultAttrs);
  builder.create<func::ReturnOp>(trainStep.getLoc(), results);
  apply.setFunctionType(builder.getFunctionType(argTypes, ValueRange(results).getTypes()));
  apply.setAllArgAttrs(argAttrs);
  apply.setAllResultAttrs(resultAttrs);
}

/// Keeps the results of `func` whose role `keep` accepts, erases the pure ops
/// that then compute nothing and, with `dropUnusedArguments`, the arguments
/// nothing reads any more.
void keepResults(func::FuncOp func, llvm::function_ref<bool(std::optional<Role>)> keep,
                 bool dropUnusedArguments = false) {
  Block &body = func.getBody().front();
  auto ret = cast<func::ReturnOp>(body.getTerminator());
  SmallVector<Value> kept;
  SmallVector<DictionaryAttr> attrs;
  for (unsigned r = 0; r < func.getNumResults(); ++r)
    if (keep(resultRole(func, r))) {
      kept.push_back(ret.getOperand(r));
      attrs.push_back(func.getResultAttrDict(r));
    }
  OpBuilder builder(ret);
  builder.create<func::ReturnOp>(ret.getLoc(), kept);
  ret.erase();
  for (Operation &op : llvm::make_early_inc_range(llvm::reverse(body)))
    if (op.use_empty() && !op.hasTrait<OpTrait::IsTerminator>() && isPure(&op))
      op.erase();
  func.setFunctionType(
      FunctionType::get(func.getContext(), body.getArgumentTypes(), ValueRange(kept).getTypes()));
  func.setAllResultAttrs(attrs);
  if (!dropUnusedArguments)
    return;
  llvm::BitVector unused(body.getNumArguments());
  for (BlockArgument arg : body.getArguments())
    if (arg.use_empty())
      unused.set(arg.getArgNumber());
  (void)func.eraseArguments(unused);
}

/// `@train_grad`: `@loss_grad` that also returns the updated buffers (batch
/// normalization's running statistics), so that a program that averages
/// gradients across processes updates them as `@train_step` does. Built only
/// for models that have buffers; for the others `@loss_grad` serves.
void buildTrainGrad(func::FuncOp lossGrad) {
  bool updatesBuffers = false;
  for (unsigned r = 0; r < lossGrad.getNumResults(); ++r)
    updatesBuffers |= resultRole(lossGrad, r) == Role::BufferUpdate;
  if (!updatesBuffers)
    return;
  func::FuncOp trainGrad = lossGrad.clone();
  trainGrad.setSymName("train_grad");
  lossGrad->getBlock()->push_back(trainGrad);
  keepResults(trainGrad, [](std::optional<Role> role) { return role != Role::Output; });
}

LogicalResult buildTrainStep(ModuleOp module, func::FuncOp lossGrad, bool dataParallel,
                             bool stepGradients) {
  MLIRContext *context = module.getContext();
  OptimizerConfig config = OptimizerConfig::from(module);

  // Arguments: those of @loss_grad, the optimizer states, lr and step.
  SmallVector<Type> argTypes(lossGrad.getArgumentTypes());
  SmallVector<DictionaryAttr> argAttrs;
  for (unsigned i = 0; i < lossGrad.getNumArguments(); ++i)
    argAttrs.push_back(lossGrad.getArgAttrDict(i) ? lossGrad.getArgAttrDict(i)
                                                  : DictionaryAttr::get(context));
  SmallVector<Trainable> params;
  auto ret = cast<func::ReturnOp>(lossGrad.getBody().front().getTerminator());
  for (unsigned r = 0; r < lossGrad.getNumResults(); ++r) {
    if (resultRole(lossGrad, r) != Role::Grad)
      continue;
    auto name = lossGrad.getResultAttrOfType<StringAttr>(r, NNDialect::kNameAttrName);
    std::optional<unsigned> argIndex;
    for (unsigned i = 0; i < lossGrad.getNumArguments(); ++i)
      if (auto argName = lossGrad.getArgAttrOfType<StringAttr>(i, NNDialect::kNameAttrName))
        if (name && argName == name)
          argIndex = i;
    if (!argIndex)
      return lossGrad.emitError() << "gradient result #" << r << " names no parameter";
    Trainable p;
    p.argIndex = *argIndex;
    p.name = name.getValue();
    params.push_back(p);
  }
  if (params.empty())
    return lossGrad.emitError() << "the model has no trainable parameters to train";
  Type element = cast<RankedTensorType>(argTypes[params.front().argIndex]).getElementType();
  SmallVector<StringRef> stateNames = config.stateNames();
  appendStateAndHyperArgs(lossGrad, params, stateNames, element, argTypes, argAttrs);

  OpBuilder builder(context);
  builder.setInsertionPointAfter(lossGrad);
  auto trainStep = builder.create<func::FuncOp>(lossGrad.getLoc(), "train_step",
                                                builder.getFunctionType(argTypes, {}));
  Block *body = trainStep.addEntryBlock();
  builder.setInsertionPointToStart(body);

  // The forward and backward passes, as @loss_grad computes them.
  IRMapping mapping;
  for (unsigned i = 0; i < lossGrad.getNumArguments(); ++i)
    mapping.map(lossGrad.getArgument(i), body->getArgument(i));
  for (Operation &op : lossGrad.getBody().front().without_terminator())
    builder.clone(op, mapping);

  SmallVector<Value> results;
  SmallVector<DictionaryAttr> resultAttrs;
  unsigned gradIndex = 0;
  for (unsigned r = 0; r < lossGrad.getNumResults(); ++r) {
    Value value = mapping.lookupOrDefault(ret.getOperand(r));
    std::optional<Role> role = resultRole(lossGrad, r);
    if (role == Role::Grad) {
      params[gradIndex++].grad = value;
      continue;
    }
    if (role == Role::Output)
      continue; // a training step returns no predictions
    results.push_back(value);
    resultAttrs.push_back(lossGrad.getResultAttrDict(r));
  }

  unsigned nextArg = lossGrad.getNumArguments();
  for (Trainable &p : params) {
    p.param = body->getArgument(p.argIndex);
    for (size_t s = 0; s < stateNames.size(); ++s)
      p.state.push_back(body->getArgument(nextArg++));
  }
  Value lr = body->getArgument(nextArg++);
  Value step = body->getArgument(nextArg++);

  // The raw gradients are results too: programs expose them (the numerics
  // guard, gradient checks) and data-parallel training reduces them; unless
  // a program asks for the memory instead (step-gradients=false).
  if (stepGradients)
    for (Trainable &p : params) {
      results.push_back(p.grad);
      resultAttrs.push_back(roleAttrs(context, Role::Grad, p.name));
    }

  appendUpdates(builder, lossGrad.getLoc(), element, config, params, lossGrad, lr, step,
                stateNames, results, resultAttrs);
  builder.create<func::ReturnOp>(lossGrad.getLoc(), results);
  trainStep.setFunctionType(builder.getFunctionType(argTypes, ValueRange(results).getTypes()));
  trainStep.setAllArgAttrs(argAttrs);
  trainStep.setAllResultAttrs(resultAttrs);

  if (dataParallel)
    buildApplyUpdate(trainStep, lossGrad, config, params, stateNames, element);
  return success();
}

/// A copy of `source` named `name` that returns only the results with role
/// `output`, without the arguments that then go unused.
void buildPredict(func::FuncOp source, StringRef name) {
  func::FuncOp predict = source.clone();
  predict.setSymName(name);
  source->getBlock()->getParent()->front().push_back(predict);
  keepResults(
      predict, [](std::optional<Role> role) { return role == Role::Output; },
      /*dropUnusedArguments=*/true);
}

/// @loss_grad stays as an entry point that computes the loss, the metric
/// statistics and the gradients of one batch without changing any state: it
/// returns neither outputs nor buffer updates.
void trimLossGrad(func::FuncOp lossGrad) {
  keepResults(lossGrad, [](std::optional<Role> role) {
    return role != Role::Output && role != Role::BufferUpdate;
  });
}

struct TrainStepPass : public gradc::impl::TrainStepBase<TrainStepPass> {
  using TrainStepBase::TrainStepBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto forward = module.lookupSymbol<func::FuncOp>("forward");
    auto lossGrad = module.lookupSymbol<func::FuncOp>("loss_grad");
    auto eval = module.lookupSymbol<func::FuncOp>("forward_eval");
    auto evalOne = module.lookupSymbol<func::FuncOp>("forward_eval_one");
    if (!lossGrad || !eval || !evalOne) {
      module.emitError() << "gradc-train-step needs @loss_grad (from gradc-autodiff), "
                            "@forward_eval and @forward_eval_one";
      return signalPassFailure();
    }
    // Programs for several processes (gradc --ranks N) also get the two
    // halves of a step; the others stay as small as before.
    auto train = module->getAttrOfType<TrainAttr>(NNDialect::kTrainAttrName);
    const bool dataParallel = train && train.getRanks() > 1;
    if (failed(buildTrainStep(module, lossGrad, dataParallel, stepGradients)))
      return signalPassFailure();
    eval.setSymName("eval_step");
    evalOne.setSymName("eval_one");
    buildPredict(eval, "predict");
    buildPredict(evalOne, "predict_one");
    if (dataParallel)
      buildTrainGrad(lossGrad);
    trimLossGrad(lossGrad);
    if (forward)
      forward.erase();
  }
};

} // namespace
