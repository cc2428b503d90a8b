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

/// A setting's name as the runtime's field: min_lr -> minLr.
std::string fieldName(StringRef name) {
  std::string out;
  bool upper = false;
  for (char c : name) {
    if (c == '_') {
      upper = true;
      continue;
    }
    out += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    upper = false;
  }
  return out;
}

} // namespace

void ModelEmitter::emitInfo(llvm::raw_ostream &os) {
  auto train = module->getAttrOfType<nn::TrainAttr>(nn::NNDialect::kTrainAttrName);
  os << "  info_.name = " << quoted(className) << ";\n";
  os << "  info_.fingerprint = " << quoted(fingerprint()) << ";\n";
  if (train)
    os << "  info_.trainSettings = " << quoted(train.computeSettingsText()) << ";\n";
  os << "  info_.batch = kBatch;\n";
  if (!grads.empty() && !stepGradients)
    os << "  info_.stepGradients = false;\n";
  if (train && train.getRanks() != 1)
    os << "  info_.ranks = " << train.getRanks() << ";\n";
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
      if (auto ignore = evalStep.getArgAttrOfType<IntegerAttr>(
              i, nn::NNDialect::kIgnoreIndexAttrName))
        os << "  info_.labels.back().ignoreIndex = " << ignore.getInt() << ";\n";
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
  if (train)
    emitTrainSettings(os, train);
  if (onnx && !onnx->unsupported.empty()) {
    os << "  info_.onnx.unsupported = " << quoted(onnx->unsupported) << ";\n";
  } else if (onnx) {
    os << "  info_.onnx.model.assign(kOnnxModel, sizeof kOnnxModel - 1);\n"
       << "  info_.onnx.graph.assign(kOnnxGraph, sizeof kOnnxGraph - 1);\n"
       << "  info_.onnx.initializers = {";
    for (auto [i, name] : llvm::enumerate(onnx->initializers))
      os << (i ? ", " : "") << quoted(name);
    os << "};\n";
  }
}

namespace {
/// `bytes` as a C++ string literal of hexadecimal escapes, 24 bytes a line.
void printBytes(llvm::raw_ostream &os, StringRef bytes) {
  os << "    \"";
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i > 0 && i % 24 == 0)
      os << "\"\n    \"";
    os << llvm::format("\\x%02x", static_cast<unsigned char>(bytes[i]));
  }
  os << "\"";
}
} // namespace

/// The inference graph --export-onnx writes (gradc/Target/OnnxExport.h), at
/// namespace scope in the source: the two serialized halves the program
/// joins with its weights.
void ModelEmitter::emitOnnxGraph(llvm::raw_ostream &os) {
  if (!onnx || !onnx->unsupported.empty())
    return;
  os << "// The model's predict as an ONNX graph (opset 17, protobuf) for --export-onnx:\n"
     << "// the ModelProto without its graph, and the GraphProto without the weights,\n"
     << "// which the program adds as initializers (docs/onnx.md).\n"
     << "static const char kOnnxModel[] =\n";
  printBytes(os, onnx->model);
  os << ";\nstatic const char kOnnxGraph[] =\n";
  printBytes(os, onnx->graph);
  os << ";\n\n";
}

/// The train section's settings as ModelInfo's fields: every one the model's
/// optimizer, schedule and data sources have, with its value in force.
void ModelEmitter::emitTrainSettings(llvm::raw_ostream &os, nn::TrainAttr train) {
  auto real = [](double value) { return llvm::format("%.17g", value); };
  os << "  info_.optimizer = "
     << quoted(nn::stringifyOptimizerKind(train.getOptimizer().getKind())) << ";\n";
  nn::ScheduleAttr schedule = train.getSchedule();
  os << "  info_.schedule.kind = " << quoted(nn::stringifyScheduleKind(schedule.getKind()))
     << ";\n";
  for (const nn::SettingSpec &spec : nn::scheduleSettings(schedule.getKind())) {
    os << "  info_.schedule." << fieldName(spec.name) << " = ";
    if (spec.type == nn::SettingSpec::Type::Integer)
      os << static_cast<int64_t>(schedule.getSetting(spec.name));
    else
      os << real(schedule.getSetting(spec.name));
    os << ";\n";
  }
  os << "  info_.epochs = " << train.getEpochs() << ";\n";
  os << "  info_.lr = " << real(train.getLr()) << ";\n";
  os << "  info_.seed = " << train.getSeed() << ";\n";
  os << "  info_.validation = " << real(train.getValidation()) << ";\n";
  auto string = [](StringAttr attr) { return attr ? attr.getValue() : StringRef(); };
  for (auto [which, data] : {std::pair<StringRef, nn::DataSourceAttr>{"data", train.getData()},
                             {"test", train.getTest()}}) {
    if (!data)
      continue;
    std::string field = "info_." + which.str();
    os << "  " << field << ".kind = " << quoted(nn::stringifyDataSourceKind(data.getKind()))
       << ";\n";
    os << "  " << field << ".inputs = " << quoted(string(data.getInputs())) << ";\n";
    os << "  " << field << ".labels = " << quoted(string(data.getLabels())) << ";\n";
    os << "  " << field << ".scale = " << real(data.getScale()) << ";\n";
    os << "  " << field << ".labelColumn = " << quoted(string(data.getLabelColumn())) << ";\n";
    if (DictionaryAttr files = data.getFiles())
      for (NamedAttribute file : files)
        os << "  " << field << ".files[" << quoted(file.getName().getValue()) << "] = "
           << quoted(cast<StringAttr>(file.getValue()).getValue()) << ";\n";
    if (data.getLayout())
      os << "  " << field << ".layout = " << quoted(data.getLayout().getValue()) << ";\n";
    os << "  " << field << ".header = " << (data.getHeader() ? "true" : "false") << ";\n";
    if (data.getVocab())
      os << "  " << field << ".vocab = " << quoted(data.getVocab().getValue()) << ";\n";
  }
  if (nn::EarlyStoppingAttr stopping = train.getEarlyStopping()) {
    os << "  info_.earlyStoppingMetric = " << quoted(stopping.getMetric().getValue()) << ";\n";
    os << "  info_.earlyStoppingPatience = " << stopping.getPatience() << ";\n";
  }
  if (nn::CheckpointAttr checkpoint = train.getCheckpoint()) {
    os << "  info_.checkpointDir = " << quoted(checkpoint.getDir().getValue()) << ";\n";
    // Without `every`, ModelInfo's own default (the language's) stands.
    if (checkpoint.getEvery())
      os << "  info_.checkpointEvery = " << *checkpoint.getEvery() << ";\n";
  }
}

/// 64-bit FNV-1a of the module as printed without locations and without the
/// train section's run settings (TrainAttr::withoutRunSettings): the same computation from the
/// same compiler gives the same fingerprint, wherever the model file and its
/// data are and whatever defaults its flags have.
std::string ModelEmitter::fingerprint() {
  auto train = module->getAttrOfType<nn::TrainAttr>(nn::NNDialect::kTrainAttrName);
  if (train)
    module->setAttr(nn::NNDialect::kTrainAttrName, train.withoutRunSettings());
  // Where the model file is is no part of the computation.
  Attribute trainLoc = module->removeAttr(nn::NNDialect::kLocAttrName);
  std::string text;
  llvm::raw_string_ostream os(text);
  module->print(os, OpPrintingFlags().useLocalScope());
  if (train)
    module->setAttr(nn::NNDialect::kTrainAttrName, train);
  if (trainLoc)
    module->setAttr(nn::NNDialect::kLocAttrName, trainLoc);
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
