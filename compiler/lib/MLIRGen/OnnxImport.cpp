//===- OnnxImport.cpp - an ONNX graph called as a block -----------------===//
//
// `import net from onnx("net.onnx")` and `let y = net(x)`: the graph's nodes
// become nn ops at the call, its float initializers the model's parameters
// (their ONNX names, which are PyTorch's state_dict names for an exported
// module) starting from the stored values. The file is read with ONNX's own
// library (libonnx: ModelProto, the checker, shape inference); a graph with
// an op type this importer does not translate is refused whole, every such
// type listed with its node names. Shape computations (Shape, Gather,
// Concat, Unsqueeze feeding Reshape) are folded here from the static shapes
// of the call's arguments. docs/onnx.md states what each op means.
//
//===----------------------------------------------------------------------===//

#include "ModelBuilder.h"

#include "onnx/checker.h"
#include "onnx/onnx_pb.h"
#include "onnx/shape_inference/implementation.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <set>

using namespace mlir;

namespace gradc::detail {

namespace {

/// The largest ONNX file read: protobuf's own limit on one message (2 GiB,
/// less one byte: its sizes are ints).
constexpr uint64_t kMaxOnnxBytes = uint64_t(INT32_MAX);

/// The largest value the importer computes itself (ConstantOfShape, folded
/// shape arithmetic): larger ones are program data, not constants.
constexpr int64_t kMaxKnownElements = int64_t(1) << 22;

/// A model read, checked and shape-inferred once per file and compilation.
struct LoadedOnnx {
  onnx::ModelProto model;
  int64_t opset = 0;
  std::string error; ///< why it could not be used, when set
};

std::string describeOpTypes(const std::map<std::string, std::vector<std::string>> &byType) {
  std::string text;
  for (const auto &[type, names] : byType) {
    if (!text.empty())
      text += "; ";
    text += type + " (" + std::to_string(names.size()) + (names.size() == 1 ? " node: " : " nodes: ");
    for (size_t i = 0; i < names.size() && i < 5; ++i)
      text += (i ? ", " : "") + ("'" + names[i] + "'");
    if (names.size() > 5)
      text += ", ...";
    text += ")";
  }
  return text;
}

/// The op types the importer translates (docs/onnx.md).
const llvm::StringSet<> &supportedOpTypes() {
  static const llvm::StringSet<> types = {
      "Abs",         "Add",         "ArgMax",      "AveragePool",
      "BatchNormalization", "Cast", "Concat",      "Constant",    "Conv",
      "Div",         "Dropout",     "Equal",       "Erf",         "Exp",
      "ConstantOfShape", "Expand", "Flatten",     "Gather",      "Gemm",        "GlobalAveragePool",
      "GRU",         "Greater",     "GreaterOrEqual", "Identity", "LSTM",
      "LayerNormalization", "LeakyRelu",
      "Less",        "LessOrEqual", "Log",         "LogSoftmax",  "MatMul",
      "Max",         "MaxPool",     "Min",         "Mul",         "Neg",
      "Not",         "Pad",         "Pow",         "Reciprocal",  "ReduceMax",
      "ReduceMean",  "ReduceSum",   "Relu",        "Reshape",     "Shape",
      "Sigmoid",     "Sign",        "Slice",       "Softmax",     "Softplus",
      "Split",       "Sqrt",        "Squeeze",     "Sub",         "Tanh",
      "Transpose",   "Unsqueeze",   "Where"};
  return types;
}

/// A value of the graph: a tensor the program computes, or one known here
/// (an integer initializer, a Constant, a folded shape computation).
struct OnnxValue {
  Value tensor;
  bool known = false;
  bool integer = false;
  bool boolean = false; ///< a known bool tensor (integer too): a mask
  std::vector<int64_t> shape;
  std::vector<double> values; ///< row-major, integers exactly (|v| < 2^53)
};

/// A known integer (held as a double) as int64, saturating: INT64_MAX reads
/// back as 2^63.
int64_t toInt64(double x) {
  return x >= 0x1p63 ? INT64_MAX : x <= -0x1p63 ? INT64_MIN : static_cast<int64_t>(x);
}

/// The shortest decimal (at most 9 significant digits) that reads back as `f`.
double shortestDecimal(float f) {
  if (!std::isfinite(f))
    return f;
  char text[32];
  for (int digits = 1; digits <= 9; ++digits) {
    std::snprintf(text, sizeof text, "%.*g", digits, static_cast<double>(f));
    double value = std::strtod(text, nullptr);
    if (static_cast<float>(value) == f)
      return value;
  }
  return f;
}

class Importer {
public:
  Importer(ModelBuilder &mb, const ImportAST &import, const CallExprAST &call,
           const LoadedOnnx &loaded, std::string file)
      : mb(mb), import(import), call(call), loaded(loaded), file(std::move(file)) {}

  /// The graph's outputs, in order; `expected` of them (0: any number).
  std::optional<SmallVector<Value>> run(size_t expected);

private:
  ModelBuilder &mb;
  const ImportAST &import;
  const CallExprAST &call;
  const LoadedOnnx &loaded;
  std::string file;
  llvm::StringMap<OnnxValue> values;
  const onnx::NodeProto *node = nullptr; ///< the node being translated
  bool failed = false;

  /// Reports at the call, naming the file and the node being translated.
  void fail(const llvm::Twine &message) {
    if (failed)
      return;
    failed = true;
    std::string where = file;
    if (node)
      where += ": node '" + node->name() + "' (" + node->op_type() + ")";
    mb.error(call.getLoc(), where + ": " + message);
  }

  mlir::Type floatType() { return mb.floatType(mb.builder.getF32Type()); }
  RankedTensorType typeOf(Value v) { return cast<RankedTensorType>(v.getType()); }

  /// The initializers a BatchNormalization reads as running statistics:
  /// buffers, not parameters.
  llvm::StringSet<> statistics;

  bool readTensor(const onnx::TensorProto &tensor, OnnxValue &out);
  bool bindInputs();
  bool bindInitializers();
  bool translate(const onnx::NodeProto &n);

  // Operands.
  const OnnxValue *input(int index, bool optional = false);
  Value tensorOf(const OnnxValue &v);
  Value tensorInput(int index);
  std::optional<std::vector<int64_t>> knownInts(int index, llvm::StringRef what);
  void define(int index, Value result);
  void defineKnown(int index, OnnxValue value);

  // Attributes.
  const onnx::AttributeProto *attr(llvm::StringRef name);
  int64_t intAttr(llvm::StringRef name, int64_t fallback);
  double floatAttr(llvm::StringRef name, double fallback);
  std::optional<std::vector<int64_t>> intsAttr(llvm::StringRef name);
  std::optional<int64_t> axisOf(int64_t axis, int64_t rank);

  template <typename OpTy, typename... Args> Value create(Args &&...args) {
    Value v = mb.create1<OpTy>(call.getLoc(), std::forward<Args>(args)...);
    if (!v)
      failed = true;
    return v;
  }
  Value reshape(Value x, llvm::ArrayRef<int64_t> shape) {
    auto type = RankedTensorType::get(shape, typeOf(x).getElementType());
    if (type == x.getType())
      return x;
    return mb.builder.create<nn::ReshapeOp>(mb.loc(call.getLoc()), type, x);
  }
  Value transpose(Value x, llvm::ArrayRef<int64_t> perm) {
    return create<nn::TransposeOp>(x, mb.builder.getDenseI64ArrayAttr(perm));
  }
  bool elementwiseBinary(llvm::StringRef type);
  std::optional<std::pair<std::vector<int64_t>, std::vector<int64_t>>>
  window2d(llvm::ArrayRef<int64_t> kernel);
  bool conv();
  bool pool(bool max);
  bool batchNorm();
  bool gemm();
  bool reshapeNode();
  bool foldKnown(llvm::StringRef type);
  bool compare(llvm::StringRef type);
  bool slice();
  bool split();
  bool expand();
  bool recurrent(bool lstm);
  bool constantOfShape();
  /// How many nodes (and graph outputs) read each value.
  std::map<std::string, int> useCounts;

  // Patterns of several nodes that torch.onnx.export (and gradc's exporter)
  // write for one nn op (GELU; a != b as Not(Equal)): found before
  // translating, the pattern's last node then translates as the op and the
  // others are skipped.
  struct Fused {
    enum class Kind { Gelu, NotEqual } kind;
    std::string x, y; ///< the pattern's operand names (y: NotEqual's second)
  };
  std::map<const onnx::NodeProto *, Fused> fusedRoots;
  std::set<const onnx::NodeProto *> fusedInner;
  void findPatterns();
  bool translateFused(const Fused &fused);
};

bool Importer::readTensor(const onnx::TensorProto &tensor, OnnxValue &out) {
  if (tensor.data_location() == onnx::TensorProto::EXTERNAL) {
    fail("initializer '" + tensor.name() +
         "' keeps its data in an external file, which is not supported: export with "
         "the weights inside the model (a model under 2 GiB needs no external data)");
    return false;
  }
  int64_t count = 1;
  for (int64_t dim : tensor.dims()) {
    if (dim < 0 || (dim > 0 && count > ModelBuilder::kMaxElements / dim)) {
      fail("tensor '" + tensor.name() + "' has an invalid or too large shape");
      return false;
    }
    count *= dim;
    out.shape.push_back(dim);
  }
  const int type = tensor.data_type();
  size_t width = 0;
  switch (type) {
  case onnx::TensorProto::FLOAT:
  case onnx::TensorProto::INT32:
    width = 4;
    break;
  case onnx::TensorProto::DOUBLE:
  case onnx::TensorProto::INT64:
    width = 8;
    break;
  case onnx::TensorProto::BOOL:
    width = 1;
    break;
  default:
    fail("tensor '" + tensor.name() + "' has data type " + std::to_string(type) +
         ", which is not supported (float, double, int32, int64 and bool are)");
    return false;
  }
  out.integer = type != onnx::TensorProto::FLOAT && type != onnx::TensorProto::DOUBLE;
  out.boolean = type == onnx::TensorProto::BOOL;
  // The data's size is checked against the shape before anything is
  // allocated for it: a shape may claim far more than the file holds.
  if (tensor.has_raw_data()) {
    const std::string &raw = tensor.raw_data();
    if (raw.size() / width != static_cast<size_t>(count) || raw.size() % width != 0) {
      fail("tensor '" + tensor.name() + "' holds " + std::to_string(raw.size()) +
           " bytes of data, but its shape needs " +
           std::to_string(static_cast<unsigned long long>(count) * width));
      return false;
    }
    out.values.resize(static_cast<size_t>(count));
    // ONNX stores raw data little-endian, as this machine does.
    const char *p = raw.data();
    for (int64_t i = 0; i < count; ++i, p += width) {
      switch (type) {
      case onnx::TensorProto::FLOAT: {
        float v;
        std::memcpy(&v, p, 4);
        out.values[i] = v;
        break;
      }
      case onnx::TensorProto::DOUBLE: {
        double v;
        std::memcpy(&v, p, 8);
        out.values[i] = v;
        break;
      }
      case onnx::TensorProto::INT32: {
        int32_t v;
        std::memcpy(&v, p, 4);
        out.values[i] = v;
        break;
      }
      case onnx::TensorProto::INT64: {
        int64_t v;
        std::memcpy(&v, p, 8);
        out.values[i] = static_cast<double>(v);
        break;
      }
      default:
        out.values[i] = *p != 0;
      }
    }
    return true;
  }
  auto take = [&](const auto &field) {
    if (static_cast<int64_t>(field.size()) != count) {
      fail("tensor '" + tensor.name() + "' holds " + std::to_string(field.size()) +
           " values, but its shape needs " + std::to_string(count));
      return false;
    }
    out.values.resize(static_cast<size_t>(count));
    for (int64_t i = 0; i < count; ++i)
      out.values[i] = static_cast<double>(field.Get(static_cast<int>(i)));
    return true;
  };
  switch (type) {
  case onnx::TensorProto::FLOAT:
    return take(tensor.float_data());
  case onnx::TensorProto::DOUBLE:
    return take(tensor.double_data());
  case onnx::TensorProto::INT64:
    return take(tensor.int64_data());
  default:
    return take(tensor.int32_data());
  }
}

bool Importer::bindInputs() {
  const onnx::GraphProto &graph = loaded.model.graph();
  llvm::StringSet<> initializers;
  for (const onnx::TensorProto &t : graph.initializer())
    initializers.insert(t.name());
  std::vector<const onnx::ValueInfoProto *> inputs;
  for (const onnx::ValueInfoProto &in : graph.input())
    if (!initializers.contains(in.name()))
      inputs.push_back(&in);
  if (call.getArgs().size() != inputs.size()) {
    std::string names;
    for (const onnx::ValueInfoProto *in : inputs)
      names += (names.empty() ? "" : ", ") + ("'" + in->name() + "'");
    fail("the graph takes " + std::to_string(inputs.size()) + " input" +
         (inputs.size() == 1 ? "" : "s") + " (" + names + "), but '" + import.getName().str() +
         "' is called with " + std::to_string(call.getArgs().size()));
    return false;
  }
  for (const NamedArgAST &named : call.getNamedArgs()) {
    mb.error(named.loc, "unknown argument '" + named.name + "' of the imported graph '" +
                            import.getName().str() + "'; it takes positional arguments");
    failed = true;
    return false;
  }
  for (auto [in, arg] : llvm::zip(inputs, call.getArgs())) {
    Val v = mb.eval(*arg);
    if (v.poisoned) {
      failed = true;
      return false;
    }
    if (!v.isTensor()) {
      mb.error(arg->getLoc(), "the input '" + in->name() + "' of '" + import.getName().str() +
                                  "' must be a tensor");
      failed = true;
      return false;
    }
    RankedTensorType type = typeOf(v.tensor);
    if (!in->type().has_tensor_type()) {
      fail("input '" + in->name() + "' is not a tensor");
      return false;
    }
    const onnx::TypeProto_Tensor &t = in->type().tensor_type();
    const bool wantsFloat = t.elem_type() == onnx::TensorProto::FLOAT ||
                            t.elem_type() == onnx::TensorProto::DOUBLE;
    const bool wantsInt = t.elem_type() == onnx::TensorProto::INT64 ||
                          t.elem_type() == onnx::TensorProto::INT32;
    if ((wantsFloat && !isa<FloatType>(type.getElementType())) ||
        (wantsInt && !type.getElementType().isInteger(32)) || (!wantsFloat && !wantsInt)) {
      mb.error(arg->getLoc(), "the input '" + in->name() + "' of '" + import.getName().str() +
                                  "' has ONNX element type " + std::to_string(t.elem_type()) +
                                  ", but is given " + ModelBuilder::typeString(type));
      failed = true;
      return false;
    }
    // The first dimension is the batch: it takes the argument's extent
    // (the batch of training, or 1 in the program's one-sample entry
    // point); the others must be the graph's.
    if (t.has_shape()) {
      const onnx::TensorShapeProto &shape = t.shape();
      bool fits = shape.dim_size() == type.getRank();
      for (int d = 1; fits && d < shape.dim_size(); ++d)
        if (shape.dim(d).has_dim_value() && shape.dim(d).dim_value() != type.getDimSize(d))
          fits = false;
      if (!fits) {
        std::string dims;
        for (int d = 0; d < shape.dim_size(); ++d)
          dims += (d ? ", " : "") + (shape.dim(d).has_dim_value()
                                         ? std::to_string(shape.dim(d).dim_value())
                                         : shape.dim(d).dim_param().empty()
                                               ? std::string("?")
                                               : shape.dim(d).dim_param());
        mb.error(arg->getLoc(), "the input '" + in->name() + "' of '" +
                                    import.getName().str() + "' is [" + dims +
                                    "] in the graph, but is given " +
                                    ModelBuilder::typeString(type));
        failed = true;
        return false;
      }
    }
    OnnxValue value;
    value.tensor = v.tensor;
    values[in->name()] = value;
  }
  return true;
}

/// Whether input `index` of an `opType` node must be known when the model
/// is compiled (a ratio, a shape, axes, pads): an initializer read only
/// there is a constant, not a parameter.
bool readsKnownValue(llvm::StringRef opType, int index) {
  if (opType == "Dropout")
    return index >= 1;
  if (opType == "Reshape" || opType == "Unsqueeze" || opType == "Squeeze" ||
      opType == "ReduceSum")
    return index == 1;
  if (opType == "Pad")
    return index >= 1;
  return false;
}

bool Importer::bindInitializers() {
  llvm::StringSet<> dataOperands;
  for (const onnx::NodeProto &n : loaded.model.graph().node()) {
    // The constants of a pattern translated as one op (GELU's 0.5, ...)
    // are read by no op.
    if (fusedInner.count(&n) || fusedRoots.count(&n))
      continue;
    if (n.op_type() == "BatchNormalization")
      for (int i = 3; i < std::min(n.input_size(), 5); ++i)
        statistics.insert(n.input(i));
    for (int i = 0; i < n.input_size(); ++i)
      if (!readsKnownValue(n.op_type(), i))
        dataOperands.insert(n.input(i));
  }
  for (const onnx::ValueInfoProto &out : loaded.model.graph().output())
    dataOperands.insert(out.name());
  for (const onnx::TensorProto &t : loaded.model.graph().initializer()) {
    OnnxValue value;
    if (!readTensor(t, value))
      return false;
    if (!value.integer && dataOperands.contains(t.name())) {
      // A float initializer is a parameter, named as in the graph, that
      // starts from the stored values.
      std::string name = mb.instancePrefix() + t.name();
      Value existing = mb.findParam(name);
      if (existing) {
        value.tensor = existing;
      } else {
        mlir::Type element = floatType();
        auto type = RankedTensorType::get(value.shape, element);
        DenseElementsAttr data;
        if (element.isF64())
          data = DenseElementsAttr::get(type, llvm::ArrayRef<double>(value.values));
        else {
          std::vector<float> narrow(value.values.begin(), value.values.end());
          data = DenseElementsAttr::get(type, llvm::ArrayRef<float>(narrow));
        }
        value.tensor = mb.newParam(
            name, value.shape, element, "data",
            statistics.contains(t.name()) ? nn::Role::Buffer : nn::Role::Param, call.getLoc(),
            {mb.builder.getNamedAttr(nn::NNDialect::kInitDataAttrName, data)});
      }
      value.values.clear();
    } else {
      value.known = true;
    }
    values[t.name()] = std::move(value);
  }
  return true;
}

const OnnxValue *Importer::input(int index, bool optional) {
  if (index >= node->input_size() || node->input(index).empty()) {
    if (!optional)
      fail("input " + std::to_string(index) + " is missing");
    return nullptr;
  }
  auto it = values.find(node->input(index));
  if (it == values.end()) {
    fail("input '" + node->input(index) + "' is computed by no earlier node");
    return nullptr;
  }
  return &it->second;
}

Value Importer::tensorOf(const OnnxValue &v) {
  if (v.tensor)
    return v.tensor;
  // A known value used by the program: a constant of the model's float type
  // (or i32 for integers).
  mlir::Type element = v.boolean   ? mlir::Type(mb.builder.getI1Type())
                       : v.integer ? mlir::Type(mb.builder.getI32Type())
                                   : floatType();
  auto type = RankedTensorType::get(v.shape, element);
  DenseElementsAttr attr;
  if (v.boolean) {
    llvm::SmallVector<bool> bits;
    for (double x : v.values)
      bits.push_back(x != 0);
    attr = DenseElementsAttr::get(type, llvm::ArrayRef<bool>(bits));
  } else if (v.integer) {
    std::vector<int32_t> ints;
    for (double x : v.values) {
      if (x < INT32_MIN || x > INT32_MAX) {
        fail("the integer " + std::to_string(toInt64(x)) +
             " does not fit the program's i32");
        return Value();
      }
      ints.push_back(static_cast<int32_t>(x));
    }
    attr = DenseElementsAttr::get(type, llvm::ArrayRef<int32_t>(ints));
  } else if (element.isF64()) {
    attr = DenseElementsAttr::get(type, llvm::ArrayRef<double>(v.values));
  } else {
    std::vector<float> narrow(v.values.begin(), v.values.end());
    attr = DenseElementsAttr::get(type, llvm::ArrayRef<float>(narrow));
  }
  return mb.builder.create<nn::ConstantOp>(mb.loc(call.getLoc()), attr);
}

Value Importer::tensorInput(int index) {
  const OnnxValue *v = input(index);
  return v ? tensorOf(*v) : Value();
}

std::optional<std::vector<int64_t>> Importer::knownInts(int index, llvm::StringRef what) {
  const OnnxValue *v = input(index);
  if (!v)
    return std::nullopt;
  if (!v->known) {
    fail(what + " must be known when the model is compiled (a constant, or computed from "
                "shapes), but is computed by the program");
    return std::nullopt;
  }
  // Known integers are held as doubles: INT64_MAX (torch's "to the end" of a
  // slice) reads back as 2^63, which saturates.
  std::vector<int64_t> ints;
  for (double x : v->values)
    ints.push_back(toInt64(x));
  return ints;
}

void Importer::define(int index, Value result) {
  if (!result) {
    failed = true;
    return;
  }
  if (index < node->output_size() && !node->output(index).empty()) {
    OnnxValue v;
    v.tensor = result;
    values[node->output(index)] = v;
  }
}

void Importer::defineKnown(int index, OnnxValue value) {
  value.known = true;
  if (index < node->output_size() && !node->output(index).empty())
    values[node->output(index)] = std::move(value);
}

const onnx::AttributeProto *Importer::attr(llvm::StringRef name) {
  for (const onnx::AttributeProto &a : node->attribute())
    if (a.name() == name)
      return &a;
  return nullptr;
}

int64_t Importer::intAttr(llvm::StringRef name, int64_t fallback) {
  const onnx::AttributeProto *a = attr(name);
  return a ? a->i() : fallback;
}

double Importer::floatAttr(llvm::StringRef name, double fallback) {
  const onnx::AttributeProto *a = attr(name);
  if (!a)
    return fallback;
  // ONNX stores float attributes in f32; the exporter's value was almost
  // always a short decimal (torch's eps=1e-5, momentum=0.1), which is the
  // shortest decimal that rounds to the same f32. An f32 program computes
  // with the same f32; an f64 one with that decimal, as PyTorch in float64.
  return shortestDecimal(a->f());
}

std::optional<std::vector<int64_t>> Importer::intsAttr(llvm::StringRef name) {
  const onnx::AttributeProto *a = attr(name);
  if (!a)
    return std::nullopt;
  return std::vector<int64_t>(a->ints().begin(), a->ints().end());
}

std::optional<int64_t> Importer::axisOf(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= std::max<int64_t>(rank, 1)) {
    fail("axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank));
    return std::nullopt;
  }
  return axis < 0 ? axis + rank : axis;
}

bool Importer::elementwiseBinary(llvm::StringRef type) {
  const OnnxValue *a = input(0), *b = input(1);
  if (!a || !b)
    return false;
  if (a->known && b->known && type != "Pow") {
    // Folded, with NumPy broadcasting of equal ranks or scalars only.
    if (a->values.size() == b->values.size() || a->values.size() == 1 ||
        b->values.size() == 1) {
      OnnxValue r;
      r.integer = a->integer && b->integer;
      r.shape = a->values.size() >= b->values.size() ? a->shape : b->shape;
      size_t n = std::max(a->values.size(), b->values.size());
      for (size_t i = 0; i < n; ++i) {
        double x = a->values[a->values.size() == 1 ? 0 : i];
        double y = b->values[b->values.size() == 1 ? 0 : i];
        double z = type == "Add" ? x + y : type == "Sub" ? x - y : type == "Mul" ? x * y
                   : r.integer ? std::trunc(x / y) : x / y;
        r.values.push_back(z);
      }
      defineKnown(0, std::move(r));
      return true;
    }
  }
  Value x = tensorOf(*a), y = tensorOf(*b);
  if (!x || !y)
    return false;
  Value r = type == "Add"   ? create<nn::AddOp>(x, y)
            : type == "Sub" ? create<nn::SubOp>(x, y)
            : type == "Mul" ? create<nn::MulOp>(x, y)
            : type == "Div" ? create<nn::DivOp>(x, y)
                            : create<nn::PowOp>(x, y);
  define(0, r);
  return r != nullptr;
}

/// Gemm: Y = alpha · op(A) · op(B) + beta · C.
bool Importer::gemm() {
  Value a = tensorInput(0), b = tensorInput(1);
  if (!a || !b)
    return false;
  const OnnxValue *c = input(2, /*optional=*/true);
  const bool transA = intAttr("transA", 0) != 0, transB = intAttr("transB", 0) != 0;
  const double alpha = floatAttr("alpha", 1.0), beta = floatAttr("beta", 1.0);
  if (typeOf(a).getRank() != 2 || typeOf(b).getRank() != 2) {
    fail("Gemm multiplies matrices, got " + ModelBuilder::typeString(a.getType()) + " and " +
         ModelBuilder::typeString(b.getType()));
    return false;
  }
  Value y;
  Value bias = c ? tensorOf(*c) : Value();
  if (c && !bias)
    return false;
  // torch.nn.Linear: x · Wᵀ + b, W [out, in], b [out].
  if (!transA && transB && alpha == 1.0 && (!bias || (beta == 1.0 && typeOf(bias).getRank() == 1 &&
                                                      typeOf(bias).getDimSize(0) ==
                                                          typeOf(b).getDimSize(0)))) {
    y = create<nn::LinearOp>(a, b, bias);
    define(0, y);
    return y != nullptr;
  }
  y = create<nn::MatmulOp>(a, b, transA ? mb.builder.getUnitAttr() : UnitAttr(),
                           transB ? mb.builder.getUnitAttr() : UnitAttr());
  if (y && alpha != 1.0)
    y = create<nn::MulOp>(y, mb.scalar(floatType(), alpha, call.getLoc()));
  if (y && bias) {
    if (beta != 1.0)
      bias = create<nn::MulOp>(bias, mb.scalar(floatType(), beta, call.getLoc()));
    if (bias)
      y = create<nn::AddOp>(y, bias);
  }
  define(0, y);
  return y != nullptr;
}

bool Importer::reshapeNode() {
  Value x = tensorInput(0);
  auto target = knownInts(1, "the shape of Reshape");
  if (!x || !target)
    return false;
  ArrayRef<int64_t> from = typeOf(x).getShape();
  const bool allowZero = intAttr("allowzero", 0) != 0;
  std::vector<int64_t> shape;
  int64_t known = 1, inferred = -1;
  for (size_t i = 0; i < target->size(); ++i) {
    int64_t d = (*target)[i];
    if (d == 0 && !allowZero) {
      if (i >= from.size()) {
        fail("shape entry 0 copies dimension " + std::to_string(i) + ", which the input lacks");
        return false;
      }
      d = from[i];
    }
    if (d == -1) {
      if (inferred >= 0) {
        fail("the shape has more than one -1");
        return false;
      }
      inferred = static_cast<int64_t>(i);
      shape.push_back(1);
      continue;
    }
    if (d < 0) {
      fail("shape entry " + std::to_string(d) + " is invalid");
      return false;
    }
    known *= d;
    shape.push_back(d);
  }
  int64_t total = typeOf(x).getNumElements();
  if (inferred >= 0) {
    if (known == 0 || total % known != 0) {
      fail("cannot reshape " + ModelBuilder::typeString(x.getType()) + " with -1 in the shape");
      return false;
    }
    shape[inferred] = total / known;
  } else if (known != total) {
    fail("cannot reshape " + ModelBuilder::typeString(x.getType()) + " (" +
         std::to_string(total) + " elements) to " + std::to_string(known) + " elements");
    return false;
  }
  define(0, reshape(x, shape));
  return true;
}

/// Shape computations on known values: Shape, Gather, Unsqueeze, Squeeze,
/// Concat, Cast of integers.
bool Importer::foldKnown(llvm::StringRef type) {
  if (type == "Shape") {
    const OnnxValue *x = input(0);
    if (!x)
      return false;
    std::vector<int64_t> shape =
        x->tensor ? std::vector<int64_t>(typeOf(x->tensor).getShape().begin(),
                                         typeOf(x->tensor).getShape().end())
                  : x->shape;
    int64_t rank = static_cast<int64_t>(shape.size());
    int64_t start = intAttr("start", 0), end = intAttr("end", rank);
    start = std::clamp<int64_t>(start < 0 ? start + rank : start, 0, rank);
    end = std::clamp<int64_t>(end < 0 ? end + rank : end, 0, rank);
    OnnxValue r;
    r.integer = true;
    for (int64_t i = start; i < end; ++i)
      r.values.push_back(static_cast<double>(shape[i]));
    r.shape = {static_cast<int64_t>(r.values.size())};
    defineKnown(0, std::move(r));
    return true;
  }
  return false;
}

bool Importer::translate(const onnx::NodeProto &n) {
  node = &n;
  llvm::StringRef type = n.op_type();
  if (!n.domain().empty() && n.domain() != "ai.onnx") {
    fail("the op domain '" + n.domain() + "' is not supported");
    return false;
  }
  auto unary = [&](auto tag) -> bool {
    using OpTy = decltype(tag);
    Value x = tensorInput(0);
    if (!x)
      return false;
    define(0, mb.builder.create<OpTy>(mb.loc(call.getLoc()), x));
    return !failed;
  };
  if (type == "Relu")
    return unary(nn::ReluOp());
  if (type == "Sigmoid")
    return unary(nn::SigmoidOp());
  if (type == "Tanh")
    return unary(nn::TanhOp());
  if (type == "Exp")
    return unary(nn::ExpOp());
  if (type == "Log")
    return unary(nn::LogOp());
  if (type == "Sqrt")
    return unary(nn::SqrtOp());
  if (type == "Neg")
    return unary(nn::NegOp());
  if (type == "Abs")
    return unary(nn::AbsOp());
  if (type == "Erf")
    return unary(nn::ErfOp());
  if (type == "LeakyRelu") {
    Value x = tensorInput(0);
    if (!x)
      return false;
    define(0, mb.builder.create<nn::LeakyReluOp>(mb.loc(call.getLoc()), x,
                                                 mb.builder.getF64FloatAttr(floatAttr("alpha", 0.01))));
    return !failed;
  }
  if (type == "Add" || type == "Sub" || type == "Mul" || type == "Div" || type == "Pow")
    return elementwiseBinary(type);
  if (type == "Gemm")
    return gemm();
  if (type == "MatMul") {
    Value a = tensorInput(0), b = tensorInput(1);
    if (!a || !b)
      return false;
    if (typeOf(a).getRank() < 2 || typeOf(b).getRank() < 2) {
      fail("MatMul of a vector is not supported, got " + ModelBuilder::typeString(a.getType()) +
           " and " + ModelBuilder::typeString(b.getType()));
      return false;
    }
    define(0, create<nn::MatmulOp>(a, b, UnitAttr(), UnitAttr()));
    return !failed;
  }
  if (type == "Identity") {
    const OnnxValue *x = input(0);
    if (!x)
      return false;
    values[n.output(0)] = *x;
    return true;
  }
  if (type == "Dropout") {
    Value x = tensorInput(0);
    if (!x)
      return false;
    // Active only where the module was exported in training mode
    // (training_mode true), and only in the program's training step.
    double ratio = floatAttr("ratio", 0.5);
    if (const OnnxValue *r = input(1, true)) {
      if (!r->known || r->values.size() != 1) {
        fail("the ratio must be a constant");
        return false;
      }
      ratio = r->values[0];
    }
    bool training = false;
    if (const OnnxValue *t = input(2, true)) {
      if (!t->known || t->values.size() != 1) {
        fail("training_mode must be a constant");
        return false;
      }
      training = t->values[0] != 0;
    }
    if (ratio < 0 || ratio >= 1) {
      fail("the ratio must be in [0, 1), got " + ModelBuilder::numberString(ratio));
      return false;
    }
    if (!training || mb.mode == Mode::Eval || ratio == 0) {
      define(0, x);
      return true;
    }
    Value key = mb.rngKey(call.getLoc());
    define(0, mb.builder.create<nn::DropoutOp>(mb.loc(call.getLoc()), x, key,
                                               mb.builder.getF64FloatAttr(ratio),
                                               mb.builder.getI64IntegerAttr(mb.nextDropoutStream())));
    return true;
  }
  if (type == "Flatten") {
    Value x = tensorInput(0);
    if (!x)
      return false;
    int64_t rank = typeOf(x).getRank();
    auto axis = axisOf(intAttr("axis", 1), rank);
    if (!axis)
      return false;
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < rank; ++d)
      (d < *axis ? outer : inner) *= typeOf(x).getDimSize(d);
    define(0, reshape(x, {outer, inner}));
    return true;
  }
  if (type == "Reshape")
    return reshapeNode();
  if (type == "Transpose") {
    Value x = tensorInput(0);
    if (!x)
      return false;
    int64_t rank = typeOf(x).getRank();
    std::vector<int64_t> perm;
    if (auto given = intsAttr("perm"))
      perm = *given;
    else
      for (int64_t d = rank - 1; d >= 0; --d)
        perm.push_back(d);
    define(0, transpose(x, perm));
    return !failed;
  }
  if (type == "Softmax" || type == "LogSoftmax") {
    Value x = tensorInput(0);
    if (!x)
      return false;
    auto axis = axisOf(intAttr("axis", -1), typeOf(x).getRank());
    if (!axis)
      return false;
    auto a = mb.builder.getI64IntegerAttr(*axis);
    mlir::Location at = mb.loc(call.getLoc());
    define(0, type == "Softmax" ? Value(mb.builder.create<nn::SoftmaxOp>(at, x, a))
                                : Value(mb.builder.create<nn::LogSoftmaxOp>(at, x, a)));
    return !failed;
  }
  if (type == "Constant") {
    const onnx::AttributeProto *value = attr("value");
    OnnxValue r;
    if (value && value->has_t()) {
      if (!readTensor(value->t(), r))
        return false;
    } else if (const onnx::AttributeProto *f = attr("value_float")) {
      r.values = {f->f()};
    } else if (const onnx::AttributeProto *i = attr("value_int")) {
      r.values = {static_cast<double>(i->i())};
      r.integer = true;
    } else if (const onnx::AttributeProto *is = attr("value_ints")) {
      for (int64_t v : is->ints())
        r.values.push_back(static_cast<double>(v));
      r.shape = {static_cast<int64_t>(r.values.size())};
      r.integer = true;
    } else if (const onnx::AttributeProto *fs = attr("value_floats")) {
      for (float v : fs->floats())
        r.values.push_back(v);
      r.shape = {static_cast<int64_t>(r.values.size())};
    } else {
      fail("a Constant without a tensor, float or integer value is not supported");
      return false;
    }
    defineKnown(0, std::move(r));
    return true;
  }
  if (type == "Shape")
    return foldKnown(type);
  if (type == "Cast") {
    const OnnxValue *x = input(0);
    if (!x)
      return false;
    int64_t to = intAttr("to", 0);
    const bool toFloat = to == onnx::TensorProto::FLOAT || to == onnx::TensorProto::DOUBLE;
    const bool toInt = to == onnx::TensorProto::INT64 || to == onnx::TensorProto::INT32;
    const bool toBool = to == onnx::TensorProto::BOOL;
    if (toBool && x->tensor) {
      RankedTensorType t = typeOf(x->tensor);
      define(0, t.getElementType().isInteger(1)
                    ? x->tensor
                    : Value(mb.builder.create<nn::CastOp>(
                          mb.loc(call.getLoc()),
                          RankedTensorType::get(t.getShape(), mb.builder.getI1Type()), x->tensor)));
      return true;
    }
    if (!toFloat && !toInt) {
      fail("Cast to data type " + std::to_string(to) + " is not supported");
      return false;
    }
    if (x->known) {
      OnnxValue r = *x;
      r.integer = toInt;
      if (toInt)
        for (double &v : r.values)
          v = std::trunc(v);
      defineKnown(0, std::move(r));
      return true;
    }
    RankedTensorType t = typeOf(x->tensor);
    mlir::Type element = toFloat ? floatType() : mlir::Type(mb.builder.getI32Type());
    if (t.getElementType() == element) {
      define(0, x->tensor);
      return true;
    }
    define(0, mb.builder.create<nn::CastOp>(mb.loc(call.getLoc()),
                                            RankedTensorType::get(t.getShape(), element),
                                            x->tensor));
    return true;
  }
  if (type == "Gather") {
    const OnnxValue *data = input(0), *indices = input(1);
    if (!data || !indices)
      return false;
    if (data->tensor) {
      // An embedding: rows of a [V, D] table picked by integer ids.
      RankedTensorType table = typeOf(data->tensor);
      if (intAttr("axis", 0) != 0 || table.getRank() != 2) {
        fail("Gather of a computed tensor is supported as an embedding (axis 0 of a "
             "[V, D] table), got axis " + std::to_string(intAttr("axis", 0)) + " of " +
             ModelBuilder::typeString(table));
        return false;
      }
      Value ids = tensorOf(*indices);
      if (!ids)
        return false;
      if (!typeOf(ids).getElementType().isInteger(32)) {
        fail("the ids must be integers, got " + ModelBuilder::typeString(ids.getType()));
        return false;
      }
      mb.requireValues(ids, 0, static_cast<double>(table.getDimSize(0)), /*highOpen=*/true,
                       /*integral=*/true,
                       "the ids of '" + node->name() + "' (" + file + ", " +
                           std::to_string(table.getDimSize(0)) + " rows)");
      define(0, create<nn::GatherRowsOp>(data->tensor, ids));
      return !failed;
    }
    if (!(data->known && indices->known)) {
      fail("Gather of values the program computes is not supported");
      return false;
    }
    int64_t rank = static_cast<int64_t>(data->shape.size());
    auto axis = axisOf(intAttr("axis", 0), rank);
    if (!axis)
      return false;
    if (rank != 1) {
      fail("Gather folds only 1-D shape values");
      return false;
    }
    OnnxValue r;
    r.integer = data->integer;
    r.shape = indices->shape;
    for (double i : indices->values) {
      int64_t k = toInt64(i);
      if (k < 0)
        k += data->shape[0];
      if (k < 0 || k >= data->shape[0]) {
        fail("index " + std::to_string(toInt64(i)) + " is out of range");
        return false;
      }
      r.values.push_back(data->values[k]);
    }
    defineKnown(0, std::move(r));
    return true;
  }
  if (type == "Unsqueeze" || type == "Squeeze") {
    const OnnxValue *x = input(0);
    if (!x)
      return false;
    std::vector<int64_t> axes;
    if (loaded.opset >= 13 && node->input_size() > 1 && !node->input(1).empty()) {
      auto given = knownInts(1, "the axes of " + type.str());
      if (!given)
        return false;
      axes = *given;
    } else if (auto given = intsAttr("axes")) {
      axes = *given;
    }
    std::vector<int64_t> shape =
        x->tensor ? std::vector<int64_t>(typeOf(x->tensor).getShape().begin(),
                                         typeOf(x->tensor).getShape().end())
                  : x->shape;
    std::vector<int64_t> out;
    if (type == "Unsqueeze") {
      int64_t rank = static_cast<int64_t>(shape.size() + axes.size());
      std::vector<bool> inserted(rank, false);
      for (int64_t a : axes) {
        auto axis = axisOf(a, rank);
        if (!axis)
          return false;
        inserted[*axis] = true;
      }
      size_t next = 0;
      for (int64_t d = 0; d < rank; ++d)
        out.push_back(inserted[d] ? 1 : shape[next++]);
    } else {
      int64_t rank = static_cast<int64_t>(shape.size());
      std::vector<bool> removed(rank, axes.empty());
      for (int64_t a : axes) {
        auto axis = axisOf(a, rank);
        if (!axis)
          return false;
        removed[*axis] = true;
      }
      for (int64_t d = 0; d < rank; ++d)
        if (!(removed[d] && shape[d] == 1))
          out.push_back(shape[d]);
    }
    if (x->known) {
      OnnxValue r = *x;
      r.shape = out;
      defineKnown(0, std::move(r));
      return true;
    }
    define(0, reshape(x->tensor, out));
    return true;
  }
  if (type == "Concat") {
    std::vector<const OnnxValue *> parts;
    bool allKnown = true;
    for (int i = 0; i < n.input_size(); ++i) {
      const OnnxValue *v = input(i);
      if (!v)
        return false;
      allKnown &= v->known;
      parts.push_back(v);
    }
    if (allKnown) {
      OnnxValue r;
      r.integer = true;
      for (const OnnxValue *v : parts) {
        if (v->shape.size() != 1) {
          fail("Concat folds only 1-D shape values");
          return false;
        }
        r.integer &= v->integer;
        r.values.insert(r.values.end(), v->values.begin(), v->values.end());
      }
      r.shape = {static_cast<int64_t>(r.values.size())};
      defineKnown(0, std::move(r));
      return true;
    }
    SmallVector<Value> tensors;
    for (const OnnxValue *v : parts) {
      Value t = tensorOf(*v);
      if (!t)
        return false;
      tensors.push_back(t);
    }
    auto axis = axisOf(intAttr("axis", 0), typeOf(tensors.front()).getRank());
    if (!axis)
      return false;
    define(0, create<nn::ConcatOp>(ValueRange(tensors), mb.builder.getI64IntegerAttr(*axis)));
    return !failed;
  }
  if (type == "ReduceMean" || type == "ReduceSum" || type == "ReduceMax") {
    Value x = tensorInput(0);
    if (!x)
      return false;
    int64_t rank = typeOf(x).getRank();
    std::vector<int64_t> axes;
    if (type == "ReduceSum" && loaded.opset >= 13) {
      if (node->input_size() > 1 && !node->input(1).empty()) {
        auto given = knownInts(1, "the axes of ReduceSum");
        if (!given)
          return false;
        axes = *given;
      }
    } else if (auto given = intsAttr("axes")) {
      axes = *given;
    }
    if (axes.empty()) {
      if (intAttr("noop_with_empty_axes", 0)) {
        define(0, x);
        return true;
      }
      for (int64_t d = 0; d < rank; ++d)
        axes.push_back(d);
    }
    for (int64_t &a : axes) {
      auto axis = axisOf(a, rank);
      if (!axis)
        return false;
      a = *axis;
    }
    llvm::sort(axes);
    auto axesAttr = mb.builder.getDenseI64ArrayAttr(axes);
    auto keep = mb.builder.getBoolAttr(intAttr("keepdims", 1) != 0);
    define(0, type == "ReduceMean"  ? create<nn::ReduceMeanOp>(x, axesAttr, keep)
              : type == "ReduceSum" ? create<nn::ReduceSumOp>(x, axesAttr, keep)
                                    : create<nn::ReduceMaxOp>(x, axesAttr, keep));
    return !failed;
  }
  if (type == "Pad") {
    // torch.onnx writes a Pad of zeros before an average pool; padding by
    // anything else is not imported.
    const OnnxValue *x = input(0);
    auto pads = knownInts(1, "the pads of Pad");
    if (!x || !pads)
      return false;
    if (const onnx::AttributeProto *mode = attr("mode"); mode && mode->s() != "constant") {
      fail("Pad mode '" + mode->s() + "' is not supported");
      return false;
    }
    if (llvm::any_of(*pads, [](int64_t p) { return p != 0; })) {
      fail("padding by a Pad node is not supported (only pads of 0, which torch.onnx "
           "writes before an average pool)");
      return false;
    }
    values[n.output(0)] = *x;
    return true;
  }
  if (type == "Conv")
    return conv();
  if (type == "BatchNormalization")
    return batchNorm();
  if (type == "MaxPool" || type == "AveragePool")
    return pool(type == "MaxPool");
  if (type == "GlobalAveragePool") {
    Value x = tensorInput(0);
    if (!x)
      return false;
    if (typeOf(x).getRank() != 4) {
      fail("GlobalAveragePool of " + ModelBuilder::typeString(x.getType()) +
           " is not supported (NCHW only)");
      return false;
    }
    define(0, create<nn::ReduceMeanOp>(x, mb.builder.getDenseI64ArrayAttr({2, 3}),
                                       mb.builder.getBoolAttr(true)));
    return !failed;
  }
  if (type == "LayerNormalization") {
    Value x = tensorInput(0), scale = tensorInput(1);
    if (!x || !scale)
      return false;
    int64_t rank = typeOf(x).getRank();
    auto axis = axisOf(intAttr("axis", -1), rank);
    if (!axis)
      return false;
    if (*axis != rank - 1) {
      fail("LayerNormalization over more than the last axis is not supported");
      return false;
    }
    const OnnxValue *b = input(2, true);
    Value bias = b ? tensorOf(*b) : Value();
    if (b && !bias)
      return false;
    if (!bias) {
      OnnxValue zeros;
      zeros.shape = {typeOf(x).getShape().back()};
      zeros.values.assign(zeros.shape[0], 0.0);
      bias = tensorOf(zeros);
    }
    for (int i = 1; i < node->output_size(); ++i)
      if (!node->output(i).empty()) {
        fail("the mean and inverse standard deviation outputs are not supported");
        return false;
      }
    define(0, create<nn::LayerNormOp>(x, scale, bias,
                                      mb.builder.getF64FloatAttr(floatAttr("epsilon", 1e-5))));
    return !failed;
  }
  if (type == "Sign")
    return unary(nn::SignOp());
  if (type == "Softplus")
    return unary(nn::SoftplusOp());
  if (type == "Reciprocal") {
    Value x = tensorInput(0);
    if (!x)
      return false;
    define(0, create<nn::DivOp>(mb.scalar(typeOf(x).getElementType(), 1.0, call.getLoc()), x));
    return !failed;
  }
  if (type == "Max" || type == "Min") {
    // Variadic: folded left to right.
    Value r = tensorInput(0);
    for (int i = 1; r && i < n.input_size(); ++i) {
      Value next = tensorInput(i);
      if (!next)
        return false;
      r = type == "Max" ? create<nn::MaximumOp>(r, next) : create<nn::MinimumOp>(r, next);
    }
    define(0, r);
    return !failed;
  }
  if (type == "Equal" || type == "Less" || type == "LessOrEqual" || type == "Greater" ||
      type == "GreaterOrEqual")
    return compare(type);
  if (type == "Not") {
    fail("Not is supported only of an Equal whose result nothing else reads (a != b)");
    return false;
  }
  if (type == "Where") {
    Value cond = tensorInput(0), a = tensorInput(1), b = tensorInput(2);
    if (!cond || !a || !b)
      return false;
    if (!typeOf(cond).getElementType().isInteger(1)) {
      fail("the condition must be bool, got " + ModelBuilder::typeString(cond.getType()));
      return false;
    }
    define(0, create<nn::SelectOp>(cond, a, b));
    return !failed;
  }
  if (type == "Expand")
    return expand();
  if (type == "ConstantOfShape")
    return constantOfShape();
  if (type == "LSTM" || type == "GRU")
    return recurrent(type == "LSTM");
  if (type == "Slice")
    return slice();
  if (type == "Split")
    return split();
  if (type == "ArgMax") {
    Value x = tensorInput(0);
    if (!x)
      return false;
    auto axis = axisOf(intAttr("axis", 0), typeOf(x).getRank());
    if (!axis)
      return false;
    if (intAttr("select_last_index", 0) != 0) {
      fail("select_last_index is not supported (ties go to the first index, as torch.argmax)");
      return false;
    }
    Value r = create<nn::ArgmaxOp>(x, mb.builder.getI64IntegerAttr(*axis));
    if (r && intAttr("keepdims", 1) != 0) {
      std::vector<int64_t> shape(typeOf(x).getShape().begin(), typeOf(x).getShape().end());
      shape[*axis] = 1;
      r = reshape(r, shape);
    }
    define(0, r);
    return !failed;
  }
  fail("is not supported");
  return false;
}

bool Importer::compare(llvm::StringRef type) {
  Value a = tensorInput(0), b = tensorInput(1);
  if (!a || !b)
    return false;
  if (typeOf(a).getElementType() != typeOf(b).getElementType() ||
      typeOf(a).getElementType().isInteger(1)) {
    fail("compares numbers of one type, got " + ModelBuilder::typeString(a.getType()) + " and " +
         ModelBuilder::typeString(b.getType()));
    return false;
  }
  nn::CmpPredicate predicate = type == "Equal"         ? nn::CmpPredicate::eq
                               : type == "Less"        ? nn::CmpPredicate::lt
                               : type == "LessOrEqual" ? nn::CmpPredicate::le
                               : type == "Greater"     ? nn::CmpPredicate::gt
                                                       : nn::CmpPredicate::ge;
  define(0, create<nn::CompareOp>(nn::CmpPredicateAttr::get(mb.builder.getContext(), predicate),
                                  a, b));
  return !failed;
}

/// ConstantOfShape: a known tensor of the shape, every element `value` (a
/// float 0 by default), as torch writes the zero state of a recurrent layer.
bool Importer::constantOfShape() {
  auto shape = knownInts(0, "the shape of ConstantOfShape");
  if (!shape)
    return false;
  OnnxValue r;
  double fill = 0.0;
  if (const onnx::AttributeProto *a = attr("value"); a && a->has_t()) {
    OnnxValue v;
    if (!readTensor(a->t(), v))
      return false;
    if (v.values.size() != 1) {
      fail("the value must be one element");
      return false;
    }
    fill = v.values[0];
    r.integer = v.integer;
    r.boolean = v.boolean;
  }
  int64_t count = 1;
  for (int64_t d : *shape) {
    if (d < 0 || (d > 0 && count > kMaxKnownElements / d)) {
      fail("the shape is negative, or too large for a value known when the model is "
           "compiled (more than " + std::to_string(kMaxKnownElements) + " elements)");
      return false;
    }
    count *= d;
  }
  r.shape = *shape;
  r.values.assign(static_cast<size_t>(count), fill);
  defineKnown(0, std::move(r));
  return true;
}

/// LSTM and GRU as torch.onnx.export writes nn.LSTM / nn.GRU (one node per
/// layer, forward, the default activations, a zero initial state): one
/// nn.lstm / nn.gru over [B, T, in], the weights reordered from ONNX's gate
/// order (LSTM i, o, f, c; GRU z, r, h) to PyTorch's (i, f, g, o; r, z, n).
bool Importer::recurrent(bool lstm) {
  const int64_t gates = lstm ? 4 : 3;
  const int64_t hidden = intAttr("hidden_size", 0);
  if (hidden <= 0) {
    fail("hidden_size must be given and positive");
    return false;
  }
  if (const onnx::AttributeProto *d = attr("direction"); d && d->s() != "forward") {
    fail("direction '" + d->s() + "' is not supported (only forward layers: "
         "bidirectional=False)");
    return false;
  }
  if (const onnx::AttributeProto *a = attr("activations")) {
    std::vector<std::string> want = lstm ? std::vector<std::string>{"Sigmoid", "Tanh", "Tanh"}
                                         : std::vector<std::string>{"Sigmoid", "Tanh"};
    if (std::vector<std::string>(a->strings().begin(), a->strings().end()) != want) {
      fail("activations other than the default are not supported");
      return false;
    }
  }
  if (attr("clip") || (lstm && intAttr("input_forget", 0) != 0)) {
    fail("clip and input_forget are not supported");
    return false;
  }
  if (!lstm && intAttr("linear_before_reset", 0) != 1) {
    fail("a GRU with linear_before_reset 0 is not supported (torch.nn.GRU exports 1)");
    return false;
  }
  const bool batchFirst = intAttr("layout", 0) == 1;
  Value x = tensorInput(0), w = tensorInput(1), r = tensorInput(2);
  if (!x || !w || !r)
    return false;
  RankedTensorType xt = typeOf(x);
  if (xt.getRank() != 3) {
    fail("the input must be [T, B, features], got " + ModelBuilder::typeString(xt));
    return false;
  }
  const int64_t features = xt.getDimSize(2);
  const int64_t rows = gates * hidden;
  auto expect = [&](Value v, llvm::ArrayRef<int64_t> shape, llvm::StringRef what) {
    if (typeOf(v).getShape() == shape)
      return true;
    fail(what + " must be " +
         ModelBuilder::typeString(RankedTensorType::get(shape, floatType())) + ", got " +
         ModelBuilder::typeString(v.getType()) + " (one direction)");
    return false;
  };
  if (!expect(w, {1, rows, features}, "W") || !expect(r, {1, rows, hidden}, "R"))
    return false;
  if (input(4, true)) {
    fail("sequence_lens is not supported (every sequence runs all T steps)");
    return false;
  }
  if (lstm && input(7, true)) {
    fail("peepholes (P) are not supported");
    return false;
  }
  for (int i : {5, 6}) {
    if (i == 6 && !lstm)
      break;
    const OnnxValue *state = input(i, true);
    if (state && !(state->known && llvm::all_of(state->values, [](double v) { return v == 0; }))) {
      fail(std::string(i == 5 ? "initial_h" : "initial_c") +
           " must be zeros (a layer called without a state)");
      return false;
    }
  }
  const int64_t outputs = node->output_size();
  if (lstm && outputs > 2 && !node->output(2).empty() && useCounts[node->output(2)] > 0) {
    fail("the last cell state Y_c is not supported (the output and Y_h are)");
    return false;
  }
  mlir::Type element = typeOf(w).getElementType();
  auto slice = [&](Value v, llvm::ArrayRef<int64_t> start, llvm::ArrayRef<int64_t> size) {
    return Value(mb.builder.create<nn::SliceOp>(mb.loc(call.getLoc()),
                                                RankedTensorType::get(size, element), v,
                                                mb.builder.getDenseI64ArrayAttr(start)));
  };
  // PyTorch's gate k is ONNX's gate order[k].
  const std::vector<int64_t> order = lstm ? std::vector<int64_t>{0, 2, 3, 1}
                                          : std::vector<int64_t>{1, 0, 2};
  auto torchOrder = [&](Value m) {
    RankedTensorType t = typeOf(m);
    SmallVector<Value> blocks;
    for (int64_t k : order) {
      SmallVector<int64_t> start(t.getRank(), 0), size(t.getShape());
      start[0] = k * hidden;
      size[0] = hidden;
      blocks.push_back(slice(m, start, size));
    }
    return create<nn::ConcatOp>(ValueRange(blocks), mb.builder.getI64IntegerAttr(0));
  };
  Value wIh = torchOrder(reshape(w, {rows, features}));
  Value wHh = torchOrder(reshape(r, {rows, hidden}));
  Value bIh, bHh;
  if (const OnnxValue *b = input(3, true)) {
    Value bias = tensorOf(*b);
    if (!bias || !expect(bias, {1, 2 * rows}, "B"))
      return false;
    Value flat = reshape(bias, {2 * rows});
    bIh = torchOrder(slice(flat, {0}, {rows}));
    bHh = torchOrder(slice(flat, {rows}, {rows}));
  } else {
    OnnxValue zeros;
    zeros.shape = {rows};
    zeros.values.assign(rows, 0.0);
    bIh = tensorOf(zeros);
    bHh = tensorOf(zeros);
  }
  if (!wIh || !wHh || !bIh || !bHh)
    return false;
  Value sequences = batchFirst ? x : transpose(x, {1, 0, 2});
  Operation *op = lstm ? mb.create<nn::LstmOp>(call.getLoc(), 3, sequences, wIh, wHh, bIh, bHh)
                       : mb.create<nn::GruOp>(call.getLoc(), 2, sequences, wIh, wHh, bIh, bHh);
  if (!op) {
    failed = true;
    return false;
  }
  Value y = op->getResult(0); // [B, T, H]
  const int64_t batch = typeOf(sequences).getDimSize(0), steps = typeOf(sequences).getDimSize(1);
  // Y: [T, 1, B, H] (layout 1: [B, T, 1, H]).
  define(0, batchFirst ? reshape(y, {batch, steps, 1, hidden})
                       : reshape(transpose(y, {1, 0, 2}), {steps, 1, batch, hidden}));
  // Y_h: the last step, [1, B, H] (layout 1: [B, 1, H]).
  if (outputs > 1 && !node->output(1).empty()) {
    Value last = slice(y, {0, steps - 1, 0}, {batch, 1, hidden});
    define(1, batchFirst ? last : reshape(last, {1, batch, hidden}));
  }
  return !failed;
}

/// Expand: NumPy broadcasting of the input and the shape, both ways.
bool Importer::expand() {
  Value x = tensorInput(0);
  auto shape = knownInts(1, "the shape of Expand");
  if (!x || !shape)
    return false;
  auto target = nn::broadcastShapes(typeOf(x).getShape(), *shape);
  if (!target || llvm::any_of(*target, [](int64_t d) { return d <= 0; })) {
    fail("cannot expand " + ModelBuilder::typeString(x.getType()) + " to the shape given");
    return false;
  }
  auto type = RankedTensorType::get(*target, typeOf(x).getElementType());
  if (type == x.getType()) {
    define(0, x);
    return true;
  }
  define(0, mb.builder.create<nn::BroadcastToOp>(mb.loc(call.getLoc()), type, x));
  return !failed;
}

/// Slice with unit steps, its starts, ends and axes known (ONNX's clamping
/// of out-of-range indices); a slice of a known 1-D value (a shape) folds.
bool Importer::slice() {
  const OnnxValue *x = input(0);
  auto starts = knownInts(1, "the starts of Slice");
  auto ends = knownInts(2, "the ends of Slice");
  if (!x || !starts || !ends)
    return false;
  std::vector<int64_t> shape =
      x->tensor ? std::vector<int64_t>(typeOf(x->tensor).getShape().begin(),
                                       typeOf(x->tensor).getShape().end())
                : x->shape;
  const int64_t rank = static_cast<int64_t>(shape.size());
  std::vector<int64_t> axes;
  if (const OnnxValue *a = input(3, true)) {
    auto given = knownInts(3, "the axes of Slice");
    if (!given)
      return false;
    axes = *given;
    (void)a;
  } else {
    for (size_t i = 0; i < starts->size(); ++i)
      axes.push_back(static_cast<int64_t>(i));
  }
  std::vector<int64_t> steps(axes.size(), 1);
  if (input(4, true)) {
    auto given = knownInts(4, "the steps of Slice");
    if (!given)
      return false;
    steps = *given;
  }
  if (starts->size() != axes.size() || ends->size() != axes.size() ||
      steps.size() != axes.size()) {
    fail("starts, ends, axes and steps differ in length");
    return false;
  }
  std::vector<int64_t> start(rank, 0), size = shape;
  for (size_t i = 0; i < axes.size(); ++i) {
    auto axis = axisOf(axes[i], rank);
    if (!axis)
      return false;
    if (steps[i] != 1) {
      fail("steps other than 1 are not supported");
      return false;
    }
    const int64_t dim = shape[*axis];
    auto clampIndex = [&](int64_t v) {
      if (v < 0)
        v += dim;
      return std::clamp<int64_t>(v, 0, dim);
    };
    int64_t b = clampIndex((*starts)[i]), e = clampIndex((*ends)[i]);
    if (e <= b) {
      fail("the slice of axis " + std::to_string(*axis) + " is empty");
      return false;
    }
    start[*axis] = b;
    size[*axis] = e - b;
  }
  if (x->known) {
    // Row-major, every index of the result in turn.
    std::vector<int64_t> strides(rank, 1);
    for (int64_t d = rank - 2; d >= 0; --d)
      strides[d] = strides[d + 1] * shape[d + 1];
    int64_t count = 1;
    for (int64_t d : size)
      count *= d;
    OnnxValue r;
    r.integer = x->integer;
    r.boolean = x->boolean;
    r.shape = size;
    r.values.reserve(static_cast<size_t>(count));
    std::vector<int64_t> index(rank, 0);
    for (int64_t n = 0; n < count; ++n) {
      int64_t offset = 0;
      for (int64_t d = 0; d < rank; ++d)
        offset += (start[d] + index[d]) * strides[d];
      r.values.push_back(x->values[static_cast<size_t>(offset)]);
      for (int64_t d = rank - 1; d >= 0; --d) {
        if (++index[d] < size[d])
          break;
        index[d] = 0;
      }
    }
    defineKnown(0, std::move(r));
    return true;
  }
  if (size == shape) {
    define(0, x->tensor);
    return true;
  }
  auto type = RankedTensorType::get(size, typeOf(x->tensor).getElementType());
  define(0, mb.builder.create<nn::SliceOp>(mb.loc(call.getLoc()), type, x->tensor,
                                           mb.builder.getDenseI64ArrayAttr(start)));
  return !failed;
}

/// Split along one axis into the parts `split` gives (an input since opset
/// 13), or into equal parts, one per output.
bool Importer::split() {
  Value x = tensorInput(0);
  if (!x)
    return false;
  RankedTensorType type = typeOf(x);
  auto axis = axisOf(intAttr("axis", 0), type.getRank());
  if (!axis)
    return false;
  const int64_t extent = type.getDimSize(*axis);
  const int64_t parts = node->output_size();
  std::vector<int64_t> sizes;
  if (input(1, true)) {
    auto given = knownInts(1, "the split of Split");
    if (!given)
      return false;
    sizes = *given;
  } else if (auto given = intsAttr("split")) {
    sizes = *given;
  } else {
    if (parts == 0 || extent % parts != 0) {
      fail("cannot split " + std::to_string(extent) + " into " + std::to_string(parts) +
           " equal parts");
      return false;
    }
    sizes.assign(parts, extent / parts);
  }
  int64_t total = 0;
  for (int64_t size : sizes) {
    if (size <= 0) {
      fail("the parts of a split must not be empty");
      return false;
    }
    total += size;
  }
  if (static_cast<int64_t>(sizes.size()) != parts || total != extent) {
    fail("the split's parts do not cover axis " + std::to_string(*axis) + " (" +
         std::to_string(extent) + ") with " + std::to_string(parts) + " outputs");
    return false;
  }
  int64_t offset = 0;
  for (int64_t i = 0; i < parts; ++i) {
    SmallVector<int64_t> start(type.getRank(), 0), shape(type.getShape());
    start[*axis] = offset;
    shape[*axis] = sizes[i];
    offset += sizes[i];
    if (parts == 1) {
      define(0, x);
      continue;
    }
    define(static_cast<int>(i),
           mb.builder.create<nn::SliceOp>(mb.loc(call.getLoc()),
                                          RankedTensorType::get(shape, type.getElementType()),
                                          x, mb.builder.getDenseI64ArrayAttr(start)));
  }
  return !failed;
}

/// Pads, strides and dilations of a 2-D window op, as nn's symmetric ones.
std::optional<std::pair<std::vector<int64_t>, std::vector<int64_t>>>
Importer::window2d(llvm::ArrayRef<int64_t> kernel) {
  if (kernel.size() != 2) {
    fail("only 2-D windows (NCHW) are supported");
    return std::nullopt;
  }
  if (const onnx::AttributeProto *a = attr("auto_pad"); a && a->s() != "NOTSET") {
    fail("auto_pad " + a->s() + " is not supported (export with explicit pads)");
    return std::nullopt;
  }
  std::vector<int64_t> strides = intsAttr("strides").value_or(std::vector<int64_t>{1, 1});
  std::vector<int64_t> pads = intsAttr("pads").value_or(std::vector<int64_t>{0, 0, 0, 0});
  std::vector<int64_t> dilations =
      intsAttr("dilations").value_or(std::vector<int64_t>{1, 1});
  if (strides.size() != 2 || pads.size() != 4 || dilations.size() != 2) {
    fail("strides, pads or dilations do not fit a 2-D window");
    return std::nullopt;
  }
  if (dilations[0] != 1 || dilations[1] != 1) {
    fail("dilations other than 1 are not supported");
    return std::nullopt;
  }
  if (pads[0] != pads[2] || pads[1] != pads[3]) {
    fail("pads differ before and after (" + std::to_string(pads[0]) + ", " +
         std::to_string(pads[1]) + ", " + std::to_string(pads[2]) + ", " +
         std::to_string(pads[3]) + "): only symmetric padding is supported");
    return std::nullopt;
  }
  return std::make_pair(strides, std::vector<int64_t>{pads[0], pads[1]});
}

bool Importer::conv() {
  Value x = tensorInput(0), w = tensorInput(1);
  if (!x || !w)
    return false;
  const OnnxValue *b = input(2, true);
  Value bias = b ? tensorOf(*b) : Value();
  if (b && !bias)
    return false;
  if (intAttr("group", 1) != 1) {
    fail("grouped convolutions (group " + std::to_string(intAttr("group", 1)) +
         ") are not supported");
    return false;
  }
  if (typeOf(w).getRank() != 4) {
    fail("only 2-D convolutions are supported, the weight is " +
         ModelBuilder::typeString(w.getType()));
    return false;
  }
  auto window = window2d(typeOf(w).getShape().drop_front(2));
  if (!window)
    return false;
  define(0, create<nn::Conv2DOp>(x, w, bias, mb.builder.getDenseI64ArrayAttr(window->first),
                                 mb.builder.getDenseI64ArrayAttr(window->second)));
  return !failed;
}

bool Importer::pool(bool max) {
  Value x = tensorInput(0);
  if (!x)
    return false;
  auto kernel = intsAttr("kernel_shape");
  if (!kernel) {
    fail("kernel_shape is missing");
    return false;
  }
  if (intAttr("ceil_mode", 0) != 0) {
    fail("ceil_mode is not supported");
    return false;
  }
  if (!max && intAttr("count_include_pad", 0) == 0) {
    const std::vector<int64_t> pads = intsAttr("pads").value_or(std::vector<int64_t>{});
    if (llvm::any_of(pads, [](int64_t p) { return p != 0; })) {
      fail("an average that leaves the padding out (count_include_pad 0) is not "
           "supported; torch.nn.AvgPool2d's default counts it");
      return false;
    }
  }
  if (node->output_size() > 1 && !node->output(1).empty()) {
    fail("MaxPool's indices output is not supported");
    return false;
  }
  auto window = window2d(*kernel);
  if (!window)
    return false;
  auto k = mb.builder.getDenseI64ArrayAttr(*kernel);
  auto st = mb.builder.getDenseI64ArrayAttr(window->first);
  auto pad = mb.builder.getDenseI64ArrayAttr(window->second);
  define(0, max ? create<nn::MaxPool2DOp>(x, k, st, pad) : create<nn::AvgPool2DOp>(x, k, st, pad));
  return !failed;
}

bool Importer::batchNorm() {
  Value x = tensorInput(0), scale = tensorInput(1), bias = tensorInput(2);
  if (!x || !scale || !bias)
    return false;
  const OnnxValue *mean = input(3), *var = input(4);
  if (!mean || !var)
    return false;
  if (!mean->tensor || !var->tensor || !statistics.contains(node->input(3)) ||
      !statistics.contains(node->input(4))) {
    fail("the running mean and variance must be initializers");
    return false;
  }
  const double eps = floatAttr("epsilon", 1e-5);
  // ONNX's momentum weighs the running statistic, torch's the batch's.
  const double momentum = 1.0 - floatAttr("momentum", 0.9);
  const bool training = intAttr("training_mode", 0) != 0;
  auto epsAttr = mb.builder.getF64FloatAttr(eps);
  if (!training || mb.mode == Mode::Eval) {
    define(0, create<nn::BatchNormEvalOp>(x, scale, bias, mean->tensor, var->tensor, epsAttr));
    return !failed;
  }
  Operation *op = mb.create<nn::BatchNormTrainOp>(
      call.getLoc(), 5, x, scale, bias, mean->tensor, var->tensor, epsAttr,
      mb.builder.getF64FloatAttr(shortestDecimal(static_cast<float>(momentum))));
  if (!op) {
    failed = true;
    return false;
  }
  const std::string prefix = mb.instancePrefix();
  mb.addResult(op->getResult(3), nn::Role::BufferUpdate, prefix + node->input(3));
  mb.addResult(op->getResult(4), nn::Role::BufferUpdate, prefix + node->input(4));
  define(0, op->getResult(0));
  return true;
}

/// The value of a one-element float tensor.
std::optional<double> scalarOf(const onnx::TensorProto &t) {
  for (int64_t d : t.dims())
    if (d != 1)
      return std::nullopt;
  if (t.data_type() == onnx::TensorProto::FLOAT) {
    if (t.has_raw_data() && t.raw_data().size() == 4) {
      float v;
      std::memcpy(&v, t.raw_data().data(), 4);
      return v;
    }
    if (t.float_data_size() == 1)
      return t.float_data(0);
  } else if (t.data_type() == onnx::TensorProto::DOUBLE) {
    if (t.has_raw_data() && t.raw_data().size() == 8) {
      double v;
      std::memcpy(&v, t.raw_data().data(), 8);
      return v;
    }
    if (t.double_data_size() == 1)
      return t.double_data(0);
  }
  return std::nullopt;
}

void Importer::findPatterns() {
  const onnx::GraphProto &graph = loaded.model.graph();
  std::map<std::string, const onnx::NodeProto *> producer;
  std::map<std::string, int> uses;
  std::map<std::string, const onnx::TensorProto *> initializers;
  for (const onnx::TensorProto &t : graph.initializer())
    initializers[t.name()] = &t;
  for (const onnx::NodeProto &n : graph.node()) {
    for (const std::string &out : n.output())
      producer[out] = &n;
    for (const std::string &in : n.input())
      ++uses[in];
  }
  for (const onnx::ValueInfoProto &out : graph.output())
    ++uses[out.name()];
  useCounts = uses;
  auto scalar = [&](const std::string &name) -> std::optional<double> {
    if (auto it = initializers.find(name); it != initializers.end())
      return scalarOf(*it->second);
    auto it = producer.find(name);
    if (it == producer.end() || it->second->op_type() != "Constant")
      return std::nullopt;
    for (const onnx::AttributeProto &a : it->second->attribute()) {
      if (a.name() == "value" && a.has_t())
        return scalarOf(a.t());
      if (a.name() == "value_float")
        return a.f();
    }
    return std::nullopt;
  };
  // An f64 program fuses only constants stored in f64: GELU's √2 rounded to
  // f32 is another function in f64, which the nodes one by one compute.
  const double tolerance = floatType().isF64() ? 1e-15 : 1e-6;
  auto near = [&](std::optional<double> v, double want) {
    return v && std::abs(*v - want) <= tolerance * std::abs(want);
  };
  // The node computing `name`, when it is of `type`, of the default
  // domain, in no other pattern, and `name` has no other use.
  auto single = [&](const std::string &name, llvm::StringRef type) -> const onnx::NodeProto * {
    auto it = producer.find(name);
    if (it == producer.end() || it->second->op_type() != type || uses[name] != 1 ||
        !(it->second->domain().empty() || it->second->domain() == "ai.onnx") ||
        fusedInner.count(it->second) || fusedRoots.count(it->second))
      return nullptr;
    return it->second;
  };
  // 1 + erf(x / √2) (or erf(x · 1/√2)), computed as `name`.
  auto erfPlusOne = [&](const std::string &name, const std::string &x,
                        std::vector<const onnx::NodeProto *> &nodes) {
    const onnx::NodeProto *add = single(name, "Add");
    if (!add || add->input_size() != 2)
      return false;
    for (int k = 0; k < 2; ++k) {
      if (!near(scalar(add->input(1 - k)), 1.0))
        continue;
      const onnx::NodeProto *erf = single(add->input(k), "Erf");
      if (!erf)
        continue;
      const onnx::NodeProto *div = single(erf->input(0), "Div");
      const onnx::NodeProto *mul = single(erf->input(0), "Mul");
      const bool divides = div && div->input(0) == x && near(scalar(div->input(1)), M_SQRT2);
      bool multiplies = false;
      for (int j = 0; mul && j < 2; ++j)
        multiplies |= mul->input(j) == x && near(scalar(mul->input(1 - j)), M_SQRT1_2);
      if (divides || multiplies) {
        nodes = {add, erf, divides ? div : mul};
        return true;
      }
    }
    return false;
  };
  auto record = [&](const onnx::NodeProto &root, Fused::Kind kind, std::string x,
                    std::vector<const onnx::NodeProto *> inner, std::string y = "") {
    fusedRoots[&root] = Fused{kind, std::move(x), std::move(y)};
    fusedInner.insert(inner.begin(), inner.end());
  };
  for (const onnx::NodeProto &n : graph.node()) {
    if (!(n.domain().empty() || n.domain() == "ai.onnx"))
      continue;
    if (n.op_type() == "Mul" && n.input_size() == 2) {
      bool found = false;
      for (int side = 0; side < 2 && !found; ++side) {
        const std::string &a = n.input(side), &b = n.input(1 - side);
        std::vector<const onnx::NodeProto *> nodes;
        // GELU: (x · (1 + erf(x / √2))) · 0.5, as torch.onnx.export writes it ...
        if (near(scalar(b), 0.5))
          if (const onnx::NodeProto *m = single(a, "Mul"))
            for (int k = 0; k < 2 && !found; ++k)
              if (erfPlusOne(m->input(1 - k), m->input(k), nodes)) {
                nodes.push_back(m);
                record(n, Fused::Kind::Gelu, m->input(k), nodes);
                found = true;
              }
        // ... or (x · 0.5) · (1 + erf(x / √2)).
        if (!found)
          if (const onnx::NodeProto *h = single(a, "Mul"))
            for (int k = 0; k < 2 && !found; ++k)
              if (near(scalar(h->input(1 - k)), 0.5) && erfPlusOne(b, h->input(k), nodes)) {
                nodes.push_back(h);
                record(n, Fused::Kind::Gelu, h->input(k), nodes);
                found = true;
              }
      }
    } else if (n.op_type() == "Not" && n.input_size() == 1) {
      if (const onnx::NodeProto *equal = single(n.input(0), "Equal"))
        record(n, Fused::Kind::NotEqual, equal->input(0), {equal}, equal->input(1));
    }
  }
}

bool Importer::translateFused(const Fused &fused) {
  auto operand = [&](const std::string &name) -> Value {
    auto it = values.find(name);
    if (it == values.end()) {
      fail("input '" + name + "' is computed by no earlier node");
      return Value();
    }
    return tensorOf(it->second);
  };
  Value x = operand(fused.x);
  if (!x)
    return false;
  mlir::Location at = mb.loc(call.getLoc());
  switch (fused.kind) {
  case Fused::Kind::Gelu:
    define(0, mb.builder.create<nn::GeluOp>(at, x));
    break;
  case Fused::Kind::NotEqual: {
    Value y = operand(fused.y);
    if (!y)
      return false;
    if (typeOf(x).getElementType() != typeOf(y).getElementType() ||
        typeOf(x).getElementType().isInteger(1)) {
      fail("compares numbers of one type, got " + ModelBuilder::typeString(x.getType()) +
           " and " + ModelBuilder::typeString(y.getType()));
      return false;
    }
    define(0, create<nn::CompareOp>(
                  nn::CmpPredicateAttr::get(mb.builder.getContext(), nn::CmpPredicate::ne), x, y));
    break;
  }
  }
  return !failed;
}

std::optional<SmallVector<Value>> Importer::run(size_t expected) {
  // Every op is located at the call, named by the node it comes from.
  struct NameNodes {
    ModelBuilder &mb;
    ~NameNodes() { mb.locationName.clear(); }
  } naming{mb};
  findPatterns();
  if (!bindInputs() || !bindInitializers())
    return std::nullopt;
  for (const onnx::NodeProto &n : loaded.model.graph().node()) {
    if (fusedInner.count(&n))
      continue;
    mb.locationName = llvm::sys::path::filename(file).str() + ": node '" + n.name() + "' (" +
                      n.op_type() + ")";
    if (auto it = fusedRoots.find(&n); it != fusedRoots.end()) {
      node = &n;
      if (!translateFused(it->second) || failed)
        return std::nullopt;
      continue;
    }
    if (!translate(n) || failed)
      return std::nullopt;
  }
  node = nullptr;
  mb.locationName.clear();
  const onnx::GraphProto &graph = loaded.model.graph();
  if (expected != 0 && static_cast<size_t>(graph.output_size()) != expected) {
    std::string names;
    for (const onnx::ValueInfoProto &out : graph.output())
      names += (names.empty() ? "'" : ", '") + out.name() + "'";
    fail("the graph has " + std::to_string(graph.output_size()) + " output" +
         (graph.output_size() == 1 ? "" : "s") + " (" + names + "), but the call " +
         (expected == 1 ? "takes one (bind several with 'let a, b = " +
                              import.getName().str() + "(...)')"
                        : "binds " + std::to_string(expected)));
    return std::nullopt;
  }
  SmallVector<Value> results;
  for (const onnx::ValueInfoProto &out : graph.output()) {
    auto it = values.find(out.name());
    if (it == values.end()) {
      fail("the output '" + out.name() + "' is computed by no node");
      return std::nullopt;
    }
    Value result = tensorOf(it->second);
    if (!result)
      return std::nullopt;
    results.push_back(result);
  }
  return results;
}

/// An exception's message on one line: ONNX's print the offending node over
/// several.
std::string oneLine(const char *message) {
  std::string text;
  bool space = false;
  for (const char *c = message; *c; ++c) {
    if (*c == '\n' || *c == '\r' || *c == '\t' || *c == ' ') {
      space = !text.empty();
      continue;
    }
    if (space)
      text += ' ';
    space = false;
    text += *c;
  }
  return text;
}

/// Reads, checks and infers shapes of `path`, once for the model's entry
/// functions (each calls the graph), again when the file's bytes change.
const LoadedOnnx &load(const std::string &path) {
  static std::map<std::string, std::pair<std::string, std::unique_ptr<LoadedOnnx>>> cache;
  auto &[bytes, slot] = cache[path];
  auto fail = [&](std::string message) -> const LoadedOnnx & {
    slot = std::make_unique<LoadedOnnx>();
    slot->error = std::move(message);
    bytes.clear();
    return *slot;
  };
  uint64_t size = 0;
  if (std::error_code ec = llvm::sys::fs::file_size(path, size))
    return fail("cannot read the file: " + ec.message());
  if (size > kMaxOnnxBytes)
    return fail("the file is " + std::to_string(size) + " bytes, more than the " +
                std::to_string(kMaxOnnxBytes) + " an ONNX model can hold");
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return fail("cannot read the file: " + buffer.getError().message());
  if (slot && (*buffer)->getBuffer() == bytes)
    return *slot;
  slot = std::make_unique<LoadedOnnx>();
  bytes = (*buffer)->getBuffer().str();
  LoadedOnnx &loaded = *slot;
  if (!loaded.model.ParseFromArray((*buffer)->getBufferStart(),
                                   static_cast<int>((*buffer)->getBufferSize()))) {
    loaded.error = "not an ONNX model (the protobuf message does not parse)";
    return loaded;
  }
  try {
    onnx::checker::check_model(loaded.model);
  } catch (const std::exception &e) {
    loaded.error = "the ONNX checker refuses the model: " + oneLine(e.what());
    return loaded;
  }
  for (const onnx::OperatorSetIdProto &set : loaded.model.opset_import())
    if (set.domain().empty() || set.domain() == "ai.onnx")
      loaded.opset = set.version();
  if (loaded.opset < 13 || loaded.opset > 17) {
    loaded.error = "the model uses opset " + std::to_string(loaded.opset) +
                   "; opsets 13 to 17 are supported (torch.onnx.export(..., opset_version=17))";
    return loaded;
  }
  try {
    onnx::ShapeInferenceOptions options(/*check_type_val=*/true, /*strict_mode_val=*/1,
                                        /*data_prop_val=*/false);
    onnx::shape_inference::InferShapes(loaded.model, onnx::OpSchemaRegistry::Instance(),
                                       options);
  } catch (const std::exception &e) {
    loaded.error = "ONNX shape inference fails: " + oneLine(e.what());
    return loaded;
  }
  // Refused whole when any node is of a type this importer lacks.
  std::map<std::string, std::vector<std::string>> unsupported;
  for (const onnx::NodeProto &n : loaded.model.graph().node())
    if (!supportedOpTypes().contains(n.op_type()) || !(n.domain().empty() || n.domain() == "ai.onnx"))
      unsupported[(n.domain().empty() ? "" : n.domain() + ".") + n.op_type()].push_back(
          n.name().empty() ? "(unnamed)" : n.name());
  if (!unsupported.empty()) {
    loaded.error = std::to_string(unsupported.size()) + " op type" +
                   (unsupported.size() == 1 ? " is" : "s are") +
                   " not supported, so the graph is not imported: " +
                   describeOpTypes(unsupported) + " (docs/onnx.md lists the supported ones)";
    return loaded;
  }
  return loaded;
}

} // namespace

std::optional<SmallVector<Value>> callImportOutputs(ModelBuilder &mb, const ImportAST &import,
                                                    const CallExprAST &call, size_t expected) {
  const CallExprAST &source = import.getSource();
  const StringExprAST *file = source.getArgs().size() == 1 && source.getNamedArgs().empty()
                                  ? dyn_cast<StringExprAST>(source.getArgs()[0].get())
                                  : nullptr;
  if (!file || file->getValue().empty()) {
    mb.error(source.getLoc(), "onnx(...) takes the model file as one string: "
                              "onnx(\"net.onnx\")");
    return std::nullopt;
  }
  // Relative to the model file.
  llvm::SmallString<256> path(file->getValue());
  if (!llvm::sys::path::is_absolute(path)) {
    llvm::SmallString<256> dir(llvm::sys::path::parent_path(import.getLoc().getFilename()));
    llvm::sys::path::append(dir, path);
    path = dir;
  }
  const LoadedOnnx &loaded = load(path.str().str());
  if (!loaded.error.empty()) {
    mb.error(file->getLoc(), path.str() + ": " + loaded.error);
    return std::nullopt;
  }
  return Importer(mb, import, call, loaded, path.str().str()).run(expected);
}

Val callImport(ModelBuilder &mb, const ImportAST &import, const CallExprAST &call) {
  std::optional<SmallVector<Value>> outputs = callImportOutputs(mb, import, call, 1);
  return outputs ? Val::ofTensor(outputs->front()) : Val::poison();
}

} // namespace gradc::detail
