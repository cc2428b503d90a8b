//===- ModelBuilder.h - builds one model function from the AST -*- C++ -*-===//
//
// Internal to MLIRGen: the state of generating one function (@forward,
// @forward_eval, @forward_eval_one) from the model's statements, and the
// helpers the built-ins (Builtins.cpp) use to check and build ops.
//
//===----------------------------------------------------------------------===//

#ifndef GRADC_LIB_MLIRGEN_MODELBUILDER_H
#define GRADC_LIB_MLIRGEN_MODELBUILDER_H

#include "gradc/Dialect/NN/IR/NNOps.h"
#include "gradc/Frontend/AST.h"
#include "gradc/Frontend/Diagnostics.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace gradc::detail {

/// What an expression evaluates to: a tensor, or a compile-time number.
struct Val {
  mlir::Value tensor;
  std::optional<double> number;
  bool integer = false;
  /// Set when the value is a label declared with `classes N`.
  std::optional<int64_t> classes;
  /// An error was reported while computing it: uses stay silent.
  bool poisoned = false;

  static Val poison() {
    Val v;
    v.poisoned = true;
    return v;
  }
  static Val ofTensor(mlir::Value value) {
    Val v;
    v.tensor = value;
    return v;
  }
  static Val ofNumber(double value, bool integer) {
    Val v;
    v.number = value;
    v.integer = integer;
    return v;
  }
  bool isTensor() const { return static_cast<bool>(tensor); }
};

/// A model or block instance: where layer names come from.
struct Instance {
  std::string prefix; ///< "" for the model, "Residual_3." inside a block
  /// A later call of a block instance named before (or nested in one): its
  /// layers and params are the first call's tensors.
  bool shared = false;
  llvm::StringMap<int64_t> layerCounts;
  llvm::StringMap<int64_t> blockCounts;
  llvm::StringSet<> layerNames;
};

/// Names visible to statements; a block's scope does not see its caller's.
struct Scope {
  Scope *parent = nullptr;
  Instance *instance = nullptr;
  llvm::StringMap<Val> names;

  Val *lookup(llvm::StringRef name) {
    for (Scope *scope = this; scope; scope = scope->parent) {
      auto it = scope->names.find(name);
      if (it != scope->names.end())
        return &it->second;
    }
    return nullptr;
  }
};

enum class Mode { Train, Eval };

/// A result of the model function and its attributes.
struct ModelResult {
  mlir::Value value;
  nn::Role role;
  std::string name;
};

class ModelBuilder {
public:
  ModelBuilder(mlir::ModuleOp module, const FileAST &file, DiagnosticEngine &diag,
               int64_t batch, bool f64, Mode mode, llvm::StringRef funcName);

  /// Generates the function; false when an error was reported.
  bool build();

  // --- used by the built-ins -------------------------------------------
  DiagnosticEngine &diag;
  mlir::OpBuilder builder;
  const int64_t batch;
  const Mode mode;

  mlir::Location loc(const Location &l);
  /// While set, loc() names the ops it locates by it: an imported graph's
  /// node ("net.onnx: node '/fc/Gemm' (Gemm)"), which errors about the op
  /// (a missing derivative) then name.
  std::string locationName;
  void error(const Location &l, const llvm::Twine &message) { diag.error(l, message); }

  /// "f32[64, 784]"
  static std::string typeString(mlir::Type type);
  /// "2.5", "1e-05": the shortest text that reads back as `value`.
  static std::string numberString(double value);

  /// The most elements a tensor may hold: its size in bytes as f64 still
  /// fits in an int64.
  static constexpr int64_t kMaxElements = int64_t(1) << 60;
  /// Reports `type` at `at` when it holds more than kMaxElements.
  bool checkSize(mlir::Type type, const Location &at);

  /// Records that `value`, when it is one of the model's inputs or labels
  /// (directly, or through reshapes and transposes), must hold only values in
  /// [low, high] ([low, high) with highOpen; integers with integral), as
  /// `use` says ("the ids of embedding_0 (model.gc:7, 50 rows)"): the
  /// generated program checks its data against it when it loads (the
  /// argument's nn.range).
  void requireValues(mlir::Value value, double low, double high, bool highOpen,
                     bool integral, const std::string &use);
  /// Names the op that computes `value` after the model's `let` or
  /// assignment (a NameLoc around its location), so that generated code
  /// names its buffer as the model does; an op already named keeps its name.
  void nameValue(const Val &value, llvm::StringRef name);
  /// "model.gc:7" for a location in the model file.
  std::string place(const Location &at) const;

  Val eval(const ExprAST &expr);
  /// Evaluates to a tensor; reports `what` expected otherwise.
  std::optional<mlir::Value> evalTensor(const ExprAST &expr, llvm::StringRef what);
  std::optional<double> evalNumber(const ExprAST &expr, llvm::StringRef what);
  std::optional<int64_t> evalInt(const ExprAST &expr, llvm::StringRef what,
                                 int64_t minimum);

  /// A rank-0 constant of `elementType`.
  mlir::Value scalar(mlir::Type elementType, double value, const Location &at);

  /// Builds an op whose result types the dialect infers; when inference
  /// fails the dialect's message is reported at `at` and null returned.
  /// (The op is built with `none` result types, which inference replaces,
  /// because the generated inferring builders abort on failure.)
  template <typename OpTy, typename... Args>
  mlir::Operation *create(const Location &at, unsigned numResults, Args &&...args) {
    mlir::OperationState state(loc(at), OpTy::getOperationName());
    llvm::SmallVector<mlir::Type> provisional(numResults, builder.getNoneType());
    OpTy::build(builder, state, mlir::TypeRange(provisional),
                std::forward<Args>(args)...);
    return finishInferred(builder.create(state), at);
  }
  template <typename OpTy, typename... Args>
  mlir::Value create1(const Location &at, Args &&...args) {
    mlir::Operation *op = create<OpTy>(at, 1, std::forward<Args>(args)...);
    return op ? op->getResult(0) : mlir::Value();
  }

  /// A new parameter (function argument) named `name`, with `extra` argument
  /// attributes.
  mlir::Value newParam(const std::string &name, llvm::ArrayRef<int64_t> shape,
                       mlir::Type elementType, llvm::StringRef init, nn::Role role,
                       const Location &at, llvm::ArrayRef<mlir::NamedAttribute> extra);
  Val genParam(const ParamStmtAST &stmt);
  /// A new parameter (function argument) of the current layer.
  /// `scale`: normal's standard deviation, when the layer's `init:` gives one.
  mlir::Value param(const std::string &layer, llvm::StringRef suffix,
                    llvm::ArrayRef<int64_t> shape, mlir::Type elementType,
                    llvm::StringRef init, nn::Role role, const Location &at,
                    std::optional<double> scale = std::nullopt);
  /// The layer name for a call: `name:` when given, else `<kind>_<n>`. For
  /// a call of `block`, a name that is already an instance of that block
  /// is no duplicate when the call names it (or the caller is itself a
  /// shared instance): `*shared` is then set, and the call shares the
  /// instance's parameters.
  std::optional<std::string> layerName(llvm::StringRef kind, const CallExprAST &call,
                                       const BlockAST *block = nullptr,
                                       bool *shared = nullptr);
  /// The parameter called `name` made before (by a layer, or an earlier
  /// call of an imported graph), or null.
  mlir::Value findParam(llvm::StringRef name) const {
    auto it = paramArgs.find(name.str());
    return it == paramArgs.end() ? mlir::Value() : entry->getArgument(it->second);
  }
  /// "" in the model, "Residual_3." inside a block instance.
  std::string instancePrefix() const;
  /// The rank-0 i64 random key of dropout (an argument, created once).
  mlir::Value rngKey(const Location &at);
  int64_t nextDropoutStream() { return dropoutStreams++; }
  void addResult(mlir::Value value, nn::Role role, llvm::StringRef name) {
    results.push_back({value, role, name.str()});
  }
  mlir::Type floatType(mlir::Type declared);
  /// The prediction (first operand) of the last loss built-in evaluated.
  mlir::Value lossPrediction;

private:
  mlir::Operation *finishInferred(mlir::Operation *op, const Location &at);
  /// Counts one unrolled statement; false (reported once) past the limit.
  bool countStatement(const Location &at);
  bool genStatements(llvm::ArrayRef<StmtPtr> body, Scope &scope);
  bool genStatement(const StmtAST &stmt, Scope &scope);
  Val evalBinary(const BinaryExprAST &expr);
  Val evalUnary(const UnaryExprAST &expr);
  Val evalCall(const CallExprAST &call);
  Val evalIndex(const IndexExprAST &expr);
  Val callBlock(const BlockAST &block, const CallExprAST &call);
  mlir::Value addArgument(mlir::Type type, const Location &at,
                          llvm::ArrayRef<mlir::NamedAttribute> attrs);
  std::optional<mlir::RankedTensorType> declaredType(const TensorTypeAST &type);
  void applyFreezes();

  mlir::ModuleOp module;
  const FileAST &file;
  const bool f64;
  std::string funcName;
  mlir::func::FuncOp func;
  mlir::Block *entry = nullptr;
  std::vector<mlir::DictionaryAttr> argAttrs;
  /// The requireValues() constraints of the arguments, by argument number.
  struct AcceptedValues {
    double low, high;
    bool highOpen, integral;
    std::string use;
  };
  std::map<unsigned, AcceptedValues> argRanges;

public:
  /// Marks the label `labels` comes from (through reshapes) as holding
  /// `index` where a loss ignores the sample, so that its data may.
  void ignoreLabel(mlir::Value labels, int64_t index);

private:
  std::vector<ModelResult> results;
  std::optional<mlir::Value> loss;
  Location lossLoc;
  bool hasOutput = false;
  Location outputLoc;
  mlir::Value defaultOutput;
  mlir::Value key;
  int64_t dropoutStreams = 0;
  int64_t unrolledStatements = 0;
  Scope *current = nullptr;
  std::vector<const BlockAST *> activeBlocks;
  /// Every block instance by its full name ("Pair_1.Unit_0"), and its block.
  std::map<std::string, const BlockAST *> blockInstances;
  /// `freeze` statements: the layer name or glob, where, and whether a glob.
  struct Freeze {
    std::string layer;
    Location at;
    bool glob;
  };
  std::vector<Freeze> freezes;
  std::map<std::string, unsigned> paramArgs; ///< name -> argument number
  llvm::StringSet<> metricNames;
  Instance modelInstance;

  friend Val callBuiltin(ModelBuilder &mb, const CallExprAST &call, bool &handled);
  friend bool genMetric(ModelBuilder &mb, const CallExprAST &call);
};

/// Builds the graph of an `import ... from onnx(...)` at `call`
/// (OnnxImport.cpp).
Val callImport(ModelBuilder &mb, const ImportAST &import, const CallExprAST &call);
/// Every output of the imported graph the call runs, in the graph's order;
/// there must be `expected` of them. std::nullopt after an error.
std::optional<llvm::SmallVector<mlir::Value>>
callImportOutputs(ModelBuilder &mb, const ImportAST &import, const CallExprAST &call,
                  size_t expected);

/// Evaluates a call of a built-in; `handled` is false when `call` names none.
Val callBuiltin(ModelBuilder &mb, const CallExprAST &call, bool &handled);

/// `split(x, parts, axis: -1)`: x cut along `axis` into `parts` equal
/// tensors, in order (`let q, k, v = split(qkv, 3)`); std::nullopt after an
/// error. Anywhere but a `let` of as many names it is an error.
std::optional<llvm::SmallVector<mlir::Value>> splitTensors(ModelBuilder &mb,
                                                           const CallExprAST &call);

/// Whether `name` is a built-in layer, function, loss or metric.
bool isBuiltinName(llvm::StringRef name);

/// The built-in layer or function whose name is closest to `name` (a typo's
/// correction), or "" when none is close.
std::string closestBuiltinName(llvm::StringRef name);

/// Builds the statistics of a `metric` statement as a model result.
bool genMetric(ModelBuilder &mb, const CallExprAST &call);

/// Checks the train section and returns it as the `nn.train` dictionary.
/// `dataNames` are the model's inputs and labels, which idx and npy sources
/// may name files for; `labelCount` how many of them are labels.
std::optional<nn::TrainAttr>
genTrainSettings(mlir::MLIRContext &context, const TrainAST *train, DiagnosticEngine &diag,
                 std::optional<int64_t> batchOverride, int64_t &batch,
                 llvm::ArrayRef<std::string> dataNames, size_t labelCount);

/// Checks that a model whose train section reads text(...) or tokens(...)
/// data is a language model of one input of token ids and one label of the
/// next tokens, both i32[B, T]; reports at the data setting otherwise.
bool checkSequenceData(const FileAST &file, nn::TrainAttr train, DiagnosticEngine &diag);

} // namespace gradc::detail

#endif // GRADC_LIB_MLIRGEN_MODELBUILDER_H
