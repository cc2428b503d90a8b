//===- ASTDump.cpp - Printing the syntax tree (--emit=ast) ----------------===//
//
// One node per line, two spaces of indentation per level, each line ending in
// the node's location:
//
//   Model FashionMLP @m.gc:2:1
//     Let h @m.gc:6:3
//       Call flatten @m.gc:6:11
//         Name x @m.gc:6:19
//
//===----------------------------------------------------------------------===//

#include "gradc/Frontend/AST.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <tuple>

using namespace gradc;

llvm::StringRef gradc::getElementTypeName(ElementType type) {
  switch (type) {
  case ElementType::F32:
    return "f32";
  case ElementType::F64:
    return "f64";
  case ElementType::I32:
    return "i32";
  }
  llvm_unreachable("unknown element type");
}

namespace {

class ASTDumper {
public:
  explicit ASTDumper(llvm::raw_ostream &os) : os(os) {}

  void dump(const FileAST &file);
  void dump(const ExprAST &expr, unsigned indent);

private:
  void dump(const BlockAST &block, unsigned indent);
  void dump(const ModelAST &model, unsigned indent);
  void dump(const TrainAST &train, unsigned indent);
  void dump(const StmtAST &stmt, unsigned indent);
  void dump(const TensorTypeAST &type);

  /// Starts a node's line.
  llvm::raw_ostream &line(unsigned indent) { return os.indent(2 * indent); }
  /// Ends a node's line with its location.
  void end(const Location &loc) { os << " @" << loc << '\n'; }

  llvm::raw_ostream &os;
};

} // namespace

void ASTDumper::dump(const FileAST &file) {
  // Blocks, the model and the train section are kept apart in the tree;
  // print them in the order they appear in the file.
  struct Item {
    const Location *loc;
    const BlockAST *block = nullptr;
    const ModelAST *model = nullptr;
    const TrainAST *train = nullptr;
    const ImportAST *import = nullptr;
  };
  std::vector<Item> items;
  for (const std::unique_ptr<ImportAST> &import : file.getImports())
    items.push_back({&import->getLoc(), nullptr, nullptr, nullptr, import.get()});
  for (const std::unique_ptr<BlockAST> &block : file.getBlocks())
    items.push_back({&block->getLoc(), block.get()});
  items.push_back({&file.getModel().getLoc(), nullptr, &file.getModel()});
  if (const TrainAST *train = file.getTrain())
    items.push_back({&train->getLoc(), nullptr, nullptr, train});
  llvm::sort(items, [](const Item &a, const Item &b) {
    return std::tie(a.loc->line, a.loc->col) <
           std::tie(b.loc->line, b.loc->col);
  });
  for (const Item &item : items) {
    if (item.import) {
      line(0) << "Import " << item.import->getName();
      end(item.import->getLoc());
      dump(item.import->getSource(), 1);
    } else if (item.block)
      dump(*item.block, 0);
    else if (item.model)
      dump(*item.model, 0);
    else
      dump(*item.train, 0);
  }
}

void ASTDumper::dump(const BlockAST &block, unsigned indent) {
  line(indent) << "Block " << block.getName() << '(';
  llvm::interleaveComma(block.getParams(), os,
                        [&](const ParamAST &param) { os << param.name; });
  os << ')';
  end(block.getLoc());
  for (const StmtPtr &stmt : block.getBody())
    dump(*stmt, indent + 1);
  line(indent + 1) << "Return";
  end(block.getReturnLoc());
  dump(block.getResult(), indent + 2);
}

void ASTDumper::dump(const ModelAST &model, unsigned indent) {
  line(indent) << "Model " << model.getName();
  end(model.getLoc());
  for (const StmtPtr &stmt : model.getBody())
    dump(*stmt, indent + 1);
}

void ASTDumper::dump(const TrainAST &train, unsigned indent) {
  line(indent) << "Train";
  end(train.getLoc());
  for (const TrainSettingAST &setting : train.getSettings()) {
    line(indent + 1) << "Setting " << setting.name;
    end(setting.loc);
    dump(*setting.value, indent + 2);
  }
}

void ASTDumper::dump(const TensorTypeAST &type) {
  os << getElementTypeName(type.elementType) << '[';
  llvm::interleaveComma(type.dims, os, [&](const DimAST &dim) {
    if (dim.isBatch)
      os << 'B';
    else
      os << dim.size;
  });
  os << ']';
}

void ASTDumper::dump(const StmtAST &stmt, unsigned indent) {
  if (const auto *input = llvm::dyn_cast<InputStmtAST>(&stmt)) {
    line(indent) << "Input " << input->getName() << ": ";
    dump(input->getType());
    end(stmt.getLoc());
  } else if (const auto *label = llvm::dyn_cast<LabelStmtAST>(&stmt)) {
    line(indent) << "Label " << label->getName() << ": ";
    dump(label->getType());
    if (label->getClasses())
      os << " classes " << *label->getClasses();
    end(stmt.getLoc());
  } else if (const auto *let = llvm::dyn_cast<LetStmtAST>(&stmt)) {
    line(indent) << "Let ";
    for (auto [index, name] : llvm::enumerate(let->getNames()))
      os << (index ? ", " : "") << name.name;
    end(stmt.getLoc());
    dump(let->getValue(), indent + 1);
  } else if (const auto *assign = llvm::dyn_cast<AssignStmtAST>(&stmt)) {
    line(indent) << "Assign " << assign->getName();
    end(stmt.getLoc());
    dump(assign->getValue(), indent + 1);
  } else if (const auto *repeat = llvm::dyn_cast<RepeatStmtAST>(&stmt)) {
    line(indent) << "Repeat " << repeat->getCount();
    if (!repeat->getIndex().empty())
      os << " as " << repeat->getIndex();
    end(stmt.getLoc());
    for (const StmtPtr &inner : repeat->getBody())
      dump(*inner, indent + 1);
  } else if (const auto *loss = llvm::dyn_cast<LossStmtAST>(&stmt)) {
    line(indent) << "Loss";
    end(stmt.getLoc());
    dump(loss->getValue(), indent + 1);
  } else if (const auto *metric = llvm::dyn_cast<MetricStmtAST>(&stmt)) {
    line(indent) << "Metric";
    end(stmt.getLoc());
    dump(metric->getCall(), indent + 1);
  } else if (const auto *output = llvm::dyn_cast<OutputStmtAST>(&stmt)) {
    line(indent) << "Output";
    end(stmt.getLoc());
    dump(output->getValue(), indent + 1);
  } else if (const auto *param = llvm::dyn_cast<ParamStmtAST>(&stmt)) {
    line(indent) << "Param " << param->getName() << ": ";
    dump(param->getType());
    end(stmt.getLoc());
    if (param->getInit())
      dump(*param->getInit(), indent + 1);
  } else {
    const auto &freeze = llvm::cast<FreezeStmtAST>(stmt);
    if (freeze.isGlob())
      line(indent) << "Freeze pattern \"" << freeze.getLayer() << "\"";
    else
      line(indent) << "Freeze " << freeze.getLayer();
    end(stmt.getLoc());
  }
}

void ASTDumper::dump(const ExprAST &expr, unsigned indent) {
  line(indent);
  switch (expr.getKind()) {
  case ExprAST::Expr_Number:
    os << "Number " << llvm::cast<NumberExprAST>(expr).getSpelling();
    break;
  case ExprAST::Expr_String:
    os << "String \"";
    os.write_escaped(llvm::cast<StringExprAST>(expr).getValue());
    os << '"';
    break;
  case ExprAST::Expr_Name:
    os << "Name " << llvm::cast<NameExprAST>(expr).getName();
    break;
  case ExprAST::Expr_Unary:
    os << "Unary " << llvm::cast<UnaryExprAST>(expr).getOp();
    break;
  case ExprAST::Expr_Binary:
    os << "Binary " << llvm::cast<BinaryExprAST>(expr).getOp();
    break;
  case ExprAST::Expr_Call:
    os << "Call " << llvm::cast<CallExprAST>(expr).getCallee();
    break;
  case ExprAST::Expr_List:
    os << "List";
    break;
  case ExprAST::Expr_Index:
    os << "Index";
    break;
  }
  end(expr.getLoc());

  if (const auto *unary = llvm::dyn_cast<UnaryExprAST>(&expr)) {
    dump(unary->getOperand(), indent + 1);
  } else if (const auto *binary = llvm::dyn_cast<BinaryExprAST>(&expr)) {
    dump(binary->getLHS(), indent + 1);
    dump(binary->getRHS(), indent + 1);
  } else if (const auto *call = llvm::dyn_cast<CallExprAST>(&expr)) {
    for (const ExprPtr &arg : call->getArgs())
      dump(*arg, indent + 1);
    for (const NamedArgAST &arg : call->getNamedArgs()) {
      line(indent + 1) << "Arg " << arg.name;
      end(arg.loc);
      dump(*arg.value, indent + 2);
    }
  } else if (const auto *list = llvm::dyn_cast<ListExprAST>(&expr)) {
    for (const ExprPtr &element : list->getElements())
      dump(*element, indent + 1);
  } else if (const auto *index = llvm::dyn_cast<IndexExprAST>(&expr)) {
    dump(index->getBase(), indent + 1);
    for (const SubscriptAST &sub : index->getSubscripts()) {
      line(indent + 1) << (sub.isSlice ? "Slice" : "At");
      end(sub.loc);
      if (!sub.isSlice) {
        dump(*sub.index, indent + 2);
        continue;
      }
      for (auto [which, bound] : {std::pair<const char *, const ExprPtr *>{"Start", &sub.start},
                                  {"Stop", &sub.stop}}) {
        if (!*bound)
          continue;
        line(indent + 2) << which;
        end(sub.loc);
        dump(**bound, indent + 3);
      }
    }
  }
}

void gradc::dumpAST(const FileAST &file, llvm::raw_ostream &os) {
  ASTDumper(os).dump(file);
}

void gradc::dumpAST(const ExprAST &expr, llvm::raw_ostream &os,
                    unsigned indent) {
  ASTDumper(os).dump(expr, indent);
}
