//===- TrainSettings.cpp - the train section as the nn.train attribute ----===//
//
// Every setting of LANGUAGE.md's table is checked here (names, argument
// names, ranges) and stored, with every default filled in, in a dictionary
// the train-step pass and the emitter read.
//
//===----------------------------------------------------------------------===//

#include "ModelBuilder.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <cmath>

using namespace mlir;

namespace gradc::detail {

namespace {

class SettingsBuilder {
public:
  SettingsBuilder(MLIRContext &context, DiagnosticEngine &diag)
      : b(&context), diag(diag) {}

  std::optional<double> number(const ExprAST &expr, llvm::StringRef what) {
    if (auto *n = dyn_cast<NumberExprAST>(&expr))
      return n->getValue();
    if (auto *u = dyn_cast<UnaryExprAST>(&expr)) {
      auto v = number(u->getOperand(), what);
      return v ? std::optional<double>(-*v) : std::nullopt;
    }
    if (auto *bin = dyn_cast<BinaryExprAST>(&expr)) {
      auto l = number(bin->getLHS(), what), r = number(bin->getRHS(), what);
      if (!l || !r)
        return std::nullopt;
      switch (bin->getOp()) {
      case '+':
        return *l + *r;
      case '-':
        return *l - *r;
      case '*':
        return *l * *r;
      default:
        if (*r == 0) {
          diag.error(bin->getLoc(), "division by zero in " + what);
          return std::nullopt;
        }
        return *l / *r;
      }
    }
    diag.error(expr.getLoc(), "expected a number for " + what);
    return std::nullopt;
  }

  std::optional<double> numberIn(const ExprAST &expr, llvm::StringRef what, double low,
                                 double high, bool lowOpen, bool highOpen) {
    auto value = number(expr, what);
    if (!value)
      return std::nullopt;
    bool ok = std::isfinite(*value) && (lowOpen ? *value > low : *value >= low) &&
              (highOpen ? *value < high : *value <= high);
    if (!ok) {
      std::string range = std::string(lowOpen ? "(" : "[") + fmt(low) + ", " +
                          fmt(high) + (highOpen ? ")" : "]");
      diag.error(expr.getLoc(), what + " must be in " + range + ", got " + fmt(*value));
      return std::nullopt;
    }
    return value;
  }

  std::optional<int64_t> integer(const ExprAST &expr, llvm::StringRef what,
                                 int64_t minimum) {
    auto *n = dyn_cast<NumberExprAST>(&expr);
    if (!n || !n->isInteger()) {
      diag.error(expr.getLoc(), "expected an integer for " + what);
      return std::nullopt;
    }
    if (n->getInt() < minimum) {
      diag.error(expr.getLoc(), what + " must be at least " + std::to_string(minimum) +
                                    ", got " + std::to_string(n->getInt()));
      return std::nullopt;
    }
    return n->getInt();
  }

  std::optional<std::string> string(const ExprAST &expr, llvm::StringRef what) {
    if (auto *s = dyn_cast<StringExprAST>(&expr))
      return s->getValue().str();
    diag.error(expr.getLoc(), "expected a string for " + what);
    return std::nullopt;
  }

  std::optional<bool> flag(const ExprAST &expr, llvm::StringRef what) {
    if (auto *n = dyn_cast<NameExprAST>(&expr)) {
      if (n->getName() == "true")
        return true;
      if (n->getName() == "false")
        return false;
    }
    diag.error(expr.getLoc(), "expected true or false for " + what);
    return std::nullopt;
  }

  /// Checks a call's argument names against `params` (positional in order).
  bool bindCall(const CallExprAST &call, llvm::ArrayRef<llvm::StringRef> params,
                llvm::StringRef what,
                std::map<std::string, const ExprAST *> &values) {
    bool ok = true;
    auto list = [&]() {
      std::string names;
      for (auto [index, name] : llvm::enumerate(params))
        names += (index ? ", " : "") + name.str();
      return names;
    };
    if (call.getArgs().size() > params.size()) {
      diag.error(call.getLoc(), what + " takes at most " +
                                    std::to_string(params.size()) +
                                    (params.size() == 1 ? " argument (" : " arguments (") +
                                    list() + ")");
      return false;
    }
    for (auto [index, arg] : llvm::enumerate(call.getArgs()))
      values[params[index].str()] = arg.get();
    for (const NamedArgAST &named : call.getNamedArgs()) {
      if (!llvm::is_contained(params, named.name)) {
        diag.error(named.loc, "unknown " + what + " setting '" + named.name +
                                  "'; expected one of " + list());
        ok = false;
      } else if (!values.emplace(named.name, named.value.get()).second) {
        diag.error(named.loc, what + " setting '" + named.name + "' is given twice");
        ok = false;
      }
    }
    return ok;
  }

  static std::string fmt(double value) { return ModelBuilder::numberString(value); }

  NamedAttribute attr(llvm::StringRef name, Attribute value) {
    return b.getNamedAttr(name, value);
  }

  Builder b;
  DiagnosticEngine &diag;
  /// How many inputs and labels the model has: a data source needs a file
  /// for each (a model without labels needs no labels file).
  size_t inputCount = 1, labelCount = 1;
};

/// A data path as the compiled program should see it: relative paths are
/// relative to the model file's folder, then made absolute.
std::string resolvePath(llvm::StringRef path, const Location &at) {
  if (path.empty() || llvm::sys::path::is_absolute(path))
    return path.str();
  llvm::SmallString<256> resolved(llvm::sys::path::parent_path(at.getFilename()));
  llvm::sys::path::append(resolved, path);
  llvm::sys::fs::make_absolute(resolved);
  llvm::sys::path::remove_dots(resolved, /*remove_dot_dot=*/true);
  return resolved.str().str();
}

struct Param {
  llvm::StringRef name;
  double fallback;
  double low, high;
  bool lowOpen, highOpen;
};

std::optional<DictionaryAttr> optimizer(SettingsBuilder &sb, const ExprAST &value,
                                        std::optional<double> &lr) {
  auto *call = dyn_cast<CallExprAST>(&value);
  llvm::StringRef kind = call ? call->getCallee()
                              : (isa<NameExprAST>(value)
                                     ? cast<NameExprAST>(value).getName()
                                     : llvm::StringRef());
  constexpr double inf = std::numeric_limits<double>::infinity();
  std::vector<Param> params;
  double defaultLr;
  if (kind == "sgd") {
    params = {{"momentum", 0, 0, 1, false, true}, {"weight_decay", 0, 0, inf, false, true}};
    defaultLr = -1;
  } else if (kind == "adam" || kind == "adamw") {
    params = {{"beta1", 0.9, 0, 1, false, true},
              {"beta2", 0.999, 0, 1, false, true},
              {"eps", 1e-8, 0, inf, true, true},
              {"weight_decay", kind == "adamw" ? 0.01 : 0.0, 0, inf, false, true}};
    defaultLr = 1e-3;
  } else if (kind == "rmsprop") {
    params = {{"alpha", 0.99, 0, 1, false, false},
              {"eps", 1e-8, 0, inf, true, true},
              {"momentum", 0, 0, 1, false, true},
              {"weight_decay", 0, 0, inf, false, true}};
    defaultLr = 1e-2;
  } else {
    sb.diag.error(value.getLoc(), "unknown optimizer '" + kind +
                                      "'; expected sgd, adam, adamw or rmsprop");
    return std::nullopt;
  }
  SmallVector<llvm::StringRef> names{"lr"};
  for (const Param &p : params)
    names.push_back(p.name);
  if (kind == "sgd")
    names.push_back("nesterov");
  std::map<std::string, const ExprAST *> values;
  if (call && !sb.bindCall(*call, names, kind, values))
    return std::nullopt;

  SmallVector<NamedAttribute> attrs{sb.attr("kind", sb.b.getStringAttr(kind))};
  if (values.count("lr")) {
    auto value = sb.numberIn(*values["lr"], "the learning rate", 0, inf, true, true);
    if (!value)
      return std::nullopt;
    if (lr) {
      sb.diag.error(values["lr"]->getLoc(),
                    "the learning rate is set both here and by the 'lr' setting");
      return std::nullopt;
    }
    lr = value;
  }
  if (!lr) {
    if (defaultLr < 0) {
      sb.diag.error(value.getLoc(), "sgd needs a learning rate: sgd(lr: 0.1)");
      return std::nullopt;
    }
    lr = defaultLr;
  }
  bool ok = true;
  double momentum = 0;
  for (const Param &p : params) {
    double v = p.fallback;
    if (values.count(p.name.str())) {
      auto parsed = sb.numberIn(*values[p.name.str()], kind.str() + " " + p.name.str(),
                                p.low, p.high, p.lowOpen, p.highOpen);
      if (!parsed) {
        ok = false;
        continue;
      }
      v = *parsed;
    }
    if (p.name == "momentum")
      momentum = v;
    attrs.push_back(sb.attr(p.name, sb.b.getF64FloatAttr(v)));
  }
  if (kind == "sgd") {
    bool nesterov = false;
    if (values.count("nesterov")) {
      auto parsed = sb.flag(*values["nesterov"], "sgd nesterov");
      if (!parsed)
        return std::nullopt;
      nesterov = *parsed;
      if (nesterov && momentum <= 0) {
        sb.diag.error(values["nesterov"]->getLoc(),
                      "nesterov momentum needs momentum > 0");
        return std::nullopt;
      }
    }
    attrs.push_back(sb.attr("nesterov", sb.b.getBoolAttr(nesterov)));
  }
  if (!ok)
    return std::nullopt;
  return sb.b.getDictionaryAttr(attrs);
}

std::optional<DictionaryAttr> schedule(SettingsBuilder &sb, const ExprAST &value) {
  llvm::StringRef kind;
  const CallExprAST *call = dyn_cast<CallExprAST>(&value);
  if (call)
    kind = call->getCallee();
  else if (auto *name = dyn_cast<NameExprAST>(&value))
    kind = name->getName();
  SmallVector<llvm::StringRef> names;
  if (kind == "constant")
    names = {};
  else if (kind == "step")
    names = {"every", "gamma"};
  else if (kind == "exponential")
    names = {"gamma"};
  else if (kind == "cosine" || kind == "linear")
    names = {"steps", "warmup", "min_lr"};
  else if (kind == "one_cycle")
    names = {"steps", "pct_start", "div_factor", "final_div_factor"};
  else {
    sb.diag.error(value.getLoc(), "unknown schedule '" + kind +
                                      "'; expected constant, step, exponential, cosine, "
                                      "linear or one_cycle");
    return std::nullopt;
  }
  std::map<std::string, const ExprAST *> values;
  if (call && !sb.bindCall(*call, names, "schedule " + kind.str(), values))
    return std::nullopt;
  SmallVector<NamedAttribute> attrs{sb.attr("kind", sb.b.getStringAttr(kind))};
  auto need = [&](llvm::StringRef name) -> const ExprAST * {
    if (!values.count(name.str())) {
      sb.diag.error(value.getLoc(), "schedule " + kind + " needs '" + name + "'");
      return nullptr;
    }
    return values[name.str()];
  };
  if (kind == "step") {
    const ExprAST *every = need("every"), *gamma = need("gamma");
    auto e = every ? sb.integer(*every, "schedule step every", 1) : std::nullopt;
    auto g = gamma ? sb.numberIn(*gamma, "schedule gamma", 0, 1, true, false)
                   : std::nullopt;
    if (!e || !g)
      return std::nullopt;
    attrs.push_back(sb.attr("every", sb.b.getI64IntegerAttr(*e)));
    attrs.push_back(sb.attr("gamma", sb.b.getF64FloatAttr(*g)));
  } else if (kind == "exponential") {
    const ExprAST *gamma = need("gamma");
    auto g = gamma ? sb.numberIn(*gamma, "schedule gamma", 0, 1, true, false)
                   : std::nullopt;
    if (!g)
      return std::nullopt;
    attrs.push_back(sb.attr("gamma", sb.b.getF64FloatAttr(*g)));
  } else if (kind == "cosine" || kind == "linear") {
    const std::string what = "schedule " + kind.str();
    const ExprAST *steps = need("steps");
    auto s = steps ? sb.integer(*steps, what + " steps", 1) : std::nullopt;
    std::optional<int64_t> w = 0;
    if (values.count("warmup"))
      w = sb.integer(*values["warmup"], what + " warmup", 0);
    std::optional<double> m = 0.0;
    if (values.count("min_lr"))
      m = sb.numberIn(*values["min_lr"], what + " min_lr", 0,
                      std::numeric_limits<double>::infinity(), false, true);
    if (!s || !w || !m)
      return std::nullopt;
    if (*w >= *s) {
      sb.diag.error(value.getLoc(), kind + " warmup must be shorter than its steps");
      return std::nullopt;
    }
    attrs.push_back(sb.attr("steps", sb.b.getI64IntegerAttr(*s)));
    attrs.push_back(sb.attr("warmup", sb.b.getI64IntegerAttr(*w)));
    attrs.push_back(sb.attr("min_lr", sb.b.getF64FloatAttr(*m)));
  } else if (kind == "one_cycle") {
    constexpr double inf = std::numeric_limits<double>::infinity();
    const ExprAST *steps = need("steps");
    auto s = steps ? sb.integer(*steps, "schedule one_cycle steps", 2) : std::nullopt;
    auto optional = [&](const char *name, double fallback, double low, bool lowOpen,
                        double high) -> std::optional<double> {
      if (!values.count(name))
        return fallback;
      return sb.numberIn(*values[name], std::string("schedule one_cycle ") + name, low, high,
                         lowOpen, std::isinf(high));
    };
    auto pct = optional("pct_start", 0.3, 0, true, 1);
    auto div = optional("div_factor", 25, 0, true, inf);
    auto finalDiv = optional("final_div_factor", 1e4, 0, true, inf);
    if (!s || !pct || !div || !finalDiv)
      return std::nullopt;
    attrs.push_back(sb.attr("steps", sb.b.getI64IntegerAttr(*s)));
    attrs.push_back(sb.attr("pct_start", sb.b.getF64FloatAttr(*pct)));
    attrs.push_back(sb.attr("div_factor", sb.b.getF64FloatAttr(*div)));
    attrs.push_back(sb.attr("final_div_factor", sb.b.getF64FloatAttr(*finalDiv)));
  }
  return sb.b.getDictionaryAttr(attrs);
}

std::optional<DictionaryAttr> dataSource(SettingsBuilder &sb, const ExprAST &value,
                                         llvm::StringRef setting,
                                         llvm::ArrayRef<std::string> dataNames) {
  auto *call = dyn_cast<CallExprAST>(&value);
  llvm::StringRef kind = call ? call->getCallee() : "";
  SmallVector<llvm::StringRef> names;
  if (kind == "idx")
    names = {"images", "labels", "scale", "layout"};
  else if (kind == "csv")
    names = {"path", "label_column", "header", "scale", "layout"};
  else if (kind == "npy")
    names = {"inputs", "labels", "scale", "layout"};
  else {
    sb.diag.error(value.getLoc(), setting + " must be idx(...), csv(...) or npy(...)");
    return std::nullopt;
  }
  // idx and npy sources may name a file per input and label of the model:
  // npy(image: "a.npy", meta: "b.npy", y: "c.npy").
  const size_t settingNames = names.size();
  if (kind != "csv")
    for (const std::string &name : dataNames)
      if (!llvm::is_contained(names, name))
        names.push_back(name);
  std::map<std::string, const ExprAST *> values;
  if (!sb.bindCall(*call, names, kind, values))
    return std::nullopt;
  SmallVector<NamedAttribute> attrs{sb.attr("kind", sb.b.getStringAttr(kind))};
  SmallVector<NamedAttribute> files;
  for (llvm::StringRef name : llvm::ArrayRef(names).drop_front(settingNames)) {
    auto it = values.find(name.str());
    if (it == values.end())
      continue;
    auto v = sb.string(*it->second, kind.str() + " " + name.str());
    if (!v)
      return std::nullopt;
    files.push_back(sb.attr(name, sb.b.getStringAttr(resolvePath(*v, call->getLoc()))));
  }
  if (!files.empty()) {
    // Named files: one for every input and label.
    std::string missing;
    for (const std::string &name : dataNames)
      if (!values.count(name))
        missing += (missing.empty() ? "'" : ", '") + name + "'";
    if (!missing.empty()) {
      sb.diag.error(call->getLoc(), kind + " names files by input and label, but none for " +
                                        missing + "; name one for each: " + kind + "(" +
                                        dataNames.front() + ": \"FILE\", ...)");
      return std::nullopt;
    }
    attrs.push_back(sb.attr("files", sb.b.getDictionaryAttr(files)));
  } else if (sb.inputCount > 1 || sb.labelCount > 1) {
    std::string list;
    for (const std::string &name : dataNames)
      list += (list.empty() ? "" : ", ") + name;
    sb.diag.error(call->getLoc(),
                  kind == "csv"
                      ? "a CSV file feeds a model of one input and at most one label, but this "
                        "model has " + list + ": use npy(...) or idx(...) with a file for each"
                      : "the model has " + list + ": name a file for each, " + kind.str() + "(" +
                            dataNames.front() + ": \"FILE\", ...)");
    return std::nullopt;
  }
  names.resize(settingNames);
  for (llvm::StringRef name : names) {
    auto it = values.find(name.str());
    if (name == "scale") {
      double scale = 1.0;
      if (it != values.end()) {
        auto v = sb.numberIn(*it->second, kind.str() + " scale", 0,
                             std::numeric_limits<double>::infinity(), true, true);
        if (!v)
          return std::nullopt;
        scale = *v;
      }
      attrs.push_back(sb.attr(name, sb.b.getF64FloatAttr(scale)));
    } else if (name == "header") {
      bool header = true;
      if (it != values.end()) {
        auto v = sb.flag(*it->second, "csv header");
        if (!v)
          return std::nullopt;
        header = *v;
      }
      attrs.push_back(sb.attr(name, sb.b.getBoolAttr(header)));
    } else if (name == "layout") {
      if (it == values.end())
        continue;
      auto v = sb.string(*it->second, kind.str() + " layout");
      if (!v)
        return std::nullopt;
      if (*v != "nhwc" && *v != "flat") {
        sb.diag.error(it->second->getLoc(),
                      kind + " layout must be \"nhwc\" (channels last) or \"flat\" (any "
                             "shape of as many values), got \"" + *v + "\"");
        return std::nullopt;
      }
      attrs.push_back(sb.attr(name, sb.b.getStringAttr(*v)));
    } else if (name == "label_column" && it != values.end() &&
               isa<NumberExprAST>(it->second)) {
      auto v = sb.integer(*it->second, "csv label_column", 0);
      if (!v)
        return std::nullopt;
      attrs.push_back(sb.attr(name, sb.b.getStringAttr(std::to_string(*v))));
    } else {
      if (it == values.end()) {
        // The files may instead be named per input and label; a model
        // without labels needs no labels file.
        if (name == "label_column" || !files.empty() ||
            (name == "labels" && sb.labelCount == 0))
          continue;
        sb.diag.error(call->getLoc(), kind + " needs '" + name + "'");
        return std::nullopt;
      }
      auto v = sb.string(*it->second, kind.str() + " " + name.str());
      if (!v)
        return std::nullopt;
      bool isPath = name != "label_column";
      attrs.push_back(sb.attr(
          name, sb.b.getStringAttr(isPath ? resolvePath(*v, call->getLoc()) : *v)));
    }
  }
  return sb.b.getDictionaryAttr(attrs);
}

} // namespace

std::optional<DictionaryAttr>
genTrainSettings(MLIRContext &context, const TrainAST *train, DiagnosticEngine &diag,
                 std::optional<int64_t> batchOverride, int64_t &batch,
                 llvm::ArrayRef<std::string> dataNames, size_t labelCount) {
  SettingsBuilder sb(context, diag);
  sb.labelCount = labelCount;
  sb.inputCount = dataNames.size() - labelCount;
  SmallVector<NamedAttribute> attrs;
  bool ok = true;
  std::optional<double> lr;
  const ExprAST *optimizerValue = nullptr;
  int64_t epochs = 1, seed = 0;
  double validation = 0, l1 = 0, l2 = 0;
  constexpr double inf = std::numeric_limits<double>::infinity();
  if (train) {
    for (const TrainSettingAST &setting : train->getSettings()) {
      const ExprAST &value = *setting.value;
      llvm::StringRef name = setting.name;
      if (name == "optimizer") {
        optimizerValue = &value;
      } else if (name == "batch") {
        if (auto v = sb.integer(value, "batch", 1))
          batch = *v;
        else
          ok = false;
      } else if (name == "epochs") {
        if (auto v = sb.integer(value, "epochs", 1))
          epochs = *v;
        else
          ok = false;
      } else if (name == "seed") {
        if (auto v = sb.integer(value, "seed", 0))
          seed = *v;
        else
          ok = false;
      } else if (name == "lr") {
        if (auto v = sb.numberIn(value, "lr", 0, inf, true, true))
          lr = v;
        else
          ok = false;
      } else if (name == "validation") {
        if (auto v = sb.numberIn(value, "validation", 0, 1, false, true))
          validation = *v;
        else
          ok = false;
      } else if (name == "l1" || name == "l2") {
        if (auto v = sb.numberIn(value, name, 0, inf, false, true))
          (name == "l1" ? l1 : l2) = *v;
        else
          ok = false;
      } else if (name == "clip_grad_norm" || name == "clip_grad_value") {
        if (auto v = sb.numberIn(value, name, 0, inf, true, true))
          attrs.push_back(sb.attr(name, sb.b.getF64FloatAttr(*v)));
        else
          ok = false;
      } else if (name == "schedule") {
        if (auto v = schedule(sb, value))
          attrs.push_back(sb.attr(name, *v));
        else
          ok = false;
      } else if (name == "data" || name == "test") {
        if (auto v = dataSource(sb, value, name, dataNames))
          attrs.push_back(sb.attr(name, *v));
        else
          ok = false;
      } else if (name == "early_stopping") {
        auto *call = dyn_cast<CallExprAST>(&value);
        std::map<std::string, const ExprAST *> values;
        if (!call || !sb.bindCall(*call, {"metric", "patience"}, "early_stopping",
                                  values)) {
          if (!call)
            diag.error(value.getLoc(),
                       "early_stopping must be early_stopping(metric: \"val_loss\", "
                       "patience: 3)");
          ok = false;
          continue;
        }
        std::optional<std::string> metric = "val_loss";
        std::optional<int64_t> patience = 3;
        if (values.count("metric"))
          metric = sb.string(*values["metric"], "early_stopping metric");
        if (values.count("patience"))
          patience = sb.integer(*values["patience"], "early_stopping patience", 1);
        if (!metric || !patience) {
          ok = false;
          continue;
        }
        attrs.push_back(sb.attr(
            name, sb.b.getDictionaryAttr(
                      {sb.attr("metric", sb.b.getStringAttr(*metric)),
                       sb.attr("patience", sb.b.getI64IntegerAttr(*patience))})));
      } else if (name == "checkpoint") {
        // `checkpoint "dir"` is short for `checkpoint(dir: "dir")`.
        auto *call = dyn_cast<CallExprAST>(&value);
        std::map<std::string, const ExprAST *> values;
        if (isa<StringExprAST>(value))
          values["dir"] = &value;
        else if (call && !sb.bindCall(*call, {"dir", "every"}, "checkpoint", values)) {
          ok = false;
          continue;
        }
        if (!values.count("dir")) {
          diag.error(value.getLoc(), "checkpoint must be a directory (checkpoint "
                                     "\"ckpt\") or checkpoint(dir: \"ckpt\", every: 1000)");
          ok = false;
          continue;
        }
        auto dir = sb.string(*values["dir"], "checkpoint dir");
        if (!dir) {
          ok = false;
          continue;
        }
        // Without `every`, the program's default applies (ModelInfo's).
        SmallVector<NamedAttribute> checkpoint{sb.attr("dir", sb.b.getStringAttr(*dir))};
        if (values.count("every")) {
          std::optional<int64_t> every = sb.integer(*values["every"], "checkpoint every", 1);
          if (!every) {
            ok = false;
            continue;
          }
          checkpoint.push_back(sb.attr("every", sb.b.getI64IntegerAttr(*every)));
        }
        attrs.push_back(sb.attr(name, sb.b.getDictionaryAttr(checkpoint)));
      } else {
        diag.error(setting.loc,
                   "unknown training setting '" + name +
                       "'; expected optimizer, batch, epochs, lr, seed, data, test, "
                       "validation, early_stopping, checkpoint, schedule, l1, l2, "
                       "clip_grad_norm or clip_grad_value");
        ok = false;
      }
    }
  }
  if (batchOverride)
    batch = *batchOverride;

  Builder &b = sb.b;
  std::optional<DictionaryAttr> opt;
  if (optimizerValue) {
    opt = optimizer(sb, *optimizerValue, lr);
  } else {
    if (!lr)
      lr = 1e-3;
    opt = b.getDictionaryAttr({sb.attr("kind", b.getStringAttr("adam")),
                               sb.attr("beta1", b.getF64FloatAttr(0.9)),
                               sb.attr("beta2", b.getF64FloatAttr(0.999)),
                               sb.attr("eps", b.getF64FloatAttr(1e-8)),
                               sb.attr("weight_decay", b.getF64FloatAttr(0.0))});
  }
  if (!opt || !ok)
    return std::nullopt;
  attrs.append({sb.attr("optimizer", *opt), sb.attr("batch", b.getI64IntegerAttr(batch)),
                sb.attr("epochs", b.getI64IntegerAttr(epochs)),
                sb.attr("lr", b.getF64FloatAttr(*lr)),
                sb.attr("seed", b.getI64IntegerAttr(seed)),
                sb.attr("validation", b.getF64FloatAttr(validation)),
                sb.attr("l1", b.getF64FloatAttr(l1)), sb.attr("l2", b.getF64FloatAttr(l2))});
  if (!llvm::any_of(attrs, [](NamedAttribute a) { return a.getName() == "schedule"; }))
    attrs.push_back(
        sb.attr("schedule", b.getDictionaryAttr({sb.attr("kind", b.getStringAttr("constant"))})));
  return b.getDictionaryAttr(attrs);
}

} // namespace gradc::detail
