//===- NNAttrs.cpp - the train section as typed attributes -----------------===//
//
// The optimizer and schedule tables (each setting's default and range,
// stated once), the verifiers of #nn.train and its parts, and the settings'
// text that checkpoints and the fingerprint compare.
//
//===----------------------------------------------------------------------===//

#include "gradc/Dialect/NN/IR/NNAttrs.h"
#include "gradc/Dialect/NN/IR/NNDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/Format.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace gradc::nn;

#define GET_ATTRDEF_CLASSES
#include "gradc/Dialect/NN/IR/NNAttrs.cpp.inc"

void NNDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "gradc/Dialect/NN/IR/NNAttrs.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// Tables
//===----------------------------------------------------------------------===//

namespace {
constexpr double kInf = std::numeric_limits<double>::infinity();
using T = SettingSpec::Type;

// torch.optim's defaults and the ranges it accepts.
constexpr SettingSpec kSgd[] = {
    {"momentum", T::Real, 0.0, 0, 1, false, true},
    {"weight_decay", T::Real, 0.0, 0, kInf, false, true},
    {"nesterov", T::Flag, 0.0, 0, 1, false, false},
};
constexpr SettingSpec kAdam[] = {
    {"beta1", T::Real, 0.9, 0, 1, false, true},
    {"beta2", T::Real, 0.999, 0, 1, false, true},
    {"eps", T::Real, 1e-8, 0, kInf, true, true},
    {"weight_decay", T::Real, 0.0, 0, kInf, false, true},
};
constexpr SettingSpec kAdamW[] = {
    {"beta1", T::Real, 0.9, 0, 1, false, true},
    {"beta2", T::Real, 0.999, 0, 1, false, true},
    {"eps", T::Real, 1e-8, 0, kInf, true, true},
    {"weight_decay", T::Real, 0.01, 0, kInf, false, true},
};
constexpr SettingSpec kRmsprop[] = {
    {"alpha", T::Real, 0.99, 0, 1, false, false},
    {"eps", T::Real, 1e-8, 0, kInf, true, true},
    {"momentum", T::Real, 0.0, 0, 1, false, true},
    {"weight_decay", T::Real, 0.0, 0, kInf, false, true},
};

constexpr SettingSpec kStep[] = {
    {"every", T::Integer, std::nullopt, 1, kInf, false, true},
    {"gamma", T::Real, std::nullopt, 0, 1, true, false},
};
constexpr SettingSpec kExponential[] = {
    {"gamma", T::Real, std::nullopt, 0, 1, true, false},
};
constexpr SettingSpec kWarmupAnnealing[] = {
    {"steps", T::Integer, std::nullopt, 1, kInf, false, true},
    {"warmup", T::Integer, 0.0, 0, kInf, false, true},
    {"min_lr", T::Real, 0.0, 0, kInf, false, true},
};
// PyTorch's OneCycleLR.
constexpr SettingSpec kOneCycle[] = {
    {"steps", T::Integer, std::nullopt, 2, kInf, false, true},
    {"pct_start", T::Real, 0.3, 0, 1, true, false},
    {"div_factor", T::Real, 25.0, 0, kInf, true, true},
    {"final_div_factor", T::Real, 1e4, 0, kInf, true, true},
};

std::string number(double value) {
  if (std::isinf(value))
    return value > 0 ? "inf" : "-inf";
  std::string text;
  llvm::raw_string_ostream(text) << llvm::format("%g", value);
  return text;
}
} // namespace

bool SettingSpec::contains(double value) const {
  if (!std::isfinite(value))
    return false;
  if (type == Type::Integer)
    return value >= low && value == std::floor(value);
  return (lowOpen ? value > low : value >= low) && (highOpen ? value < high : value <= high);
}

std::string SettingSpec::range() const {
  if (type == Type::Integer)
    return "at least " + number(low);
  return std::string(lowOpen ? "(" : "[") + number(low) + ", " + number(high) +
         (highOpen ? ")" : "]");
}

llvm::ArrayRef<SettingSpec> gradc::nn::optimizerSettings(OptimizerKind kind) {
  switch (kind) {
  case OptimizerKind::sgd:
    return kSgd;
  case OptimizerKind::adam:
    return kAdam;
  case OptimizerKind::adamw:
    return kAdamW;
  case OptimizerKind::rmsprop:
    return kRmsprop;
  }
  llvm_unreachable("unknown optimizer kind");
}

std::optional<double> gradc::nn::defaultLearningRate(OptimizerKind kind) {
  switch (kind) {
  case OptimizerKind::sgd:
    return std::nullopt;
  case OptimizerKind::adam:
  case OptimizerKind::adamw:
    return 1e-3;
  case OptimizerKind::rmsprop:
    return 1e-2;
  }
  llvm_unreachable("unknown optimizer kind");
}

llvm::ArrayRef<SettingSpec> gradc::nn::scheduleSettings(ScheduleKind kind) {
  switch (kind) {
  case ScheduleKind::constant:
    return {};
  case ScheduleKind::step:
    return kStep;
  case ScheduleKind::exponential:
    return kExponential;
  case ScheduleKind::cosine:
  case ScheduleKind::linear:
    return kWarmupAnnealing;
  case ScheduleKind::one_cycle:
    return kOneCycle;
  }
  llvm_unreachable("unknown schedule kind");
}

const SettingSpec *gradc::nn::findSetting(llvm::ArrayRef<SettingSpec> specs,
                                          llvm::StringRef name) {
  for (const SettingSpec &spec : specs)
    if (spec.name == name)
      return &spec;
  return nullptr;
}

//===----------------------------------------------------------------------===//
// Settings dictionaries
//===----------------------------------------------------------------------===//

/// A setting's value in `settings` (a boolean as 0 or 1), or its default.
static double settingValue(DictionaryAttr settings, llvm::ArrayRef<SettingSpec> specs,
                           llvm::StringRef name) {
  Attribute value = settings.get(name);
  if (auto f = dyn_cast_or_null<FloatAttr>(value))
    return f.getValueAsDouble();
  if (auto b = dyn_cast_or_null<BoolAttr>(value))
    return b.getValue() ? 1.0 : 0.0;
  if (auto i = dyn_cast_or_null<IntegerAttr>(value))
    return static_cast<double>(i.getInt());
  const SettingSpec *spec = findSetting(specs, name);
  assert(spec && spec->fallback && "a setting without a value or a default");
  return *spec->fallback;
}

/// Checks `settings` against `specs`: known names, each of its type and in
/// range, every setting without a default present.
static LogicalResult verifySettings(function_ref<InFlightDiagnostic()> emitError,
                                    llvm::StringRef what, DictionaryAttr settings,
                                    llvm::ArrayRef<SettingSpec> specs) {
  for (NamedAttribute entry : settings) {
    const SettingSpec *spec = findSetting(specs, entry.getName().strref());
    if (!spec) {
      std::string names;
      for (const SettingSpec &s : specs)
        names += (names.empty() ? "" : ", ") + s.name.str();
      return emitError() << what << " has no setting '" << entry.getName().strref() << "'"
                         << (names.empty() ? "" : "; expected one of ") << names;
    }
    double value;
    if (auto f = dyn_cast<FloatAttr>(entry.getValue()); f && spec->type == T::Real)
      value = f.getValueAsDouble();
    else if (auto i = dyn_cast<IntegerAttr>(entry.getValue());
             i && spec->type == T::Integer && i.getType().isInteger(64))
      value = static_cast<double>(i.getInt());
    else if (auto b = dyn_cast<BoolAttr>(entry.getValue()); b && spec->type == T::Flag)
      value = b.getValue();
    else
      return emitError() << what << " " << spec->name << " expected "
                         << (spec->type == T::Real      ? "an f64 value"
                             : spec->type == T::Integer ? "an i64 value"
                                                        : "true or false")
                         << ", found " << entry.getValue();
    if (spec->type != T::Flag && !spec->contains(value))
      return emitError() << what << " " << spec->name << " must be " << spec->range()
                         << ", found " << entry.getValue();
  }
  for (const SettingSpec &spec : specs)
    if (!spec.fallback && !settings.get(spec.name))
      return emitError() << what << " needs '" << spec.name << "'";
  return success();
}

double OptimizerAttr::getSetting(llvm::StringRef name) const {
  return settingValue(getSettings(), optimizerSettings(getKind()), name);
}

LogicalResult OptimizerAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                    OptimizerKind kind, DictionaryAttr settings) {
  std::string what = stringifyOptimizerKind(kind).str();
  if (failed(verifySettings(emitError, what, settings, optimizerSettings(kind))))
    return failure();
  auto nesterov = settings.getAs<BoolAttr>("nesterov");
  if (nesterov && nesterov.getValue() &&
      settingValue(settings, optimizerSettings(kind), "momentum") <= 0)
    return emitError() << "nesterov momentum needs momentum > 0";
  return success();
}

double ScheduleAttr::getSetting(llvm::StringRef name) const {
  return settingValue(getSettings(), scheduleSettings(getKind()), name);
}

LogicalResult ScheduleAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                   ScheduleKind kind, DictionaryAttr settings) {
  std::string what = "schedule " + stringifyScheduleKind(kind).str();
  llvm::ArrayRef<SettingSpec> specs = scheduleSettings(kind);
  if (failed(verifySettings(emitError, what, settings, specs)))
    return failure();
  if ((kind == ScheduleKind::cosine || kind == ScheduleKind::linear) &&
      settingValue(settings, specs, "warmup") >= settingValue(settings, specs, "steps"))
    return emitError() << stringifyScheduleKind(kind)
                       << " warmup must be shorter than its steps";
  return success();
}

//===----------------------------------------------------------------------===//
// Data sources, early stopping, checkpoints
//===----------------------------------------------------------------------===//

LogicalResult DataSourceAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                     DataSourceKind kind, StringAttr inputs, StringAttr labels,
                                     StringAttr labelColumn, F64 scale, bool header,
                                     StringAttr layout, DictionaryAttr files,
                                     StringAttr vocab) {
  llvm::StringRef name = stringifyDataSourceKind(kind);
  const bool sequence = kind == DataSourceKind::text || kind == DataSourceKind::tokens;
  if (!inputs && !files)
    return emitError() << name << " data needs 'inputs' or 'files'";
  if (!(scale > 0) || !std::isfinite(scale))
    return emitError() << name << " scale must be in (0, inf), found " << double(scale);
  if (kind != DataSourceKind::csv && (labelColumn || !header))
    return emitError() << "only csv data has a label_column or a header setting";
  if (sequence && (labels || layout || files || scale != train_defaults::kScale))
    return emitError() << name << " data is one file of a sequence: it has no labels, "
                       << "layout, files or scale setting";
  if (vocab && kind != DataSourceKind::text)
    return emitError() << "only text data has a vocab";
  if (vocab && vocab.getValue().empty())
    return emitError() << "text vocab must hold at least one character";
  if (layout && layout.getValue() != "nhwc" && layout.getValue() != "flat")
    return emitError() << name << " layout must be \"nhwc\" or \"flat\", found " << layout;
  if (files)
    for (NamedAttribute file : files)
      if (!llvm::isa<StringAttr>(file.getValue()))
        return emitError() << name << " files expected a path for '"
                           << file.getName().strref() << "', found " << file.getValue();
  return success();
}

LogicalResult EarlyStoppingAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                        StringAttr metric, int64_t patience) {
  if (metric.getValue().empty())
    return emitError() << "early_stopping needs a metric";
  if (patience < 1)
    return emitError() << "early_stopping patience must be at least 1, found " << patience;
  return success();
}

LogicalResult CheckpointAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                     StringAttr dir, std::optional<int64_t> every) {
  if (dir.getValue().empty())
    return emitError() << "checkpoint needs a directory";
  if (every && *every < 1)
    return emitError() << "checkpoint every must be at least 1, found " << *every;
  return success();
}

//===----------------------------------------------------------------------===//
// #nn.train
//===----------------------------------------------------------------------===//

LogicalResult TrainAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                OptimizerAttr optimizer, int64_t batch, int64_t epochs,
                                F64 lr, int64_t seed, F64 validation, F64 l1, F64 l2,
                                std::optional<F64> clipGradNorm,
                                std::optional<F64> clipGradValue, ScheduleAttr schedule,
                                DataSourceAttr data, DataSourceAttr test,
                                EarlyStoppingAttr earlyStopping, CheckpointAttr checkpoint,
                                int64_t ranks) {
  if (!optimizer || !schedule)
    return emitError() << "nn.train needs an optimizer and a schedule";
  if (batch < 1 || epochs < 1 || seed < 0 || ranks < 1)
    return emitError() << "nn.train batch, epochs and ranks must be at least 1 and seed "
                          "at least 0";
  if (batch % ranks != 0)
    return emitError() << "nn.train batch " << batch << " does not split into " << ranks
                       << " ranks";
  // lr = 0 is what withoutRunSettings() leaves.
  if (!(lr >= 0) || !std::isfinite(lr))
    return emitError() << "nn.train lr must be in [0, inf), found " << double(lr);
  if (!(validation >= 0 && validation < 1))
    return emitError() << "nn.train validation must be in [0, 1), found "
                       << double(validation);
  for (double value : {double(l1), double(l2)})
    if (!(value >= 0) || !std::isfinite(value))
      return emitError() << "nn.train l1 and l2 must be in [0, inf), found " << value;
  for (std::optional<F64> clip : {clipGradNorm, clipGradValue})
    if (clip && (!(*clip > 0) || !std::isfinite(*clip)))
      return emitError() << "nn.train gradient clipping must be in (0, inf), found "
                         << double(*clip);
  return success();
}

TrainAttr TrainAttr::withoutRunSettings() const {
  return TrainAttr::get(getContext(), getOptimizer(), getBatch(), train_defaults::kEpochs,
                        /*lr=*/0.0, train_defaults::kSeed, train_defaults::kValidation,
                        getL1(), getL2(), getClipGradNorm(), getClipGradValue(), getSchedule(),
                        DataSourceAttr(), DataSourceAttr(), EarlyStoppingAttr(),
                        CheckpointAttr(), getRanks());
}

std::string TrainAttr::computeSettingsText() const {
  std::string text;
  llvm::raw_string_ostream os(text);
  auto real = [&](llvm::StringRef key, double value) {
    os << key << "=" << llvm::format("%.17g", value) << "\n";
  };
  auto settings = [&](llvm::StringRef prefix, llvm::StringRef kind,
                      llvm::ArrayRef<SettingSpec> specs, auto &&value) {
    os << prefix << ".kind=" << kind << "\n";
    for (const SettingSpec &spec : specs) {
      std::string key = (prefix + "." + spec.name).str();
      if (spec.type == T::Flag)
        os << key << "=" << (value(spec.name) != 0 ? "true" : "false") << "\n";
      else if (spec.type == T::Integer)
        os << key << "=" << static_cast<int64_t>(value(spec.name)) << "\n";
      else
        real(key, value(spec.name));
    }
  };
  os << "batch=" << getBatch() << "\n";
  if (getClipGradNorm())
    real("clip_grad_norm", *getClipGradNorm());
  if (getClipGradValue())
    real("clip_grad_value", *getClipGradValue());
  real("l1", getL1());
  real("l2", getL2());
  OptimizerAttr optimizer = getOptimizer();
  settings("optimizer", stringifyOptimizerKind(optimizer.getKind()),
           optimizerSettings(optimizer.getKind()),
           [&](llvm::StringRef name) { return optimizer.getSetting(name); });
  if (getRanks() != 1)
    os << "ranks=" << getRanks() << "\n";
  ScheduleAttr schedule = getSchedule();
  settings("schedule", stringifyScheduleKind(schedule.getKind()),
           scheduleSettings(schedule.getKind()),
           [&](llvm::StringRef name) { return schedule.getSetting(name); });
  return text;
}

//===----------------------------------------------------------------------===//
// Sanitizer builds
//===----------------------------------------------------------------------===//

// The attributes above are the first of gradc's code to allocate storage in
// the context (llvm::BumpPtrAllocator, whose slow path is a template this
// file instantiates). Under AddressSanitizer that instantiation poisons each
// new slab and unpoisons what it hands out, while the uninstrumented copy
// inlined into Debian's MLIR libraries hands out memory without unpoisoning
// it; the linker keeps one slow path for both, so MLIR's own allocations
// would read as use-after-poison. The sanitizer build leaves user poisoning
// off: every other check of ASan and UBSan stays on.
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
extern "C" const char *__asan_default_options() { return "allow_user_poisoning=0"; }
#endif
#endif
