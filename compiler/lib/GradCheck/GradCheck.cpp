//===- GradCheck.cpp - compiled gradients against finite differences ------===//

#include "gradc/GradCheck/GradCheck.h"

#include "gradc/Dialect/NN/IR/NNOps.h"
#include "gradc/Interpreter/Interpreter.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/Format.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

using namespace mlir;
using namespace gradc;
using gradc::interp::Tensor;

namespace {

StringRef argString(func::FuncOp func, unsigned index, StringRef name) {
  auto attr = func.getArgAttrOfType<StringAttr>(index, name);
  return attr ? attr.getValue() : StringRef();
}

/// The number of rows of the table an i32 argument indexes, if it feeds
/// nn.gather_rows; ids are drawn below it.
int64_t idLimit(BlockArgument arg) {
  for (Operation *user : arg.getUsers())
    if (auto gather = dyn_cast<nn::GatherRowsOp>(user))
      return cast<RankedTensorType>(gather.getTable().getType()).getDimSize(0);
  return 2;
}

/// Random arguments of `forward`: inputs and parameters at scales where
/// finite differences are accurate, labels within their classes.
FailureOr<std::vector<Tensor>> randomArguments(func::FuncOp forward, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::uniform_real_distribution<double> uniform(-1.0, 1.0);
  std::vector<Tensor> args;
  for (BlockArgument arg : forward.getArguments()) {
    unsigned index = arg.getArgNumber();
    auto type = cast<RankedTensorType>(arg.getType());
    Tensor tensor{type, std::vector<double>(type.getNumElements())};
    std::optional<nn::Role> role = nn::argumentRole(forward, index);
    StringRef name = argString(forward, index, nn::NNDialect::kNameAttrName);
    auto classes = forward.getArgAttrOfType<IntegerAttr>(index,
                                                         nn::NNDialect::kClassesAttrName);
    Type element = type.getElementType();
    for (double &value : tensor.data) {
      if (role == nn::Role::Rng) {
        value = static_cast<double>(rng() >> 12);
      } else if (element.isInteger(32)) {
        int64_t limit = classes ? classes.getInt() : idLimit(arg);
        value = static_cast<double>(rng() % static_cast<uint64_t>(limit));
      } else if (role == nn::Role::Label) {
        value = 0.5 + 0.5 * uniform(rng); // in [0, 1]: valid for every loss
      } else if (role == nn::Role::Param || role == nn::Role::Buffer) {
        int64_t fanIn = type.getRank() >= 2 ? type.getNumElements() / type.getDimSize(0) : 1;
        if (name.ends_with(".running_var") || name.ends_with(".gamma"))
          value = 1.0 + 0.1 * uniform(rng);
        else if (name.ends_with(".running_mean"))
          value = 0.1 * uniform(rng);
        else
          value = uniform(rng) / std::sqrt(static_cast<double>(fanIn));
      } else {
        value = normal(rng);
      }
    }
    args.push_back(std::move(tensor));
  }
  return args;
}

/// Indices of the entries to check: all, or a seeded sample of `count`.
std::vector<int64_t> entriesToCheck(int64_t size, int64_t count, std::mt19937_64 &rng) {
  std::vector<int64_t> entries(size);
  std::iota(entries.begin(), entries.end(), 0);
  if (count <= 0 || size <= count)
    return entries;
  std::shuffle(entries.begin(), entries.end(), rng);
  entries.resize(count);
  std::sort(entries.begin(), entries.end());
  return entries;
}

std::string shapeOf(RankedTensorType type) {
  std::string text = "[";
  for (auto [index, dim] : llvm::enumerate(type.getShape()))
    text += (index ? ", " : "") + std::to_string(dim);
  return text + "]";
}

} // namespace

FailureOr<bool> gradc::runGradCheck(ModuleOp module, const GradCheckOptions &options,
                                    llvm::raw_ostream &os) {
  auto forward = module.lookupSymbol<func::FuncOp>("forward");
  auto lossGrad = module.lookupSymbol<func::FuncOp>("loss_grad");
  if (!forward || !lossGrad)
    return module.emitError() << "gradient checking needs @forward and @loss_grad";
  std::optional<unsigned> lossIndex;
  for (unsigned i = 0; i < forward.getNumResults(); ++i)
    if (nn::resultRole(forward, i) == nn::Role::Loss)
      lossIndex = i;
  if (!lossIndex)
    return forward.emitError() << "no result with nn.role = #nn.role<loss>";

  FailureOr<std::vector<Tensor>> args = randomArguments(forward, options.seed);
  if (failed(args))
    return failure();
  interp::Interpreter interpreter(module);
  FailureOr<std::vector<Tensor>> analytic = interpreter.run("loss_grad", *args);
  if (failed(analytic))
    return failure();

  std::mt19937_64 sampler(options.seed ^ 0x5eedull);
  bool allPassed = true;
  unsigned checkedParams = 0;
  os << llvm::left_justify("parameter", 40) << " " << llvm::left_justify("shape", 18)
     << " checked  max abs err  max rel err  status\n";
  for (unsigned result = 0; result < lossGrad.getNumResults(); ++result) {
    if (nn::resultRole(lossGrad, result) != nn::Role::Grad)
      continue;
    auto name = lossGrad.getResultAttrOfType<StringAttr>(result, nn::NNDialect::kNameAttrName);
    std::optional<unsigned> argIndex;
    for (unsigned i = 0; i < forward.getNumArguments(); ++i)
      if (name && argString(forward, i, nn::NNDialect::kNameAttrName) == name.getValue())
        argIndex = i;
    if (!argIndex)
      return lossGrad.emitError() << "gradient result #" << result
                                  << " names no argument of @forward";
    Tensor &param = (*args)[*argIndex];
    const Tensor &gradient = (*analytic)[result];
    double maxAbs = 0, maxRel = 0;
    bool passed = true;
    std::vector<int64_t> entries = entriesToCheck(
        static_cast<int64_t>(param.data.size()), options.entriesPerParam, sampler);
    for (int64_t entry : entries) {
      double saved = param.data[entry];
      auto lossAt = [&](double value) -> FailureOr<double> {
        param.data[entry] = value;
        FailureOr<std::vector<Tensor>> out = interpreter.run("forward", *args);
        if (failed(out))
          return failure();
        return (*out)[*lossIndex].data.front();
      };
      FailureOr<double> plus = lossAt(saved + options.eps);
      FailureOr<double> minus = lossAt(saved - options.eps);
      param.data[entry] = saved;
      if (failed(plus) || failed(minus))
        return failure();
      double numeric = (*plus - *minus) / (2 * options.eps);
      double error = std::fabs(gradient.data[entry] - numeric);
      maxAbs = std::max(maxAbs, error);
      maxRel = std::max(maxRel, error / std::max(std::fabs(numeric), 1e-12));
      if (!(error <= options.atol + options.rtol * std::fabs(numeric)))
        passed = false;
    }
    allPassed &= passed;
    ++checkedParams;
    os << llvm::format("%-40s %-18s %7lld %12.3e %12.3e  %s\n", name.getValue().str().c_str(),
                       shapeOf(param.type).c_str(), static_cast<long long>(entries.size()),
                       maxAbs, maxRel, passed ? "ok" : "FAILED");
  }
  os << (allPassed ? "gradcheck passed" : "gradcheck FAILED") << ": " << checkedParams
     << " parameters, eps " << options.eps << ", atol " << options.atol << ", rtol "
     << options.rtol << "\n";
  return allPassed;
}
