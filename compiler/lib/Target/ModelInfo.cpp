//===- ModelInfo.cpp - what the trainer reads about a model ---------------===//
//
// ModelInfo (inputs, labels, metrics, the train section's defaults and
// settings), the model's fingerprint, and the named sizes of the typed API.
//
//===----------------------------------------------------------------------===//

#include "ModelEmitter.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/Format.h"

using namespace mlir;
using namespace gradc;
using namespace gradc::emit;

namespace {

/// The `nn.train` settings that are only defaults of the program's flags or
/// describe its data, not the computation: a checkpoint resumes across them.
bool isRunSetting(StringRef key) {
  return llvm::is_contained({"epochs", "lr", "seed", "validation", "data", "test",
                             "early_stopping", "checkpoint"},
                            key);
}

/// `train` without its run settings.
DictionaryAttr computeSettings(DictionaryAttr train) {
  SmallVector<NamedAttribute> kept;
  for (NamedAttribute entry : train)
    if (!isRunSetting(entry.getName().getValue()))
      kept.push_back(entry);
  return DictionaryAttr::get(train.getContext(), kept);
}

/// `dict` as "key=value" lines, nested dictionaries flattened to
/// "outer.inner=value".
void flattenSettings(DictionaryAttr dict, const std::string &prefix, std::string &out) {
  for (NamedAttribute entry : dict) {
    std::string key = prefix + entry.getName().getValue().str();
    if (auto nested = dyn_cast<DictionaryAttr>(entry.getValue())) {
      flattenSettings(nested, key + ".", out);
      continue;
    }
    std::string value;
    llvm::raw_string_ostream os(value);
    if (auto f = dyn_cast<FloatAttr>(entry.getValue()))
      os << llvm::format("%.17g", f.getValueAsDouble());
    else if (auto i = dyn_cast<IntegerAttr>(entry.getValue()))
      os << i.getValue().getSExtValue();
    else if (auto b = dyn_cast<BoolAttr>(entry.getValue()))
      os << (b.getValue() ? "true" : "false");
    else if (auto text = dyn_cast<StringAttr>(entry.getValue()))
      os << text.getValue();
    else
      entry.getValue().print(os);
    out += key + "=" + value + "\n";
  }
}

} // namespace

void ModelEmitter::emitInfo(llvm::raw_ostream &os) {
  auto train = module->getAttrOfType<DictionaryAttr>("nn.train");
  auto str = [&](DictionaryAttr dict, StringRef key) -> std::string {
    auto attr = dict ? dict.getAs<StringAttr>(key) : StringAttr();
    return attr ? attr.getValue().str() : "";
  };
  auto num = [&](DictionaryAttr dict, StringRef key, double fallback) {
    if (!dict)
      return fallback;
    if (auto f = dict.getAs<FloatAttr>(key))
      return f.getValueAsDouble();
    if (auto i = dict.getAs<IntegerAttr>(key))
      return static_cast<double>(i.getInt());
    return fallback;
  };
  auto sub = [&](StringRef key) {
    return train ? train.getAs<DictionaryAttr>(key) : DictionaryAttr();
  };
  os << "  info_.name = " << quoted(className) << ";\n";
  os << "  info_.fingerprint = " << quoted(fingerprint()) << ";\n";
  if (train) {
    std::string settings;
    flattenSettings(computeSettings(train), "", settings);
    os << "  info_.trainSettings = " << quoted(settings) << ";\n";
  }
  os << "  info_.batch = kBatch;\n";
  if (!grads.empty() && !stepGradients)
    os << "  info_.stepGradients = false;\n";
  if (auto ranks = train ? train.getAs<IntegerAttr>("ranks") : IntegerAttr())
    os << "  info_.ranks = " << ranks.getInt() << ";\n";
  for (unsigned i = 0; i < evalStep.getNumArguments(); ++i) {
    std::optional<Role> role = nn::argumentRole(evalStep, i);
    auto type = cast<MemRefType>(evalStep.getArgumentTypes()[i]);
    if (role == Role::Input || role == Role::Label) {
      auto classes =
          evalStep.getArgAttrOfType<IntegerAttr>(i, nn::NNDialect::kClassesAttrName);
      os << "  info_." << (role == Role::Input ? "inputs" : "labels") << ".push_back({"
         << quoted(argString(evalStep, i, nn::NNDialect::kNameAttrName)) << ", "
         << dtypeOf(type.getElementType()) << ", " << shapeList(sampleShape(type)) << ", "
         << (classes ? classes.getInt() : 0) << "});\n";
      if (auto range =
              evalStep.getArgAttrOfType<DictionaryAttr>(i, nn::NNDialect::kRangeAttrName)) {
        auto flag = [&](StringRef key) {
          return range.getAs<BoolAttr>(key).getValue() ? "true" : "false";
        };
        os << "  info_." << (role == Role::Input ? "inputs" : "labels") << ".back().range = {"
           << llvm::format("%.17g", range.getAs<FloatAttr>("low").getValueAsDouble()) << ", "
           << llvm::format("%.17g", range.getAs<FloatAttr>("high").getValueAsDouble()) << ", "
           << flag("high_open") << ", " << flag("integral") << ", "
           << quoted(range.getAs<StringAttr>("use").getValue()) << "};\n";
      }
    } else if (std::optional<Role> out = kern::outputRole(evalStep, i)) {
      if (out == Role::Output) {
        os << "  info_.outputShape = " << shapeList(sampleShape(type)) << ";\n";
        os << "  info_.outputDType = " << dtypeOf(type.getElementType()) << ";\n";
      } else if (out == Role::Metric) {
        std::string name = argString(evalStep, i, nn::NNDialect::kNameAttrName).str();
        std::string kind = name == "mae"         ? "Mae"
                           : name == "rmse"      ? "Rmse"
                           : name == "precision" ? "Precision"
                           : name == "recall"    ? "Recall"
                           : name == "f1"        ? "F1"
                                                 : "Accuracy";
        // [classes, classes] counts, or [K, 2, 2] for a multi-label classifier.
        int64_t classes = type.getRank() == 2   ? type.getDimSize(0)
                          : type.getRank() == 3 ? type.getDimSize(1)
                                                : 0;
        int64_t labels = type.getRank() == 3 ? type.getDimSize(0) : 0;
        int64_t terms = 1;
        if (type.getRank() == 0) {
          // The error terms one batch sums: the reduction's input per sample.
          evalStep.walk([&](kern::KernelOp kernel) {
            if (kernel.getOuts().front() == evalStep.getArgument(i) &&
                !kernel.getIns().empty()) {
              auto in = cast<MemRefType>(kernel.getIns().front().getType());
              terms = in.getNumElements() / std::max<int64_t>(in.getDimSize(0), 1);
            }
          });
        }
        os << "  info_.metrics.push_back({" << quoted(name) << ", gradc::rt::MetricKind::"
           << kind << ", " << classes << ", " << terms << (labels ? ", " : "")
           << (labels ? std::to_string(labels) : "") << "});\n";
      }
    }
  }
  os << "  info_.optimizer = " << quoted(str(sub("optimizer"), "kind")) << ";\n";
  DictionaryAttr schedule = sub("schedule");
  os << "  info_.schedule.kind = " << quoted(str(schedule, "kind")) << ";\n";
  os << "  info_.schedule.every = " << static_cast<int64_t>(num(schedule, "every", 1)) << ";\n";
  os << "  info_.schedule.gamma = " << num(schedule, "gamma", 1.0) << ";\n";
  os << "  info_.schedule.steps = " << static_cast<int64_t>(num(schedule, "steps", 1)) << ";\n";
  os << "  info_.schedule.warmup = " << static_cast<int64_t>(num(schedule, "warmup", 0))
     << ";\n";
  os << "  info_.schedule.minLr = " << num(schedule, "min_lr", 0.0) << ";\n";
  if (str(schedule, "kind") == "one_cycle") {
    os << "  info_.schedule.pctStart = " << llvm::format("%.17g", num(schedule, "pct_start", 0.3))
       << ";\n";
    os << "  info_.schedule.divFactor = "
       << llvm::format("%.17g", num(schedule, "div_factor", 25)) << ";\n";
    os << "  info_.schedule.finalDivFactor = "
       << llvm::format("%.17g", num(schedule, "final_div_factor", 1e4)) << ";\n";
  }
  os << "  info_.epochs = " << static_cast<int64_t>(num(train, "epochs", 1)) << ";\n";
  os << "  info_.lr = " << llvm::format("%.17g", num(train, "lr", 1e-3)) << ";\n";
  os << "  info_.seed = " << static_cast<int64_t>(num(train, "seed", 0)) << ";\n";
  os << "  info_.validation = " << num(train, "validation", 0.0) << ";\n";
  for (StringRef which : {"data", "test"}) {
    DictionaryAttr data = sub(which);
    if (!data)
      continue;
    std::string kind = str(data, "kind");
    std::string field = "info_." + which.str();
    os << "  " << field << ".kind = " << quoted(kind) << ";\n";
    std::string inputs = kind == "idx" ? "images" : kind == "csv" ? "path" : "inputs";
    os << "  " << field << ".inputs = " << quoted(str(data, inputs)) << ";\n";
    os << "  " << field << ".labels = " << quoted(str(data, "labels")) << ";\n";
    os << "  " << field << ".scale = " << llvm::format("%.17g", num(data, "scale", 1.0))
       << ";\n";
    os << "  " << field << ".labelColumn = " << quoted(str(data, "label_column")) << ";\n";
    if (auto files = data.getAs<DictionaryAttr>("files"))
      for (NamedAttribute file : files)
        os << "  " << field << ".files[" << quoted(file.getName().getValue()) << "] = "
           << quoted(cast<StringAttr>(file.getValue()).getValue()) << ";\n";
    if (!str(data, "layout").empty())
      os << "  " << field << ".layout = " << quoted(str(data, "layout")) << ";\n";
    auto header = data.getAs<BoolAttr>("header");
    os << "  " << field << ".header = " << (header && !header.getValue() ? "false" : "true")
       << ";\n";
  }
  if (DictionaryAttr stopping = sub("early_stopping")) {
    os << "  info_.earlyStoppingMetric = " << quoted(str(stopping, "metric")) << ";\n";
    os << "  info_.earlyStoppingPatience = "
       << static_cast<int64_t>(num(stopping, "patience", 1)) << ";\n";
  }
  if (DictionaryAttr checkpoint = sub("checkpoint")) {
    os << "  info_.checkpointDir = " << quoted(str(checkpoint, "dir")) << ";\n";
    // Without `every`, ModelInfo's own default (the language's) stands.
    if (checkpoint.get("every"))
      os << "  info_.checkpointEvery = " << static_cast<int64_t>(num(checkpoint, "every", 0))
         << ";\n";
  }
}

/// 64-bit FNV-1a of the module as printed without locations and without the
/// train section's run settings (isRunSetting): the same computation from the
/// same compiler gives the same fingerprint, wherever the model file and its
/// data are and whatever defaults its flags have.
std::string ModelEmitter::fingerprint() {
  auto train = module->getAttrOfType<DictionaryAttr>("nn.train");
  if (train)
    module->setAttr("nn.train", computeSettings(train));
  std::string text;
  llvm::raw_string_ostream os(text);
  module->print(os, OpPrintingFlags().useLocalScope());
  if (train)
    module->setAttr("nn.train", train);
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  return llvm::utohexstr(hash, /*LowerCase=*/true, /*Width=*/16);
}

/// Named sizes of the entry points' data arguments, so that a program that
/// embeds the model can allocate them: kInputShape/kInputSize (one batch),
/// the same for the label and the output, kClasses, and one k<Metric>Size per
/// metric's statistics.
void ModelEmitter::emitSizes(llvm::raw_ostream &os) {
  auto upperCamel = [](StringRef name) {
    std::string out;
    bool upper = true;
    for (char c : name) {
      if (!std::isalnum(static_cast<unsigned char>(c))) {
        upper = true;
        continue;
      }
      out += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
      upper = false;
    }
    return out;
  };
  auto sizes = [&](const std::string &what, StringRef name, MemRefType type) {
    os << "  static constexpr int64_t k" << what << "Shape[] = "
       << shapeList(type.getShape()) << ";  // " << name << "\n"
       << "  static constexpr int64_t k" << what << "Size = " << type.getNumElements()
       << ";\n";
  };
  for (unsigned i = 0; i < evalStep.getNumArguments(); ++i) {
    std::optional<Role> role = nn::argumentRole(evalStep, i);
    StringRef name = argString(evalStep, i, nn::NNDialect::kNameAttrName);
    auto type = cast<MemRefType>(evalStep.getArgumentTypes()[i]);
    std::optional<Role> out = kern::outputRole(evalStep, i);
    // kInputShape for a model's only input, kInputImageShape for its input
    // `image` when it has several; the same for labels.
    if (role == Role::Input) {
      sizes(inputNames.size() == 1 ? "Input" : "Input" + upperCamel(name), name, type);
    } else if (role == Role::Label) {
      const std::string what = labelNames.size() == 1 ? "Label" : "Label" + upperCamel(name);
      sizes(what, name, type);
      if (auto classes = evalStep.getArgAttrOfType<IntegerAttr>(
              i, nn::NNDialect::kClassesAttrName))
        os << "  static constexpr int64_t k"
           << (labelNames.size() == 1 ? std::string() : what) << "Classes = "
           << classes.getInt() << ";\n";
    } else if (out == Role::Output) {
      sizes("Output", name, type);
    } else if (out == Role::Metric) {
      os << "  static constexpr int64_t k" << upperCamel(name) << "Size = "
         << std::max<int64_t>(type.getNumElements(), 1) << ";  // metric " << name
         << (type.getRank() == 3   ? ": per label, a confusion matrix [label][prediction]"
             : type.getRank() == 2 ? ": confusion matrix [label][prediction]"
                                 : ": sum of the batch's error terms")
         << "\n";
    }
  }
}

/// A comment naming an entry point's data arguments with their shapes.
