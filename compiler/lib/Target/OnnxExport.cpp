//===- OnnxExport.cpp - the predict entry point as an ONNX graph ----------===//
//
// Walks @predict at the nn level and asks every op for its ONNX nodes
// (OnnxExportOpInterface, NNOnnx.cpp), into an onnx::GraphProto: the model's
// inputs are the graph's inputs, its parameters and buffers initializers of
// their weight names, its output the graph's output. The graph is checked
// (onnx::checker, strict shape inference, the inferred output shape) with
// zeros standing for the weights, then serialized in two parts that the
// program joins with the weights it holds (runtime/src/onnx.cpp).
//
//===----------------------------------------------------------------------===//

#include "gradc/Target/OnnxExport.h"

#include "gradc/Dialect/NN/IR/NNDialect.h"
#include "gradc/Dialect/NN/IR/NNOps.h"
#include "gradc/Transforms/SourceLines.h"

#include "onnx/checker.h"
#include "onnx/onnx_pb.h"
#include "onnx/shape_inference/implementation.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringSet.h"

#include <map>

using namespace mlir;
using namespace gradc;

namespace {

constexpr int64_t kOpset = 17;
/// ONNX 1.12's IR version, the newest the checker of libonnx-dev knows.
constexpr int64_t kIrVersion = 8;

int dataType(Type element) {
  if (element.isF32())
    return onnx::TensorProto::FLOAT;
  if (element.isF64())
    return onnx::TensorProto::DOUBLE;
  if (element.isInteger(1))
    return onnx::TensorProto::BOOL;
  if (element.isInteger(64))
    return onnx::TensorProto::INT64;
  return onnx::TensorProto::INT32;
}

template <typename T> void appendRaw(std::string &raw, T value) {
  raw.append(reinterpret_cast<const char *>(&value), sizeof value);
}

/// The graph being built, as the ops see it (OnnxGraph.h).
class GraphWriter final : public nn::OnnxGraphBuilder {
public:
  GraphWriter(onnx::GraphProto &graph, int64_t batch) : graph(graph), batchSize(batch) {}

  /// Set when an op asked for a value no earlier node defines.
  bool missing = false;
  bool fixed = false;

  void bind(Value value, std::string name) {
    used.insert(name);
    names[value] = std::move(name);
  }

  std::string nameOf(Value value) override {
    auto it = names.find(value);
    if (it == names.end()) {
      missing = true;
      return "";
    }
    return it->second;
  }
  std::string resultName(Value result) override {
    std::string hint = "value";
    if (Operation *op = result.getDefiningOp())
      hint = op->getName().stripDialect().str();
    std::string name = tempName(hint);
    names[result] = name;
    return name;
  }
  void setName(Value result, std::string name) override { names[result] = std::move(name); }
  std::string tempName(StringRef hint) override {
    for (;;) {
      std::string name = hint.str() + "_" + std::to_string(counters[hint.str()]++);
      if (used.insert(name).second)
        return name;
    }
  }

  void addNode(StringRef opType, ArrayRef<std::string> inputs, ArrayRef<std::string> outputs,
               ArrayRef<nn::OnnxAttribute> attributes) override {
    onnx::NodeProto *node = graph.add_node();
    node->set_op_type(opType.str());
    node->set_name(outputs.empty() ? tempName(opType) : "/" + outputs.front() + "/" + opType.str());
    for (const std::string &in : inputs)
      node->add_input(in);
    for (const std::string &out : outputs)
      node->add_output(out);
    for (const nn::OnnxAttribute &a : attributes) {
      onnx::AttributeProto *attr = node->add_attribute();
      attr->set_name(a.name);
      switch (a.kind) {
      case nn::OnnxAttribute::Kind::Int:
        attr->set_type(onnx::AttributeProto::INT);
        attr->set_i(a.i);
        break;
      case nn::OnnxAttribute::Kind::Float:
        attr->set_type(onnx::AttributeProto::FLOAT);
        attr->set_f(static_cast<float>(a.f));
        break;
      case nn::OnnxAttribute::Kind::Ints:
        attr->set_type(onnx::AttributeProto::INTS);
        for (int64_t v : a.ints)
          attr->add_ints(v);
        break;
      case nn::OnnxAttribute::Kind::String:
        attr->set_type(onnx::AttributeProto::STRING);
        attr->set_s(a.s);
        break;
      }
    }
  }

  std::string constant(ElementsAttr value) override {
    auto type = cast<RankedTensorType>(value.getType());
    onnx::TensorProto *tensor = graph.add_initializer();
    std::string name = tempName("const");
    tensor->set_name(name);
    for (int64_t d : type.getShape())
      tensor->add_dims(d);
    Type element = type.getElementType();
    tensor->set_data_type(dataType(element));
    std::string raw;
    if (element.isF32())
      for (float v : value.getValues<float>())
        appendRaw(raw, v);
    else if (element.isF64())
      for (double v : value.getValues<double>())
        appendRaw(raw, v);
    else if (element.isInteger(1))
      for (bool v : value.getValues<bool>())
        appendRaw(raw, static_cast<uint8_t>(v));
    else if (element.isInteger(64))
      for (int64_t v : value.getValues<int64_t>())
        appendRaw(raw, v);
    else
      for (int32_t v : value.getValues<int32_t>())
        appendRaw(raw, v);
    tensor->set_raw_data(raw);
    return name;
  }

  // One initializer per distinct list.
  std::string int64s(ArrayRef<int64_t> values) override {
    std::vector<int64_t> key(values.begin(), values.end());
    if (auto it = int64Lists.find(key); it != int64Lists.end())
      return it->second;
    onnx::TensorProto *tensor = graph.add_initializer();
    std::string name = tempName("ints");
    int64Lists[key] = name;
    tensor->set_name(name);
    tensor->add_dims(static_cast<int64_t>(values.size()));
    tensor->set_data_type(onnx::TensorProto::INT64);
    std::string raw;
    for (int64_t v : values)
      appendRaw(raw, v);
    tensor->set_raw_data(raw);
    return name;
  }

  // A Constant node, as torch.onnx.export writes the constants of its
  // decompositions.
  std::string scalar(Type element, double value) override {
    onnx::NodeProto *node = graph.add_node();
    std::string name = tempName("scalar");
    node->set_op_type("Constant");
    node->set_name("/" + name + "/Constant");
    node->add_output(name);
    onnx::AttributeProto *attr = node->add_attribute();
    attr->set_name("value");
    attr->set_type(onnx::AttributeProto::TENSOR);
    onnx::TensorProto *tensor = attr->mutable_t();
    tensor->set_data_type(dataType(element));
    std::string raw;
    if (element.isF32())
      appendRaw(raw, static_cast<float>(value));
    else if (element.isF64())
      appendRaw(raw, value);
    else if (element.isInteger(64))
      appendRaw(raw, static_cast<int64_t>(value));
    else
      appendRaw(raw, static_cast<int32_t>(value));
    tensor->set_raw_data(raw);
    return name;
  }

  int64_t batch() const override { return batchSize; }
  void fixBatch() override { fixed = true; }
  std::optional<SmallVector<bool>> followsBatch(Value value) override {
    auto it = otherShapes.find(value);
    if (it == otherShapes.end())
      return std::nullopt;
    ArrayRef<int64_t> here = cast<RankedTensorType>(value.getType()).getShape();
    SmallVector<bool> dims;
    for (auto [a, b] : llvm::zip(here, it->second))
      dims.push_back(a != b);
    return dims;
  }

  /// The shapes of the values at the other batch.
  llvm::DenseMap<Value, SmallVector<int64_t>> otherShapes;

private:
  onnx::GraphProto &graph;
  int64_t batchSize;
  llvm::DenseMap<Value, std::string> names;
  llvm::StringSet<> used;
  std::map<std::string, int64_t> counters;
  std::map<std::vector<int64_t>, std::string> int64Lists;
};

/// A graph input or output of `type`: a dimension that follows the batch
/// (`batchDims`) is symbolic unless `fixedBatch`, named "batch" where it is
/// the batch itself.
void describe(onnx::ValueInfoProto &info, const std::string &name, RankedTensorType type,
              ArrayRef<bool> batchDims, int64_t batch, bool fixedBatch) {
  info.set_name(name);
  onnx::TypeProto_Tensor *tensor = info.mutable_type()->mutable_tensor_type();
  tensor->set_elem_type(dataType(type.getElementType()));
  onnx::TensorShapeProto *shape = tensor->mutable_shape();
  for (auto [i, d] : llvm::enumerate(type.getShape())) {
    onnx::TensorShapeProto_Dimension *dim = shape->add_dim();
    if (fixedBatch || !batchDims[i])
      dim->set_dim_value(d);
    else if (d == batch)
      dim->set_dim_param("batch");
  }
}

/// Which dimensions of a graph input or output follow the batch: those the
/// writer knows, else the first.
SmallVector<bool> batchDimsOf(GraphWriter &writer, Value value) {
  if (std::optional<SmallVector<bool>> dims = writer.followsBatch(value))
    return *dims;
  SmallVector<bool> dims(cast<RankedTensorType>(value.getType()).getRank(), false);
  if (!dims.empty())
    dims[0] = true;
  return dims;
}

/// An exception's message on one line.
std::string oneLine(const std::string &message) {
  std::string text;
  for (char c : message)
    text += c == '\n' || c == '\r' ? ' ' : c;
  return text;
}

} // namespace

OnnxExport gradc::exportOnnx(ModuleOp module, const llvm::SourceMgr *sourceMgr,
                             ModuleOp atOtherBatch) {
  OnnxExport result;
  auto predict = module.lookupSymbol<func::FuncOp>("predict");
  if (!predict || predict.isExternal()) {
    result.unsupported = "the model has no predict entry point";
    return result;
  }
  if (predict.getNumResults() != 1) {
    result.unsupported = "the predict entry point has more than one result";
    return result;
  }
  ModelSourceLines lines(sourceMgr);
  onnx::ModelProto model;
  model.set_ir_version(kIrVersion);
  model.set_producer_name("gradc");
  onnx::OperatorSetIdProto *opset = model.add_opset_import();
  opset->set_domain("");
  opset->set_version(kOpset);
  onnx::GraphProto &graph = *model.mutable_graph();
  std::string modelName = "model";
  if (auto info = module->getAttrOfType<StringAttr>("nn.model"))
    modelName = info.getValue().str();
  graph.set_name(modelName);

  // The entry point's batch: its first input's leading dimension.
  int64_t batch = 1;
  for (unsigned i = 0; i < predict.getNumArguments(); ++i)
    if (nn::argumentRole(predict, i) == nn::Role::Input) {
      auto type = cast<RankedTensorType>(predict.getArgument(i).getType());
      if (type.getRank() > 0) {
        batch = type.getDimSize(0);
        break;
      }
    }
  GraphWriter writer(graph, batch);
  // The same ops at another batch, value for value (when they are the same).
  if (atOtherBatch)
    if (auto other = atOtherBatch.lookupSymbol<func::FuncOp>("predict");
        other && !other.isExternal() && other.getNumArguments() == predict.getNumArguments()) {
      Block &a = predict.getBody().front(), &b = other.getBody().front();
      bool same = a.getOperations().size() == b.getOperations().size();
      for (auto [x, y] : llvm::zip(a.getOperations(), b.getOperations()))
        same = same && x.getName() == y.getName() && x.getNumResults() == y.getNumResults();
      if (same) {
        auto record = [&](Value x, Value y) {
          auto t = dyn_cast<RankedTensorType>(y.getType());
          if (t && cast<RankedTensorType>(x.getType()).getRank() == t.getRank())
            writer.otherShapes[x] = SmallVector<int64_t>(t.getShape());
        };
        for (auto [x, y] : llvm::zip(predict.getArguments(), other.getArguments()))
          record(x, y);
        for (auto [x, y] : llvm::zip(a.getOperations(), b.getOperations()))
          for (auto [r, s] : llvm::zip(x.getResults(), y.getResults()))
            record(r, s);
      }
    }

  // Inputs by their model names; parameters and buffers by their weight
  // names, as initializers the program fills.
  struct Input {
    std::string name;
    RankedTensorType type;
    Value value;
  };
  std::vector<Input> inputs;
  std::vector<std::pair<std::string, RankedTensorType>> weights;
  for (unsigned i = 0; i < predict.getNumArguments(); ++i) {
    BlockArgument arg = predict.getArgument(i);
    std::optional<nn::Role> role = nn::argumentRole(predict, i);
    auto name = predict.getArgAttrOfType<StringAttr>(i, nn::NNDialect::kNameAttrName);
    auto type = cast<RankedTensorType>(arg.getType());
    if (!role || !name) {
      result.unsupported = "argument " + std::to_string(i) + " of predict has no role or name";
      return result;
    }
    if (*role == nn::Role::Input) {
      writer.bind(arg, name.getValue().str());
      inputs.push_back({name.getValue().str(), type, arg});
    } else if (*role == nn::Role::Param || *role == nn::Role::Buffer) {
      if (arg.use_empty())
        continue;
      writer.bind(arg, name.getValue().str());
      weights.push_back({name.getValue().str(), type});
    } else {
      result.unsupported = "predict takes an argument of role " +
                           nn::stringifyRole(*role).str() + ", which has no ONNX form";
      return result;
    }
  }

  // Every op, in order; the first without an ONNX form is named.
  Value output;
  for (Operation &op : predict.getBody().front()) {
    if (auto ret = dyn_cast<func::ReturnOp>(op)) {
      output = ret.getOperand(0);
      break;
    }
    auto exportable = dyn_cast<nn::OnnxExportOpInterface>(op);
    if (!exportable || failed(exportable.exportToOnnx(writer)) || writer.missing) {
      std::string where = lines.describe(op.getLoc());
      result.unsupported = "'" + op.getName().getStringRef().str() + "'" +
                           (where.empty() ? "" : " (" + where + ")") +
                           " has no ONNX form in gradc's exporter (docs/onnx.md lists "
                           "the ops it writes)";
      return result;
    }
  }
  std::string outputName = writer.nameOf(output);
  const std::string graphOutput = "output";
  if (writer.missing || outputName.empty()) {
    result.unsupported = "the output of predict is computed by no op";
    return result;
  }
  // The output under its own name, even where it is an input or a weight.
  writer.addNode("Identity", {outputName}, {graphOutput}, {});

  for (const Input &in : inputs)
    describe(*graph.add_input(), in.name, in.type, batchDimsOf(writer, in.value), batch,
             writer.fixed);
  auto outputType = cast<RankedTensorType>(output.getType());
  describe(*graph.add_output(), graphOutput, outputType, batchDimsOf(writer, output), batch,
           writer.fixed);

  // Check the graph with zeros for the weights, as the program will write
  // it with their values.
  onnx::ModelProto checked = model;
  for (const auto &[name, type] : weights) {
    onnx::TensorProto *tensor = checked.mutable_graph()->add_initializer();
    tensor->set_name(name);
    for (int64_t d : type.getShape())
      tensor->add_dims(d);
    tensor->set_data_type(dataType(type.getElementType()));
    const int64_t width = type.getElementType().isF64() ? 8 : 4;
    tensor->set_raw_data(std::string(static_cast<size_t>(type.getNumElements() * width), '\0'));
  }
  try {
    onnx::checker::check_model(checked);
    onnx::ShapeInferenceOptions options(/*check_type_val=*/true, /*strict_mode_val=*/1,
                                        /*data_prop_val=*/false);
    onnx::shape_inference::InferShapes(checked, onnx::OpSchemaRegistry::Instance(), options);
  } catch (const std::exception &e) {
    result.unsupported = "the ONNX graph gradc built fails ONNX's checks (a bug in gradc's "
                         "exporter): " + oneLine(e.what());
    return result;
  }
  // The inferred shape of the output must be the program's.
  const onnx::ValueInfoProto &inferred = checked.graph().output(0);
  if (inferred.type().tensor_type().has_shape()) {
    const onnx::TensorShapeProto &shape = inferred.type().tensor_type().shape();
    bool same = shape.dim_size() == outputType.getRank();
    for (int d = 0; same && d < shape.dim_size(); ++d)
      if (shape.dim(d).has_dim_value() && shape.dim(d).dim_value() != outputType.getDimSize(d))
        same = false;
    if (!same) {
      result.unsupported = "the ONNX graph gradc built infers another output shape than the "
                           "program's (a bug in gradc's exporter)";
      return result;
    }
  }

  graph.SerializeToString(&result.graph);
  model.clear_graph();
  model.SerializeToString(&result.model);
  for (const auto &weight : weights)
    result.initializers.push_back(weight.first);
  return result;
}
