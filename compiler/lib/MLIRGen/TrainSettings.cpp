//===- TrainSettings.cpp - the train section as the nn.train attribute ----===//
//
// Every setting of LANGUAGE.md's table is checked here (names, argument
// names, ranges: the optimizer's and the schedule's against the dialect's
// tables) and stored, with every default filled in, in the #nn.train the
// train-step pass and the emitter read.
//
//===----------------------------------------------------------------------===//

#include "ModelBuilder.h"

#include "llvm/Support/ConvertUTF.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <cmath>
#include <set>

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

/// A setting of `specs` as the model gives it, checked against its spec;
/// `what` names it in diagnostics ("adam beta1").
std::optional<Attribute> settingValue(SettingsBuilder &sb, const nn::SettingSpec &spec,
                                      const ExprAST &value, const std::string &what) {
  switch (spec.type) {
  case nn::SettingSpec::Type::Flag:
    if (auto v = sb.flag(value, what))
      return sb.b.getBoolAttr(*v);
    return std::nullopt;
  case nn::SettingSpec::Type::Integer:
    if (auto v = sb.integer(value, what, static_cast<int64_t>(spec.low)))
      return sb.b.getI64IntegerAttr(*v);
    return std::nullopt;
  case nn::SettingSpec::Type::Real:
    if (auto v = sb.numberIn(value, what, spec.low, spec.high, spec.lowOpen, spec.highOpen))
      return sb.b.getF64FloatAttr(*v);
    return std::nullopt;
  }
  return std::nullopt;
}

/// Every setting of `specs`: the model's, checked, or the table's default.
/// A setting without a default that the model does not give is reported at
/// `at`, as `need` says.
std::optional<DictionaryAttr>
settingsOf(SettingsBuilder &sb, llvm::ArrayRef<nn::SettingSpec> specs,
           std::map<std::string, const ExprAST *> &values, const std::string &what,
           const Location &at) {
  SmallVector<NamedAttribute> attrs;
  bool ok = true;
  for (const nn::SettingSpec &spec : specs) {
    auto it = values.find(spec.name.str());
    if (it == values.end()) {
      if (!spec.fallback) {
        sb.diag.error(at, what + " needs '" + spec.name + "'");
        ok = false;
        continue;
      }
      Attribute fallback =
          spec.type == nn::SettingSpec::Type::Flag ? Attribute(sb.b.getBoolAttr(*spec.fallback))
          : spec.type == nn::SettingSpec::Type::Integer
              ? Attribute(sb.b.getI64IntegerAttr(static_cast<int64_t>(*spec.fallback)))
              : Attribute(sb.b.getF64FloatAttr(*spec.fallback));
      attrs.push_back(sb.attr(spec.name, fallback));
      continue;
    }
    if (auto v = settingValue(sb, spec, *it->second, what + " " + spec.name.str()))
      attrs.push_back(sb.attr(spec.name, *v));
    else
      ok = false;
  }
  if (!ok)
    return std::nullopt;
  return sb.b.getDictionaryAttr(attrs);
}

/// `kind` or `kind(settings...)`: the kind's name and the call, if any.
std::pair<llvm::StringRef, const CallExprAST *> kindOf(const ExprAST &value) {
  if (auto *call = dyn_cast<CallExprAST>(&value))
    return {call->getCallee(), call};
  if (auto *name = dyn_cast<NameExprAST>(&value))
    return {name->getName(), nullptr};
  return {"", nullptr};
}

std::optional<nn::OptimizerAttr> optimizer(SettingsBuilder &sb, const ExprAST &value,
                                           std::optional<double> &lr) {
  auto [kindName, call] = kindOf(value);
  std::optional<nn::OptimizerKind> kind = nn::symbolizeOptimizerKind(kindName);
  if (!kind) {
    sb.diag.error(value.getLoc(), "unknown optimizer '" + kindName +
                                      "'; expected sgd, adam, adamw or rmsprop");
    return std::nullopt;
  }
  llvm::ArrayRef<nn::SettingSpec> specs = nn::optimizerSettings(*kind);
  SmallVector<llvm::StringRef> names{"lr"};
  for (const nn::SettingSpec &spec : specs)
    names.push_back(spec.name);
  std::map<std::string, const ExprAST *> values;
  if (call && !sb.bindCall(*call, names, kindName, values))
    return std::nullopt;

  if (values.count("lr")) {
    constexpr double inf = std::numeric_limits<double>::infinity();
    auto given = sb.numberIn(*values["lr"], "the learning rate", 0, inf, true, true);
    if (!given)
      return std::nullopt;
    if (lr) {
      sb.diag.error(values["lr"]->getLoc(),
                    "the learning rate is set both here and by the 'lr' setting");
      return std::nullopt;
    }
    lr = given;
    values.erase("lr");
  }
  if (!lr) {
    lr = nn::defaultLearningRate(*kind);
    if (!lr) {
      sb.diag.error(value.getLoc(), kindName + " needs a learning rate: " + kindName +
                                        "(lr: 0.1)");
      return std::nullopt;
    }
  }
  std::optional<DictionaryAttr> settings =
      settingsOf(sb, specs, values, kindName.str(), value.getLoc());
  if (!settings)
    return std::nullopt;
  auto nesterov = settings->getAs<BoolAttr>("nesterov");
  auto momentum = settings->getAs<FloatAttr>("momentum");
  if (nesterov && nesterov.getValue() && momentum && momentum.getValueAsDouble() <= 0) {
    sb.diag.error(values["nesterov"]->getLoc(), "nesterov momentum needs momentum > 0");
    return std::nullopt;
  }
  return nn::OptimizerAttr::get(sb.b.getContext(), *kind, *settings);
}

std::optional<nn::ScheduleAttr> schedule(SettingsBuilder &sb, const ExprAST &value) {
  auto [kindName, call] = kindOf(value);
  std::optional<nn::ScheduleKind> kind = nn::symbolizeScheduleKind(kindName);
  if (!kind) {
    sb.diag.error(value.getLoc(), "unknown schedule '" + kindName +
                                      "'; expected constant, step, exponential, cosine, "
                                      "linear or one_cycle");
    return std::nullopt;
  }
  llvm::ArrayRef<nn::SettingSpec> specs = nn::scheduleSettings(*kind);
  SmallVector<llvm::StringRef> names;
  for (const nn::SettingSpec &spec : specs)
    names.push_back(spec.name);
  const std::string what = "schedule " + kindName.str();
  std::map<std::string, const ExprAST *> values;
  if (call && !sb.bindCall(*call, names, what, values))
    return std::nullopt;
  std::optional<DictionaryAttr> settings = settingsOf(sb, specs, values, what, value.getLoc());
  if (!settings)
    return std::nullopt;
  auto warmup = settings->getAs<IntegerAttr>("warmup");
  auto steps = settings->getAs<IntegerAttr>("steps");
  if (warmup && steps && warmup.getInt() >= steps.getInt()) {
    sb.diag.error(value.getLoc(), kindName + " warmup must be shorter than its steps");
    return std::nullopt;
  }
  return nn::ScheduleAttr::get(sb.b.getContext(), *kind, *settings);
}

// Why `vocab` cannot be a text source's vocabulary (not UTF-8, a character
// given twice), or "" when it can.
std::string vocabProblem(llvm::StringRef vocab) {
  std::set<llvm::UTF32> seen;
  for (size_t at = 0; at < vocab.size();) {
    const auto *first = reinterpret_cast<const llvm::UTF8 *>(vocab.data() + at);
    unsigned length = llvm::getNumBytesForUTF8(*first);
    llvm::UTF32 point = 0;
    llvm::UTF32 *to = &point;
    const llvm::UTF8 *from = first;
    if (at + length > vocab.size() ||
        llvm::ConvertUTF8toUTF32(&from, first + length, &to, to + 1, llvm::strictConversion) !=
            llvm::conversionOK)
      return "is not UTF-8 at byte " + std::to_string(at);
    if (!seen.insert(point).second)
      return "holds '" + vocab.substr(at, length).str() + "' twice (at byte " +
             std::to_string(at) + ")";
    at += length;
  }
  return "";
}

// text(path:, vocab:) and tokens(path:): one file of a sequence.
std::optional<nn::DataSourceAttr> sequenceSource(SettingsBuilder &sb, const CallExprAST &call,
                                                 nn::DataSourceKind kind) {
  llvm::StringRef name = call.getCallee();
  SmallVector<llvm::StringRef> names{"path"};
  if (kind == nn::DataSourceKind::text)
    names.push_back("vocab");
  std::map<std::string, const ExprAST *> values;
  if (!sb.bindCall(call, names, name, values))
    return std::nullopt;
  if (!values.count("path")) {
    sb.diag.error(call.getLoc(), name + " needs 'path'");
    return std::nullopt;
  }
  std::optional<std::string> path = sb.string(*values["path"], name.str() + " path");
  if (!path)
    return std::nullopt;
  StringAttr vocab;
  if (values.count("vocab")) {
    std::optional<std::string> text = sb.string(*values["vocab"], "text vocab");
    if (!text)
      return std::nullopt;
    std::string problem = text->empty() ? "is empty" : vocabProblem(*text);
    if (!problem.empty()) {
      sb.diag.error(values["vocab"]->getLoc(), "text vocab " + problem +
                                                   "; give each character once, in id order");
      return std::nullopt;
    }
    vocab = sb.b.getStringAttr(*text);
  }
  return nn::DataSourceAttr::get(sb.b.getContext(), kind,
                                 sb.b.getStringAttr(resolvePath(*path, call.getLoc())),
                                 StringAttr(), StringAttr(), nn::train_defaults::kScale,
                                 nn::train_defaults::kHeader, StringAttr(), DictionaryAttr(),
                                 vocab);
}

std::optional<nn::DataSourceAttr> dataSource(SettingsBuilder &sb, const ExprAST &value,
                                         llvm::StringRef setting,
                                         llvm::ArrayRef<std::string> dataNames) {
  auto *call = dyn_cast<CallExprAST>(&value);
  llvm::StringRef kind = call ? call->getCallee() : "";
  std::optional<nn::DataSourceKind> sourceKind = nn::symbolizeDataSourceKind(kind);
  if (!call || !sourceKind) {
    sb.diag.error(value.getLoc(), setting + " must be idx(...), csv(...), npy(...), "
                                            "text(...) or tokens(...)");
    return std::nullopt;
  }
  if (*sourceKind == nn::DataSourceKind::text || *sourceKind == nn::DataSourceKind::tokens)
    return sequenceSource(sb, *call, *sourceKind);
  // The language's names of the input file: idx(images:), csv(path:), npy(inputs:).
  llvm::StringRef inputsName = *sourceKind == nn::DataSourceKind::idx   ? "images"
                               : *sourceKind == nn::DataSourceKind::csv ? "path"
                                                                        : "inputs";
  SmallVector<llvm::StringRef> names{inputsName};
  if (*sourceKind == nn::DataSourceKind::csv)
    names.append({"label_column", "header"});
  else
    names.push_back("labels");
  names.append({"scale", "layout"});
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
  StringAttr inputs, labels, labelColumn, layout;
  double scale = nn::train_defaults::kScale;
  bool header = nn::train_defaults::kHeader;
  for (llvm::StringRef name : names) {
    auto it = values.find(name.str());
    if (name == "scale") {
      if (it == values.end())
        continue;
      auto v = sb.numberIn(*it->second, kind.str() + " scale", 0,
                           std::numeric_limits<double>::infinity(), true, true);
      if (!v)
        return std::nullopt;
      scale = *v;
    } else if (name == "header") {
      if (it == values.end())
        continue;
      auto v = sb.flag(*it->second, "csv header");
      if (!v)
        return std::nullopt;
      header = *v;
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
      layout = sb.b.getStringAttr(*v);
    } else if (name == "label_column") {
      if (it == values.end())
        continue;
      if (isa<NumberExprAST>(it->second)) {
        auto v = sb.integer(*it->second, "csv label_column", 0);
        if (!v)
          return std::nullopt;
        labelColumn = sb.b.getStringAttr(std::to_string(*v));
      } else {
        auto v = sb.string(*it->second, "csv label_column");
        if (!v)
          return std::nullopt;
        labelColumn = sb.b.getStringAttr(*v);
      }
    } else {
      if (it == values.end()) {
        // The files may instead be named per input and label; a model
        // without labels needs no labels file.
        if (!files.empty() || (name == "labels" && sb.labelCount == 0))
          continue;
        sb.diag.error(call->getLoc(), kind + " needs '" + name + "'");
        return std::nullopt;
      }
      auto v = sb.string(*it->second, kind.str() + " " + name.str());
      if (!v)
        return std::nullopt;
      (name == "labels" ? labels : inputs) =
          sb.b.getStringAttr(resolvePath(*v, call->getLoc()));
    }
  }
  return nn::DataSourceAttr::get(sb.b.getContext(), *sourceKind, inputs, labels, labelColumn,
                                 scale, header, layout,
                                 files.empty() ? DictionaryAttr() : sb.b.getDictionaryAttr(files),
                                 StringAttr());
}

} // namespace

std::optional<nn::TrainAttr>
genTrainSettings(MLIRContext &context, const TrainAST *train, DiagnosticEngine &diag,
                 std::optional<int64_t> batchOverride, int64_t &batch,
                 llvm::ArrayRef<std::string> dataNames, size_t labelCount) {
  SettingsBuilder sb(context, diag);
  sb.labelCount = labelCount;
  sb.inputCount = dataNames.size() - labelCount;
  bool ok = true;
  std::optional<double> lr;
  const ExprAST *optimizerValue = nullptr;
  int64_t epochs = nn::train_defaults::kEpochs, seed = nn::train_defaults::kSeed;
  double validation = nn::train_defaults::kValidation, l1 = nn::train_defaults::kL1,
         l2 = nn::train_defaults::kL2;
  std::optional<double> clipNorm, clipValue;
  std::optional<nn::ScheduleAttr> scheduleAttr;
  nn::DataSourceAttr data, test;
  nn::EarlyStoppingAttr earlyStopping;
  nn::CheckpointAttr checkpointAttr;
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
          (name == "clip_grad_norm" ? clipNorm : clipValue) = *v;
        else
          ok = false;
      } else if (name == "schedule") {
        if (auto v = schedule(sb, value))
          scheduleAttr = *v;
        else
          ok = false;
      } else if (name == "data" || name == "test") {
        if (auto v = dataSource(sb, value, name, dataNames))
          (name == "data" ? data : test) = *v;
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
        std::optional<std::string> metric = nn::train_defaults::kEarlyStoppingMetric.str();
        std::optional<int64_t> patience = nn::train_defaults::kEarlyStoppingPatience;
        if (values.count("metric"))
          metric = sb.string(*values["metric"], "early_stopping metric");
        if (values.count("patience"))
          patience = sb.integer(*values["patience"], "early_stopping patience", 1);
        if (!metric || !patience) {
          ok = false;
          continue;
        }
        earlyStopping =
            nn::EarlyStoppingAttr::get(&context, sb.b.getStringAttr(*metric), *patience);
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
        std::optional<int64_t> every;
        if (values.count("every")) {
          every = sb.integer(*values["every"], "checkpoint every", 1);
          if (!every) {
            ok = false;
            continue;
          }
        }
        checkpointAttr = nn::CheckpointAttr::get(&context, sb.b.getStringAttr(*dir), every);
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

  std::optional<nn::OptimizerAttr> opt;
  if (optimizerValue) {
    opt = optimizer(sb, *optimizerValue, lr);
  } else {
    // adam, with torch.optim's defaults.
    std::map<std::string, const ExprAST *> none;
    std::optional<DictionaryAttr> settings = settingsOf(
        sb, nn::optimizerSettings(nn::OptimizerKind::adam), none, "adam", Location());
    if (!lr)
      lr = nn::defaultLearningRate(nn::OptimizerKind::adam);
    if (settings)
      opt = nn::OptimizerAttr::get(&context, nn::OptimizerKind::adam, *settings);
  }
  if (!opt || !ok)
    return std::nullopt;
  if (!scheduleAttr)
    scheduleAttr = nn::ScheduleAttr::get(&context, nn::ScheduleKind::constant,
                                         sb.b.getDictionaryAttr({}));
  return nn::TrainAttr::get(&context, *opt, batch, epochs, *lr, seed, validation, l1, l2,
                            clipNorm, clipValue, *scheduleAttr, data, test, earlyStopping,
                            checkpointAttr, /*ranks=*/1);
}

bool checkSequenceData(const FileAST &file, nn::TrainAttr train, DiagnosticEngine &diag) {
  bool ok = true;
  for (auto [setting, data] :
       {std::pair<llvm::StringRef, nn::DataSourceAttr>{"data", train.getData()},
        {"test", train.getTest()}}) {
    if (!data ||
        (data.getKind() != nn::DataSourceKind::text && data.getKind() != nn::DataSourceKind::tokens))
      continue;
    const TrainSettingAST *where = file.getTrain()->findSetting(setting);
    const Location &at = where ? where->loc : file.getModel().getLoc();
    std::string kind = nn::stringifyDataSourceKind(data.getKind()).str();
    std::vector<std::pair<std::string, const TensorTypeAST *>> inputs, labels;
    for (const StmtPtr &stmt : file.getModel().getBody()) {
      if (auto *input = dyn_cast<InputStmtAST>(stmt.get()))
        inputs.emplace_back(input->getName().str(), &input->getType());
      if (auto *label = dyn_cast<LabelStmtAST>(stmt.get()))
        labels.emplace_back(label->getName().str(), &label->getType());
    }
    const std::string shape = "(input ids: i32[B, T], label next: i32[B, T])";
    if (inputs.size() != 1 || labels.size() != 1) {
      diag.error(at, kind + " data feeds a language model of one input of token ids and one "
                            "label of the next tokens " + shape + "; this model has " +
                            std::to_string(inputs.size()) + " inputs and " +
                            std::to_string(labels.size()) + " labels");
      ok = false;
      continue;
    }
    auto windowOf = [](const TensorTypeAST &type) -> std::optional<int64_t> {
      if (type.elementType != ElementType::I32 || type.dims.size() != 2 ||
          !type.dims[0].isBatch || type.dims[1].isBatch)
        return std::nullopt;
      return type.dims[1].size;
    };
    std::optional<int64_t> inputWindow = windowOf(*inputs[0].second);
    std::optional<int64_t> labelWindow = windowOf(*labels[0].second);
    if (!inputWindow || !labelWindow || *inputWindow != *labelWindow) {
      diag.error(at, kind + " data feeds windows of T token ids to the input and the next T "
                            "to the label, both i32[B, T] " + shape + ", but '" +
                            inputs[0].first + "' and '" + labels[0].first + "' are not");
      ok = false;
    }
  }
  return ok;
}

} // namespace gradc::detail
