//===- AST.h - Syntax tree of a .gc model file ------------------*- C++ -*-===//
//
// What the parser produces and MLIRGen consumes: a file holds reusable
// blocks, at most one model and at most one train section. Every node
// carries the Location of its first token. Nodes are owned through
// std::unique_ptr and classified with LLVM-style RTTI (llvm::isa,
// llvm::dyn_cast), as in MLIR's Toy tutorial.
//
// The parser guarantees what the grammar guarantees (a block ends in exactly
// one return, a repeat count is positive, ...) and bounds the height of every
// expression tree (kMaxExprHeight), so recursive walks cannot overflow the
// stack. Names, built-ins and shapes are not checked yet.
//
//===----------------------------------------------------------------------===//

#ifndef GRADC_FRONTEND_AST_H
#define GRADC_FRONTEND_AST_H

#include "gradc/Frontend/Diagnostics.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Casting.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace llvm {
class raw_ostream;
} // namespace llvm

namespace gradc {

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

class ExprAST {
public:
  enum ExprKind {
    Expr_Number,
    Expr_String,
    Expr_Name,
    Expr_Unary,
    Expr_Binary,
    Expr_Call,
    Expr_List,
    Expr_Index,
  };

  ExprAST(ExprKind kind, Location loc, unsigned height = 1)
      : kind(kind), loc(std::move(loc)), height(height) {}
  virtual ~ExprAST() = default;

  ExprKind getKind() const { return kind; }
  const Location &getLoc() const { return loc; }
  /// Nodes on the longest path from this node to a leaf (a leaf has 1).
  unsigned getHeight() const { return height; }

private:
  const ExprKind kind;
  Location loc;
  unsigned height;
};

using ExprPtr = std::unique_ptr<ExprAST>;

/// An integer (`64`) or floating-point (`1e-3`, `0.5`) literal. A literal is
/// never negative: `-1` is a UnaryExprAST around `1`.
class NumberExprAST : public ExprAST {
public:
  static std::unique_ptr<NumberExprAST>
  makeInteger(Location loc, llvm::StringRef spelling, int64_t value) {
    return std::unique_ptr<NumberExprAST>(new NumberExprAST(
        std::move(loc), spelling, true, value, static_cast<double>(value)));
  }
  static std::unique_ptr<NumberExprAST>
  makeFloat(Location loc, llvm::StringRef spelling, double value) {
    return std::unique_ptr<NumberExprAST>(
        new NumberExprAST(std::move(loc), spelling, false, 0, value));
  }

  /// True for literals written without '.' or an exponent.
  bool isInteger() const { return integer; }
  /// The value of an integer literal.
  int64_t getInt() const { return intValue; }
  /// The value of any literal, as a double.
  double getValue() const { return value; }
  /// The literal as written.
  llvm::StringRef getSpelling() const { return spelling; }

  static bool classof(const ExprAST *e) { return e->getKind() == Expr_Number; }

private:
  NumberExprAST(Location loc, llvm::StringRef spelling, bool integer,
                int64_t intValue, double value)
      : ExprAST(Expr_Number, std::move(loc)), spelling(spelling.str()),
        integer(integer), intValue(intValue), value(value) {}

  std::string spelling;
  bool integer;
  int64_t intValue;
  double value;
};

/// A string literal, escapes resolved. Strings appear only as whole argument
/// values (`name: "fc1"`) and train setting values.
class StringExprAST : public ExprAST {
public:
  StringExprAST(Location loc, std::string value)
      : ExprAST(Expr_String, std::move(loc)), value(std::move(value)) {}

  llvm::StringRef getValue() const { return value; }

  static bool classof(const ExprAST *e) { return e->getKind() == Expr_String; }

private:
  std::string value;
};

/// A name: a variable, a block parameter, `B`, or a bare value such as `he`
/// in `init: he` or `constant` in `schedule constant`.
class NameExprAST : public ExprAST {
public:
  NameExprAST(Location loc, llvm::StringRef name)
      : ExprAST(Expr_Name, std::move(loc)), name(name.str()) {}

  llvm::StringRef getName() const { return name; }

  static bool classof(const ExprAST *e) { return e->getKind() == Expr_Name; }

private:
  std::string name;
};

/// Negation, `-operand` (the only unary operator).
class UnaryExprAST : public ExprAST {
public:
  UnaryExprAST(Location loc, char op, ExprPtr operand)
      : ExprAST(Expr_Unary, std::move(loc), operand->getHeight() + 1), op(op),
        operand(std::move(operand)) {}

  char getOp() const { return op; }
  const ExprAST &getOperand() const { return *operand; }

  static bool classof(const ExprAST *e) { return e->getKind() == Expr_Unary; }

private:
  char op;
  ExprPtr operand;
};

/// `lhs op rhs` with op one of + - * /. The location is the operator's.
class BinaryExprAST : public ExprAST {
public:
  BinaryExprAST(Location loc, char op, ExprPtr lhs, ExprPtr rhs)
      : ExprAST(Expr_Binary, std::move(loc),
                std::max(lhs->getHeight(), rhs->getHeight()) + 1),
        op(op), lhs(std::move(lhs)), rhs(std::move(rhs)) {}

  char getOp() const { return op; }
  const ExprAST &getLHS() const { return *lhs; }
  const ExprAST &getRHS() const { return *rhs; }

  static bool classof(const ExprAST *e) { return e->getKind() == Expr_Binary; }

private:
  char op;
  ExprPtr lhs, rhs;
};

/// `name: value` in a call. The value is any expression, a string, or a
/// bare name (a NameExprAST).
struct NamedArgAST {
  std::string name;
  Location loc;
  ExprPtr value;
};

/// `callee(positional..., name: value, ...)`: a built-in, a layer, a block
/// instance, or a training setting's value (`adam(lr: 1e-3)`).
class CallExprAST : public ExprAST {
public:
  CallExprAST(Location loc, llvm::StringRef callee, std::vector<ExprPtr> args,
              std::vector<NamedArgAST> namedArgs)
      : ExprAST(Expr_Call, std::move(loc), childHeight(args, namedArgs) + 1),
        callee(callee.str()), args(std::move(args)),
        namedArgs(std::move(namedArgs)) {}

  llvm::StringRef getCallee() const { return callee; }
  /// Positional arguments, in order.
  llvm::ArrayRef<ExprPtr> getArgs() const { return args; }
  /// Named arguments, in order; names are distinct.
  llvm::ArrayRef<NamedArgAST> getNamedArgs() const { return namedArgs; }
  /// The named argument called `name`, or nullptr.
  const NamedArgAST *findNamedArg(llvm::StringRef name) const {
    for (const NamedArgAST &arg : namedArgs)
      if (arg.name == name)
        return &arg;
    return nullptr;
  }

  static bool classof(const ExprAST *e) { return e->getKind() == Expr_Call; }

private:
  static unsigned childHeight(const std::vector<ExprPtr> &args,
                              const std::vector<NamedArgAST> &namedArgs) {
    unsigned height = 0;
    for (const ExprPtr &arg : args)
      height = std::max(height, arg->getHeight());
    for (const NamedArgAST &arg : namedArgs)
      height = std::max(height, arg.value->getHeight());
    return height;
  }

  std::string callee;
  std::vector<ExprPtr> args;
  std::vector<NamedArgAST> namedArgs;
};

/// `[e0, e1, ...]`, as in `reshape(x, [B, -1])`.
class ListExprAST : public ExprAST {
public:
  ListExprAST(Location loc, std::vector<ExprPtr> elements)
      : ExprAST(Expr_List, std::move(loc), childHeight(elements) + 1),
        elements(std::move(elements)) {}

  llvm::ArrayRef<ExprPtr> getElements() const { return elements; }

  static bool classof(const ExprAST *e) { return e->getKind() == Expr_List; }

private:
  static unsigned childHeight(const std::vector<ExprPtr> &elements) {
    unsigned height = 0;
    for (const ExprPtr &element : elements)
      height = std::max(height, element->getHeight());
    return height;
  }

  std::vector<ExprPtr> elements;
};

/// One dimension of a subscript: an index (`x[2]`, the dimension dropped)
/// or a slice `start:stop` whose bounds may be left out (`x[:, 1:]`).
struct SubscriptAST {
  Location loc;
  bool isSlice = false;
  ExprPtr index;       ///< an index's value
  ExprPtr start, stop; ///< a slice's bounds, null where left out
};

/// `base[sub, ...]`: indexing and slicing, NumPy's and torch's basic
/// indexing with unit steps. The location is the '['.
class IndexExprAST : public ExprAST {
public:
  IndexExprAST(Location loc, ExprPtr base, std::vector<SubscriptAST> subscripts)
      : ExprAST(Expr_Index, std::move(loc), childHeight(*base, subscripts) + 1),
        base(std::move(base)), subscripts(std::move(subscripts)) {}

  const ExprAST &getBase() const { return *base; }
  llvm::ArrayRef<SubscriptAST> getSubscripts() const { return subscripts; }

  static bool classof(const ExprAST *e) { return e->getKind() == Expr_Index; }

private:
  static unsigned childHeight(const ExprAST &base, const std::vector<SubscriptAST> &subs) {
    unsigned height = base.getHeight();
    for (const SubscriptAST &s : subs)
      for (const ExprPtr *e : {&s.index, &s.start, &s.stop})
        if (*e)
          height = std::max(height, (*e)->getHeight());
    return height;
  }

  ExprPtr base;
  std::vector<SubscriptAST> subscripts;
};

//===----------------------------------------------------------------------===//
// Types
//===----------------------------------------------------------------------===//

enum class ElementType { F32, F64, I32 };

/// "f32", "f64" or "i32".
llvm::StringRef getElementTypeName(ElementType type);

/// One dimension of a tensor type: a positive size, or `B` (the batch size).
struct DimAST {
  bool isBatch = false;
  int64_t size = 0;
  Location loc;
};

/// `f32[B, 1, 28, 28]`; the location is the element type's.
struct TensorTypeAST {
  ElementType elementType = ElementType::F32;
  std::vector<DimAST> dims;
  Location loc;
};

//===----------------------------------------------------------------------===//
// Statements
//===----------------------------------------------------------------------===//

/// A statement of a model or block body. The location is the first token's.
class StmtAST {
public:
  enum StmtKind {
    Stmt_Input,
    Stmt_Label,
    Stmt_Let,
    Stmt_Assign,
    Stmt_Repeat,
    Stmt_Loss,
    Stmt_Metric,
    Stmt_Output,
    Stmt_Freeze,
    Stmt_Param,
  };

  StmtAST(StmtKind kind, Location loc) : kind(kind), loc(std::move(loc)) {}
  virtual ~StmtAST() = default;

  StmtKind getKind() const { return kind; }
  const Location &getLoc() const { return loc; }

private:
  const StmtKind kind;
  Location loc;
};

using StmtPtr = std::unique_ptr<StmtAST>;

/// `input x: f32[B, 784]`
class InputStmtAST : public StmtAST {
public:
  InputStmtAST(Location loc, llvm::StringRef name, Location nameLoc,
               TensorTypeAST type)
      : StmtAST(Stmt_Input, std::move(loc)), name(name.str()),
        nameLoc(std::move(nameLoc)), type(std::move(type)) {}

  llvm::StringRef getName() const { return name; }
  const Location &getNameLoc() const { return nameLoc; }
  const TensorTypeAST &getType() const { return type; }

  static bool classof(const StmtAST *s) { return s->getKind() == Stmt_Input; }

private:
  std::string name;
  Location nameLoc;
  TensorTypeAST type;
};

/// `label y: i32[B] classes 10`
class LabelStmtAST : public StmtAST {
public:
  LabelStmtAST(Location loc, llvm::StringRef name, Location nameLoc,
               TensorTypeAST type, std::optional<int64_t> classes)
      : StmtAST(Stmt_Label, std::move(loc)), name(name.str()),
        nameLoc(std::move(nameLoc)), type(std::move(type)), classes(classes) {}

  llvm::StringRef getName() const { return name; }
  const Location &getNameLoc() const { return nameLoc; }
  const TensorTypeAST &getType() const { return type; }
  /// The number of classes when given; always positive.
  std::optional<int64_t> getClasses() const { return classes; }

  static bool classof(const StmtAST *s) { return s->getKind() == Stmt_Label; }

private:
  std::string name;
  Location nameLoc;
  TensorTypeAST type;
  std::optional<int64_t> classes;
};

/// `let h = expr`: introduces a name.
class LetStmtAST : public StmtAST {
public:
  /// `let a, b, c = split(...)` binds one name per tensor of a call that
  /// gives several.
  struct Name {
    std::string name;
    Location loc;
  };

  LetStmtAST(Location loc, std::vector<Name> names, ExprPtr value)
      : StmtAST(Stmt_Let, std::move(loc)), names(std::move(names)),
        value(std::move(value)) {}

  /// The first (usually the only) name.
  llvm::StringRef getName() const { return names.front().name; }
  const Location &getNameLoc() const { return names.front().loc; }
  llvm::ArrayRef<Name> getNames() const { return names; }
  const ExprAST &getValue() const { return *value; }

  static bool classof(const StmtAST *s) { return s->getKind() == Stmt_Let; }

private:
  std::vector<Name> names;
  ExprPtr value;
};

/// `h = expr`: rebinds an existing name. The location is the name's.
class AssignStmtAST : public StmtAST {
public:
  AssignStmtAST(Location loc, llvm::StringRef name, ExprPtr value)
      : StmtAST(Stmt_Assign, std::move(loc)), name(name.str()),
        value(std::move(value)) {}

  llvm::StringRef getName() const { return name; }
  const ExprAST &getValue() const { return *value; }

  static bool classof(const StmtAST *s) { return s->getKind() == Stmt_Assign; }

private:
  std::string name;
  ExprPtr value;
};

/// `repeat 8 { ... }`; the count is positive.
class RepeatStmtAST : public StmtAST {
public:
  RepeatStmtAST(Location loc, int64_t count, std::vector<StmtPtr> body,
                std::string index = "", Location indexLoc = {})
      : StmtAST(Stmt_Repeat, std::move(loc)), count(count),
        body(std::move(body)), index(std::move(index)), indexLoc(std::move(indexLoc)) {}

  int64_t getCount() const { return count; }
  llvm::ArrayRef<StmtPtr> getBody() const { return body; }
  /// `repeat N as t`: the iteration's number 0 ... N − 1 is named t in the
  /// body; empty without `as`.
  llvm::StringRef getIndex() const { return index; }
  const Location &getIndexLoc() const { return indexLoc; }

  static bool classof(const StmtAST *s) { return s->getKind() == Stmt_Repeat; }

private:
  int64_t count;
  std::vector<StmtPtr> body;
  std::string index;
  Location indexLoc;
};

/// `loss expr`
class LossStmtAST : public StmtAST {
public:
  LossStmtAST(Location loc, ExprPtr value)
      : StmtAST(Stmt_Loss, std::move(loc)), value(std::move(value)) {}

  const ExprAST &getValue() const { return *value; }

  static bool classof(const StmtAST *s) { return s->getKind() == Stmt_Loss; }

private:
  ExprPtr value;
};

/// `metric accuracy(logits, y)`
class MetricStmtAST : public StmtAST {
public:
  MetricStmtAST(Location loc, std::unique_ptr<CallExprAST> call)
      : StmtAST(Stmt_Metric, std::move(loc)), call(std::move(call)) {}

  const CallExprAST &getCall() const { return *call; }

  static bool classof(const StmtAST *s) { return s->getKind() == Stmt_Metric; }

private:
  std::unique_ptr<CallExprAST> call;
};

/// `output expr`
class OutputStmtAST : public StmtAST {
public:
  OutputStmtAST(Location loc, ExprPtr value)
      : StmtAST(Stmt_Output, std::move(loc)), value(std::move(value)) {}

  const ExprAST &getValue() const { return *value; }

  static bool classof(const StmtAST *s) { return s->getKind() == Stmt_Output; }

private:
  ExprPtr value;
};

/// `freeze fc1` or `freeze Residual_0.dense_1`: the layer's name, with its
/// dotted parts joined by '.'; or `freeze "layer1.*"`: a glob over the
/// parameters' names.
class FreezeStmtAST : public StmtAST {
public:
  FreezeStmtAST(Location loc, llvm::StringRef layer, Location layerLoc, bool glob = false)
      : StmtAST(Stmt_Freeze, std::move(loc)), layer(layer.str()),
        layerLoc(std::move(layerLoc)), glob(glob) {}

  llvm::StringRef getLayer() const { return layer; }
  const Location &getLayerLoc() const { return layerLoc; }
  /// Whether getLayer() is a glob (written as a string).
  bool isGlob() const { return glob; }

  static bool classof(const StmtAST *s) { return s->getKind() == Stmt_Freeze; }

private:
  std::string layer;
  Location layerLoc;
  bool glob;
};

/// `param pos: f32[64, 128] init: normal(0.02)`: a learned tensor of the
/// model (or of each block instance) that is not a layer's.
class ParamStmtAST : public StmtAST {
public:
  ParamStmtAST(Location loc, llvm::StringRef name, Location nameLoc, TensorTypeAST type,
               ExprPtr init)
      : StmtAST(Stmt_Param, std::move(loc)), name(name.str()), nameLoc(std::move(nameLoc)),
        type(std::move(type)), init(std::move(init)) {}

  llvm::StringRef getName() const { return name; }
  const Location &getNameLoc() const { return nameLoc; }
  const TensorTypeAST &getType() const { return type; }
  /// The initializer's expression (`zeros`, `normal(0.02)`); null without one.
  const ExprAST *getInit() const { return init.get(); }

  static bool classof(const StmtAST *s) { return s->getKind() == Stmt_Param; }

private:
  std::string name;
  Location nameLoc;
  TensorTypeAST type;
  ExprPtr init;
};

//===----------------------------------------------------------------------===//
// Top level
//===----------------------------------------------------------------------===//

struct ParamAST {
  std::string name;
  Location loc;
};

/// `block Name(p, ...) { stmt* return expr }`. The body holds only let,
/// assignment and repeat statements; the return is kept apart.
class BlockAST {
public:
  BlockAST(Location loc, llvm::StringRef name, std::vector<ParamAST> params,
           std::vector<StmtPtr> body, Location returnLoc, ExprPtr result)
      : loc(std::move(loc)), name(name.str()), params(std::move(params)),
        body(std::move(body)), returnLoc(std::move(returnLoc)),
        result(std::move(result)) {}

  const Location &getLoc() const { return loc; }
  llvm::StringRef getName() const { return name; }
  /// At least one; names are distinct.
  llvm::ArrayRef<ParamAST> getParams() const { return params; }
  llvm::ArrayRef<StmtPtr> getBody() const { return body; }
  const Location &getReturnLoc() const { return returnLoc; }
  const ExprAST &getResult() const { return *result; }

private:
  Location loc;
  std::string name;
  std::vector<ParamAST> params;
  std::vector<StmtPtr> body;
  Location returnLoc;
  ExprPtr result;
};

/// `model Name { stmt* }`
class ModelAST {
public:
  ModelAST(Location loc, llvm::StringRef name, std::vector<StmtPtr> body)
      : loc(std::move(loc)), name(name.str()), body(std::move(body)) {}

  const Location &getLoc() const { return loc; }
  llvm::StringRef getName() const { return name; }
  llvm::ArrayRef<StmtPtr> getBody() const { return body; }

private:
  Location loc;
  std::string name;
  std::vector<StmtPtr> body;
};

/// One `name value` line of a train section. `early_stopping(...)` is the
/// setting `early_stopping` with the call `early_stopping(...)` as its value.
struct TrainSettingAST {
  std::string name;
  Location loc;
  ExprPtr value;
};

/// `train { setting* }`; setting names are distinct.
class TrainAST {
public:
  TrainAST(Location loc, std::vector<TrainSettingAST> settings)
      : loc(std::move(loc)), settings(std::move(settings)) {}

  const Location &getLoc() const { return loc; }
  llvm::ArrayRef<TrainSettingAST> getSettings() const { return settings; }
  /// The setting called `name`, or nullptr.
  const TrainSettingAST *findSetting(llvm::StringRef name) const {
    for (const TrainSettingAST &setting : settings)
      if (setting.name == name)
        return &setting;
    return nullptr;
  }

private:
  Location loc;
  std::vector<TrainSettingAST> settings;
};

/// `import name from onnx("file.onnx")`: a graph from another format, called
/// as a block (`let y = name(x)`).
class ImportAST {
public:
  ImportAST(Location loc, llvm::StringRef name, Location nameLoc,
            std::unique_ptr<CallExprAST> source)
      : loc(std::move(loc)), name(name.str()), nameLoc(std::move(nameLoc)),
        source(std::move(source)) {}

  const Location &getLoc() const { return loc; }
  llvm::StringRef getName() const { return name; }
  const Location &getNameLoc() const { return nameLoc; }
  /// `onnx("file.onnx")`, as written.
  const CallExprAST &getSource() const { return *source; }

private:
  Location loc;
  std::string name;
  Location nameLoc;
  std::unique_ptr<CallExprAST> source;
};

/// A whole model file: exactly one model, any number of blocks and imports
/// (distinct names), and an optional train section.
class FileAST {
public:
  FileAST(std::shared_ptr<std::string> file,
          std::vector<std::unique_ptr<BlockAST>> blocks,
          std::unique_ptr<ModelAST> model, std::unique_ptr<TrainAST> train,
          std::vector<std::unique_ptr<ImportAST>> imports = {})
      : file(std::move(file)), blocks(std::move(blocks)),
        model(std::move(model)), train(std::move(train)), imports(std::move(imports)) {}

  llvm::StringRef getFilename() const { return *file; }
  llvm::ArrayRef<std::unique_ptr<BlockAST>> getBlocks() const { return blocks; }
  /// The block called `name`, or nullptr.
  const BlockAST *findBlock(llvm::StringRef name) const {
    for (const std::unique_ptr<BlockAST> &block : blocks)
      if (block->getName() == name)
        return block.get();
    return nullptr;
  }
  llvm::ArrayRef<std::unique_ptr<ImportAST>> getImports() const { return imports; }
  /// The import called `name`, or nullptr.
  const ImportAST *findImport(llvm::StringRef name) const {
    for (const std::unique_ptr<ImportAST> &import : imports)
      if (import->getName() == name)
        return import.get();
    return nullptr;
  }
  const ModelAST &getModel() const { return *model; }
  /// The train section, or nullptr when the file has none.
  const TrainAST *getTrain() const { return train.get(); }

private:
  std::shared_ptr<std::string> file;
  std::vector<std::unique_ptr<BlockAST>> blocks;
  std::unique_ptr<ModelAST> model;
  std::unique_ptr<TrainAST> train;
  std::vector<std::unique_ptr<ImportAST>> imports;
};

/// Prints the tree, one node per line, indented by depth, each with its
/// location (`@file:line:col`); top-level items come in source order. This
/// is what `gradc --emit=ast` prints.
void dumpAST(const FileAST &file, llvm::raw_ostream &os);

/// Prints one expression the same way, starting at indentation `indent`.
void dumpAST(const ExprAST &expr, llvm::raw_ostream &os, unsigned indent = 0);

} // namespace gradc

#endif // GRADC_FRONTEND_AST_H
