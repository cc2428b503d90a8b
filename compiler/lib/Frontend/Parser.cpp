//===- Parser.cpp - Recursive-descent parser for .gc files ----------------===//
//
// One function per grammar rule. A rule that fails reports the problem once
// and returns null/false; the statement loop then skips to the end of the
// statement (newline, ';' or '}', stepping over any braces it meets) and goes
// on, so one run reports every independent error.
//
// Inside ( ) and [ ] an expression continues across newlines. The parser,
// not the lexer, tracks that (bracketDepth) because it knows where brackets
// really close: after an unbalanced '(' the depth is reset at the next
// statement boundary instead of swallowing the rest of the file.
//
// Over 800 lines on purpose: the grammar reads top-down in one file, rule
// after rule in the order of docs/language.md; splitting it would split the
// recovery logic every rule shares.
//
//===----------------------------------------------------------------------===//

#include "gradc/Frontend/Parser.h"
#include "gradc/Frontend/Lexer.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSwitch.h"

#include <optional>

using namespace gradc;

namespace {

/// Counts one level of nesting for the lifetime of a scope.
class NestingScope {
public:
  explicit NestingScope(unsigned &counter) : depth(counter) { ++depth; }
  ~NestingScope() { --depth; }
  NestingScope(const NestingScope &) = delete;
  NestingScope &operator=(const NestingScope &) = delete;

private:
  unsigned &depth;
};

/// What a statement list belongs to, which decides the statements it allows.
enum class BodyKind { Model, Block };

/// The trailing `return` of a block body, as it is being parsed.
struct BlockReturn {
  llvm::StringRef blockName;
  /// Set by the first top-level `return`, even when its value fails to parse.
  std::optional<Location> loc;
  ExprPtr result;
  bool reportedTrailing = false;
};

class Parser {
public:
  Parser(const llvm::SourceMgr &sourceMgr, unsigned bufferId,
         DiagnosticEngine &diag)
      : lexer(sourceMgr, bufferId, diag), diag(diag),
        errorsBefore(diag.getNumErrors()) {
    advance();
  }

  std::unique_ptr<FileAST> parseFile();

private:
  //===--------------------------------------------------------------------===//
  // Tokens
  //===--------------------------------------------------------------------===//

  void advance() {
    do {
      if (peeked) {
        tok = std::move(*peeked);
        peeked.reset();
      } else {
        tok = lexer.lex();
      }
    } while (tok.is(TokenKind::newline) && bracketDepth > 0);
  }

  const Token &peek() {
    if (!peeked) {
      Token next;
      do
        next = lexer.lex();
      while (next.is(TokenKind::newline) && bracketDepth > 0);
      peeked = std::move(next);
    }
    return *peeked;
  }

  bool at(TokenKind kind) const { return tok.is(kind); }

  void openBracket() {
    ++bracketDepth;
    advance();
  }
  void closeBracket() {
    --bracketDepth;
    advance();
  }

  void skipNewlines() {
    while (at(TokenKind::newline))
      advance();
  }

  bool atStatementEnd() const {
    return at(TokenKind::newline) || at(TokenKind::semicolon) ||
           at(TokenKind::r_brace) || at(TokenKind::eof);
  }

  bool atTopLevelKeyword() const {
    return at(TokenKind::kw_model) || at(TokenKind::kw_block) ||
           at(TokenKind::kw_train) || at(TokenKind::kw_import);
  }

  bool stopping() const { return diag.errorLimitReached(); }

  //===--------------------------------------------------------------------===//
  // Diagnostics and recovery
  //===--------------------------------------------------------------------===//

  /// Reports at the current token, unless it is a malformed token the lexer
  /// has reported already.
  void errorHere(const llvm::Twine &message) {
    if (tok.isNot(TokenKind::error))
      diag.error(tok.loc, message);
  }

  void errorExpected(const llvm::Twine &what) {
    errorHere("expected " + what + ", found " + tok.describe());
  }

  /// Reports an unclosed bracket, pointing also at its opening.
  void errorUnclosed(llvm::StringRef close, llvm::StringRef what,
                     const Location &openLoc, llvm::StringRef open) {
    if (tok.is(TokenKind::error))
      return;
    errorExpected("'" + close + "'" + what);
    diag.note(openLoc, "to match this '" + open + "'");
  }

  /// Reports "too deep" and returns false when one more level of nesting
  /// would pass kMaxNestingDepth.
  bool canNest(const Location &loc) {
    if (nesting < kMaxNestingDepth)
      return true;
    diag.error(loc, "nesting is too deep (more than " +
                        llvm::Twine(kMaxNestingDepth) +
                        " levels of brackets, calls, unary minus or repeat)");
    return false;
  }

  /// Returns `expr`, or null after reporting when it is too tall.
  template <typename T>
  std::unique_ptr<T> checkHeight(std::unique_ptr<T> expr) {
    if (expr->getHeight() <= kMaxExprHeight)
      return expr;
    diag.error(expr->getLoc(), "expression is too large (its tree is more "
                               "than " +
                                   llvm::Twine(kMaxExprHeight) +
                                   " levels deep); split it with 'let'");
    return nullptr;
  }

  /// Skips the rest of a broken statement: up to and including the next
  /// newline or ';' outside braces, or up to (not including) a '}' that
  /// closes the enclosing body, a top-level keyword or the end of file.
  void skipToStatementEnd() {
    bracketDepth = 0;
    unsigned braces = 0;
    while (!at(TokenKind::eof) && !atTopLevelKeyword() && !stopping()) {
      if (at(TokenKind::newline) || at(TokenKind::semicolon)) {
        if (braces == 0) {
          advance();
          return;
        }
      } else if (at(TokenKind::l_brace)) {
        ++braces;
      } else if (at(TokenKind::r_brace)) {
        if (braces == 0)
          return;
        --braces;
      }
      advance();
    }
  }

  /// After a broken declaration header, skips to its '{' (returns true) or
  /// to the next top-level keyword or the end of file (returns false).
  bool skipToBodyOpen() {
    bracketDepth = 0;
    while (!at(TokenKind::l_brace) && !at(TokenKind::eof) &&
           !atTopLevelKeyword() && !stopping())
      advance();
    return at(TokenKind::l_brace);
  }

  /// Expects the end of a statement: newline, ';', '}' or end of file (the
  /// first two are consumed by the statement loop).
  bool expectStatementEnd(llvm::StringRef what) {
    if (atStatementEnd())
      return true;
    errorExpected("newline or ';' after " + what);
    return false;
  }

  //===--------------------------------------------------------------------===//
  // Declarations
  //===--------------------------------------------------------------------===//

  void parseModel();
  void parseBlock();
  void parseImport();
  void parseTrain();
  bool parseSetting(std::vector<TrainSettingAST> &settings);

  /// After a declaration header: skips newlines and expects '{', recovering
  /// to the next '{' when the header is broken.
  bool expectBodyOpen(const llvm::Twine &after) {
    skipNewlines();
    if (at(TokenKind::l_brace))
      return true;
    errorExpected("'{' after " + after);
    return skipToBodyOpen();
  }

  //===--------------------------------------------------------------------===//
  // Statements
  //===--------------------------------------------------------------------===//

  bool parseBody(BodyKind kind, bool inRepeat, const llvm::Twine &what,
                 const Location &openLoc, std::vector<StmtPtr> &body,
                 BlockReturn *blockReturn, Location *closeLoc = nullptr);
  void parseReturn(BodyKind kind, bool inRepeat, BlockReturn *blockReturn);
  StmtPtr parseStatement(BodyKind kind, bool inRepeat);
  StmtPtr parseDeclaration(bool isLabel);
  StmtPtr parseLet();
  StmtPtr parseAssign();
  StmtPtr parseRepeat(BodyKind kind);
  StmtPtr parseMetric();
  StmtPtr parseFreeze();
  bool parseType(TensorTypeAST &type);

  //===--------------------------------------------------------------------===//
  // Expressions
  //===--------------------------------------------------------------------===//

  ExprPtr parseExpr();
  ExprPtr parseMultiplicative();
  ExprPtr parseUnary();
  ExprPtr parsePrimary();
  ExprPtr parseSubscripts(ExprPtr base);
  StmtPtr parseParam();
  bool parseNameAndType(std::string &name, Location &nameLoc, TensorTypeAST &type);
  ExprPtr parseAtom();
  /// Whether the atom just parsed was `( ... )`.
  bool parenthesized = false;
  ExprPtr parseParenExpr();
  ExprPtr parseList();
  std::unique_ptr<CallExprAST> parseCall(Location loc, llvm::StringRef callee);
  ExprPtr parseArgValue(bool named);
  ExprPtr parseNumber();

  Lexer lexer;
  DiagnosticEngine &diag;
  /// The engine's error count before this file; more means the file failed.
  unsigned errorsBefore;
  Token tok;
  std::optional<Token> peeked;
  /// Open ( and [ around the current token; newlines are skipped while > 0.
  unsigned bracketDepth = 0;
  /// Recursion depth of nested constructs, bounded by kMaxNestingDepth.
  unsigned nesting = 0;
  /// Inside `train { }`, where a string may also be a positional argument.
  /// In the train section or an import's source, where strings may be
  /// positional arguments (`data text("kjv.txt")`, `onnx("net.onnx")`).
  bool inTrain = false;

  std::vector<std::unique_ptr<BlockAST>> blocks;
  std::vector<std::unique_ptr<ImportAST>> imports;
  /// Every block name seen, parsed without errors or not.
  llvm::StringMap<Location> blockLocs;
  std::unique_ptr<ModelAST> model;
  std::optional<Location> modelLoc;
  std::unique_ptr<TrainAST> train;
  std::optional<Location> trainLoc;
};

} // namespace

//===----------------------------------------------------------------------===//
// File and declarations
//===----------------------------------------------------------------------===//

std::unique_ptr<FileAST> Parser::parseFile() {
  while (!stopping()) {
    if (at(TokenKind::newline) || at(TokenKind::semicolon)) {
      advance();
    } else if (at(TokenKind::eof)) {
      break;
    } else if (at(TokenKind::kw_model)) {
      parseModel();
    } else if (at(TokenKind::kw_block)) {
      parseBlock();
    } else if (at(TokenKind::kw_train)) {
      parseTrain();
    } else if (at(TokenKind::kw_import)) {
      parseImport();
    } else {
      errorExpected("'model', 'block', 'import' or 'train'");
      bracketDepth = 0;
      do
        advance();
      while (!at(TokenKind::eof) && !atTopLevelKeyword() && !stopping());
    }
  }
  if (!modelLoc && !stopping())
    diag.error(tok.loc, "no model in this file: expected 'model Name { ... }'");
  if (diag.getNumErrors() != errorsBefore || !model)
    return nullptr;
  for (const std::unique_ptr<ImportAST> &import : imports) {
    if (blockLocs.count(import->getName())) {
      diag.error(import->getNameLoc(), "import '" + import->getName().str() +
                                           "' has the name of a block");
      diag.note(blockLocs.find(import->getName())->second, "the block is here");
    }
  }
  if (diag.getNumErrors() != errorsBefore)
    return nullptr;
  return std::make_unique<FileAST>(lexer.getFile(), std::move(blocks),
                                   std::move(model), std::move(train), std::move(imports));
}

void Parser::parseModel() {
  Location loc = tok.loc;
  advance();
  bool isFirst = !modelLoc;
  if (!isFirst) {
    diag.error(loc, "only one model is allowed per file");
    diag.note(*modelLoc, "the first model is here");
  } else {
    modelLoc = loc;
  }

  std::string name;
  if (at(TokenKind::identifier)) {
    name = tok.spelling.str();
    advance();
  } else {
    errorExpected("a model name after 'model'");
  }
  if (!expectBodyOpen("'model " + name + "'"))
    return;
  Location openLoc = tok.loc;
  advance();
  std::vector<StmtPtr> body;
  if (!parseBody(BodyKind::Model, /*inRepeat=*/false, "model '" + name + "'",
                 openLoc, body, nullptr))
    return;
  if (isFirst)
    model = std::make_unique<ModelAST>(loc, name, std::move(body));
}

/// `import name from onnx("file.onnx")`
void Parser::parseImport() {
  Location loc = tok.loc;
  advance();
  auto skipLine = [&] {
    bracketDepth = 0;
    while (!at(TokenKind::eof) && !at(TokenKind::newline) && !atTopLevelKeyword())
      advance();
  };
  if (!at(TokenKind::identifier)) {
    errorExpected("a name after 'import' (import net from onnx(\"net.onnx\"))");
    return skipLine();
  }
  std::string name = tok.spelling.str();
  Location nameLoc = tok.loc;
  advance();
  if (!at(TokenKind::identifier) || tok.spelling != "from") {
    errorExpected("'from' after 'import " + name + "'");
    return skipLine();
  }
  advance();
  if (!at(TokenKind::identifier) || tok.spelling != "onnx") {
    errorExpected("a source after 'from': onnx(\"file.onnx\")");
    return skipLine();
  }
  Location callLoc = tok.loc;
  advance();
  if (!at(TokenKind::l_paren)) {
    errorExpected("'(' and the file after 'onnx'");
    return skipLine();
  }
  inTrain = true;
  std::unique_ptr<CallExprAST> source = parseCall(callLoc, "onnx");
  inTrain = false;
  if (!source)
    return skipLine();
  if (!atStatementEnd()) {
    errorExpected("the end of the line after the import");
    return skipLine();
  }
  for (const std::unique_ptr<ImportAST> &import : imports) {
    if (import->getName() == name) {
      diag.error(nameLoc, "duplicate import '" + name + "'");
      diag.note(import->getNameLoc(), "the first import '" + name + "' is here");
      return;
    }
  }
  imports.push_back(
      std::make_unique<ImportAST>(loc, name, nameLoc, std::move(source)));
}

void Parser::parseBlock() {
  Location loc = tok.loc;
  advance();

  std::string name;
  Location nameLoc = tok.loc;
  if (at(TokenKind::identifier)) {
    name = tok.spelling.str();
    advance();
  } else {
    errorExpected("a block name after 'block'");
  }
  bool isDuplicate = false;
  if (!name.empty()) {
    auto [first, inserted] = blockLocs.try_emplace(name, loc);
    if (!inserted) {
      diag.error(nameLoc, "duplicate block '" + name + "'");
      diag.note(first->second, "the first block '" + name + "' is here");
      isDuplicate = true;
    }
  }

  std::vector<ParamAST> params;
  bool headerOk = true;
  if (!at(TokenKind::l_paren)) {
    errorExpected("'(' and the parameters of block '" + name + "'");
    headerOk = false;
  } else {
    Location openLoc = tok.loc;
    openBracket();
    if (at(TokenKind::r_paren))
      diag.error(tok.loc, "block '" + name + "' needs at least one parameter");
    while (headerOk && !at(TokenKind::r_paren)) {
      if (!at(TokenKind::identifier)) {
        errorExpected("a parameter name");
        headerOk = false;
        break;
      }
      for (const ParamAST &param : params) {
        if (param.name == tok.spelling) {
          diag.error(tok.loc, "duplicate parameter " + quote(tok.spelling) +
                                  " of block '" + name + "'");
          diag.note(param.loc, "the first one is here");
          break;
        }
      }
      params.push_back({tok.spelling.str(), tok.loc});
      advance();
      if (at(TokenKind::comma)) {
        advance();
      } else if (!at(TokenKind::r_paren)) {
        errorUnclosed(")", " or ',' after a parameter", openLoc, "(");
        headerOk = false;
      }
    }
    if (headerOk)
      closeBracket();
  }
  if (!headerOk) {
    if (!skipToBodyOpen())
      return;
  } else if (!expectBodyOpen("the parameters of block '" + name + "'")) {
    return;
  }
  Location openLoc = tok.loc;
  advance();

  std::vector<StmtPtr> body;
  BlockReturn blockReturn;
  blockReturn.blockName = name;
  Location closeLoc;
  if (!parseBody(BodyKind::Block, /*inRepeat=*/false, "block '" + name + "'",
                 openLoc, body, &blockReturn, &closeLoc))
    return;
  if (!blockReturn.loc)
    diag.error(closeLoc, "block '" + name +
                             "' must end with 'return' and the block's value");
  if (!blockReturn.result || name.empty() || isDuplicate)
    return;
  blocks.push_back(std::make_unique<BlockAST>(
      loc, name, std::move(params), std::move(body),
      std::move(*blockReturn.loc), std::move(blockReturn.result)));
}

void Parser::parseTrain() {
  Location loc = tok.loc;
  advance();
  bool isFirst = !trainLoc;
  if (!isFirst) {
    diag.error(loc, "only one train section is allowed per file");
    diag.note(*trainLoc, "the first train section is here");
  } else {
    trainLoc = loc;
  }
  if (!expectBodyOpen("'train'")) {
    // Without a body there is no section for a later one to repeat.
    if (isFirst)
      trainLoc.reset();
    return;
  }
  Location openLoc = tok.loc;
  advance();

  inTrain = true;
  std::vector<TrainSettingAST> settings;
  bool closed = false;
  while (!stopping()) {
    if (at(TokenKind::newline) || at(TokenKind::semicolon)) {
      advance();
    } else if (at(TokenKind::r_brace)) {
      advance();
      closed = true;
      break;
    } else if (at(TokenKind::eof) || atTopLevelKeyword()) {
      errorExpected("'}' to close the train section");
      diag.note(openLoc, "to match this '{'");
      break;
    } else if (!parseSetting(settings)) {
      skipToStatementEnd();
    }
  }
  inTrain = false;
  if (closed && isFirst)
    train = std::make_unique<TrainAST>(loc, std::move(settings));
}

bool Parser::parseSetting(std::vector<TrainSettingAST> &settings) {
  if (!at(TokenKind::identifier)) {
    errorExpected("a setting name");
    return false;
  }
  TrainSettingAST setting;
  setting.name = tok.spelling.str();
  setting.loc = tok.loc;
  const char *nameEnd = tok.spelling.end();
  advance();

  if (at(TokenKind::l_paren) && tok.spelling.begin() == nameEnd) {
    // `early_stopping(metric: "val_loss")`: the setting is its own call.
    setting.value = parseCall(setting.loc, setting.name);
  } else if (at(TokenKind::string)) {
    setting.value = std::make_unique<StringExprAST>(tok.loc, tok.stringValue);
    advance();
  } else if (atStatementEnd()) {
    errorExpected("a value for setting " + quote(setting.name));
    return false;
  } else {
    setting.value = parseExpr();
  }
  if (!setting.value ||
      !expectStatementEnd("the value of setting " + quote(setting.name)))
    return false;

  for (const TrainSettingAST &other : settings) {
    if (other.name == setting.name) {
      diag.error(setting.loc, "duplicate setting " + quote(setting.name));
      diag.note(other.loc, "the first one is here");
      return true;
    }
  }
  settings.push_back(std::move(setting));
  return true;
}

//===----------------------------------------------------------------------===//
// Statements
//===----------------------------------------------------------------------===//

/// Parses statements after the '{' at `openLoc` up to and including the
/// matching '}' (reported in `closeLoc`). Returns false when the body is cut
/// short (end of file, a top-level keyword, or the error limit).
bool Parser::parseBody(BodyKind kind, bool inRepeat, const llvm::Twine &what,
                       const Location &openLoc, std::vector<StmtPtr> &body,
                       BlockReturn *blockReturn, Location *closeLoc) {
  std::string description = what.str();
  while (!stopping()) {
    if (at(TokenKind::newline) || at(TokenKind::semicolon)) {
      advance();
      continue;
    }
    if (at(TokenKind::r_brace)) {
      if (closeLoc)
        *closeLoc = tok.loc;
      advance();
      return true;
    }
    if (at(TokenKind::eof) || atTopLevelKeyword()) {
      errorExpected("'}' to close " + description);
      diag.note(openLoc, "to match this '{'");
      return false;
    }
    if (blockReturn && blockReturn->loc && !blockReturn->reportedTrailing) {
      diag.error(tok.loc, "'return' must be the last statement of block '" +
                              blockReturn->blockName + "'");
      diag.note(*blockReturn->loc, "the 'return' is here");
      blockReturn->reportedTrailing = true;
    }
    if (at(TokenKind::kw_return)) {
      parseReturn(kind, inRepeat, blockReturn);
      continue;
    }
    StmtPtr stmt = parseStatement(kind, inRepeat);
    if (!stmt || !expectStatementEnd("the statement")) {
      skipToStatementEnd();
      continue;
    }
    body.push_back(std::move(stmt));
  }
  return false;
}

void Parser::parseReturn(BodyKind kind, bool inRepeat,
                         BlockReturn *blockReturn) {
  Location loc = tok.loc;
  if (kind != BodyKind::Block)
    diag.error(loc, "'return' is only allowed at the end of a block");
  else if (inRepeat)
    diag.error(loc, "'return' is not allowed inside 'repeat'");
  bool isBlockResult = blockReturn && !inRepeat && !blockReturn->loc;
  if (isBlockResult)
    blockReturn->loc = loc;
  advance();
  ExprPtr result = parseExpr();
  if (!result || !expectStatementEnd("the returned value")) {
    skipToStatementEnd();
    return;
  }
  if (isBlockResult)
    blockReturn->result = std::move(result);
}

StmtPtr Parser::parseStatement(BodyKind kind, bool inRepeat) {
  auto notInBlock = [&](llvm::StringRef keyword) {
    if (kind == BodyKind::Block)
      diag.error(tok.loc, "'" + keyword +
                              "' is not allowed in a block; a block holds "
                              "'let', assignments, 'param', 'repeat' and 'return'");
  };
  switch (tok.kind) {
  case TokenKind::kw_input:
  case TokenKind::kw_label: {
    llvm::StringRef keyword = tok.spelling;
    if (kind == BodyKind::Block)
      notInBlock(keyword);
    else if (inRepeat)
      diag.error(tok.loc, "'" + keyword +
                              "' is not allowed inside 'repeat'; declare it at "
                              "the top level of the model");
    return parseDeclaration(tok.is(TokenKind::kw_label));
  }
  case TokenKind::kw_let:
    return parseLet();
  case TokenKind::identifier:
    return parseAssign();
  case TokenKind::kw_repeat:
    return parseRepeat(kind);
  case TokenKind::kw_loss:
  case TokenKind::kw_output: {
    notInBlock(tok.spelling);
    Location loc = tok.loc;
    bool isLoss = tok.is(TokenKind::kw_loss);
    advance();
    ExprPtr value = parseExpr();
    if (!value)
      return nullptr;
    if (isLoss)
      return std::make_unique<LossStmtAST>(loc, std::move(value));
    return std::make_unique<OutputStmtAST>(loc, std::move(value));
  }
  case TokenKind::kw_metric:
    notInBlock(tok.spelling);
    return parseMetric();
  case TokenKind::kw_freeze:
    notInBlock(tok.spelling);
    return parseFreeze();
  case TokenKind::kw_param:
    return parseParam();
  default:
    errorExpected("a statement");
    return nullptr;
  }
}

/// `param NAME: TYPE [init: EXPR]`.
StmtPtr Parser::parseParam() {
  Location loc = tok.loc;
  std::string name;
  Location nameLoc;
  TensorTypeAST type;
  if (!parseNameAndType(name, nameLoc, type))
    return nullptr;
  ExprPtr init;
  if (at(TokenKind::identifier) && tok.spelling == "init") {
    advance();
    if (!at(TokenKind::colon)) {
      errorExpected("':' and an initializer after 'init'");
      return nullptr;
    }
    advance();
    init = parseExpr();
    if (!init)
      return nullptr;
  }
  return std::make_unique<ParamStmtAST>(loc, name, nameLoc, std::move(type), std::move(init));
}

/// `KEYWORD NAME: TYPE` of a declaration (input, label, param); the current
/// token is the keyword.
bool Parser::parseNameAndType(std::string &name, Location &nameLoc, TensorTypeAST &type) {
  llvm::StringRef keyword = tok.spelling;
  advance();
  if (!at(TokenKind::identifier)) {
    errorExpected("a name after '" + keyword + "'");
    return false;
  }
  name = tok.spelling.str();
  nameLoc = tok.loc;
  advance();
  if (!at(TokenKind::colon)) {
    errorExpected("':' and a type after " + quote(name));
    return false;
  }
  advance();
  return parseType(type);
}

StmtPtr Parser::parseDeclaration(bool isLabel) {
  Location loc = tok.loc;
  std::string name;
  Location nameLoc;
  TensorTypeAST type;
  if (!parseNameAndType(name, nameLoc, type))
    return nullptr;
  if (!isLabel)
    return std::make_unique<InputStmtAST>(loc, name, nameLoc, std::move(type));

  std::optional<int64_t> classes;
  if (at(TokenKind::kw_classes)) {
    advance();
    if (!at(TokenKind::integer)) {
      errorExpected("a positive integer after 'classes'");
      return nullptr;
    }
    if (tok.intValue == 0) {
      diag.error(tok.loc, "the number of classes must be positive");
      return nullptr;
    }
    classes = tok.intValue;
    advance();
  }
  return std::make_unique<LabelStmtAST>(loc, name, nameLoc, std::move(type),
                                        classes);
}

bool Parser::parseType(TensorTypeAST &type) {
  if (!at(TokenKind::identifier)) {
    errorExpected("a tensor type such as f32[B, 784]");
    return false;
  }
  std::optional<ElementType> elementType =
      llvm::StringSwitch<std::optional<ElementType>>(tok.spelling)
          .Case("f32", ElementType::F32)
          .Case("f64", ElementType::F64)
          .Case("i32", ElementType::I32)
          .Default(std::nullopt);
  if (!elementType) {
    diag.error(tok.loc, "unknown element type " + quote(tok.spelling) +
                            "; expected f32, f64 or i32");
    return false;
  }
  type.elementType = *elementType;
  type.loc = tok.loc;
  advance();
  if (!at(TokenKind::l_square)) {
    errorExpected("'[' and the dimensions after '" +
                  getElementTypeName(type.elementType) + "'");
    return false;
  }
  Location openLoc = tok.loc;
  openBracket();
  bool valid = true;
  while (!at(TokenKind::r_square)) {
    DimAST dim;
    dim.loc = tok.loc;
    if (at(TokenKind::identifier) && tok.spelling == "B") {
      dim.isBatch = true;
    } else if (at(TokenKind::integer)) {
      dim.size = tok.intValue;
      if (dim.size == 0) {
        diag.error(tok.loc, "a dimension must be positive");
        valid = false;
      }
    } else {
      errorExpected("a dimension (a positive integer or B)");
      return false;
    }
    type.dims.push_back(std::move(dim));
    advance();
    if (at(TokenKind::comma)) {
      advance();
    } else if (!at(TokenKind::r_square)) {
      errorUnclosed("]", " or ',' after a dimension", openLoc, "[");
      return false;
    }
  }
  if (type.dims.empty()) {
    diag.error(tok.loc, "a tensor type needs at least one dimension");
    valid = false;
  }
  closeBracket();
  return valid;
}

StmtPtr Parser::parseLet() {
  Location loc = tok.loc;
  advance();
  if (!at(TokenKind::identifier)) {
    errorExpected("a name after 'let'");
    return nullptr;
  }
  std::vector<LetStmtAST::Name> names{{tok.spelling.str(), tok.loc}};
  advance();
  // `let q, k, v = split(...)`
  while (at(TokenKind::comma)) {
    advance();
    if (!at(TokenKind::identifier)) {
      errorExpected("a name after ',' in 'let " + names.front().name + ", ...'");
      return nullptr;
    }
    names.push_back({tok.spelling.str(), tok.loc});
    advance();
  }
  if (!at(TokenKind::equal)) {
    std::string list;
    for (const LetStmtAST::Name &name : names)
      list += (list.empty() ? "" : ", ") + name.name;
    errorExpected("'=' after 'let " + list + "'");
    return nullptr;
  }
  advance();
  ExprPtr value = parseExpr();
  if (!value)
    return nullptr;
  return std::make_unique<LetStmtAST>(loc, std::move(names), std::move(value));
}

StmtPtr Parser::parseAssign() {
  Location loc = tok.loc;
  std::string name = tok.spelling.str();
  advance();
  if (at(TokenKind::l_paren)) {
    diag.error(loc, "a call is not a statement; bind its value with 'let'");
    return nullptr;
  }
  if (!at(TokenKind::equal)) {
    errorExpected("'=' after " + quote(name));
    return nullptr;
  }
  advance();
  ExprPtr value = parseExpr();
  if (!value)
    return nullptr;
  return std::make_unique<AssignStmtAST>(loc, name, std::move(value));
}

StmtPtr Parser::parseRepeat(BodyKind kind) {
  Location loc = tok.loc;
  advance();
  int64_t count = 1;
  bool valid = true;
  if (at(TokenKind::integer)) {
    count = tok.intValue;
    if (count == 0) {
      diag.error(tok.loc, "the repeat count must be positive");
      valid = false;
    }
    advance();
  } else {
    errorExpected("a positive integer after 'repeat'");
    valid = false;
    // Parse the body anyway, for the errors it may hold.
    bracketDepth = 0;
    while (!at(TokenKind::l_brace) && !atStatementEnd() &&
           !atTopLevelKeyword() && !stopping())
      advance();
  }
  // `repeat N as t`: t is the iteration's number.
  std::string index;
  Location indexLoc = tok.loc;
  if (valid && at(TokenKind::identifier) && tok.spelling == "as") {
    advance();
    if (!at(TokenKind::identifier)) {
      errorExpected("a name after 'repeat " + llvm::Twine(count) + " as'");
      return nullptr;
    }
    index = tok.spelling.str();
    indexLoc = tok.loc;
    advance();
  }
  skipNewlines();
  if (!at(TokenKind::l_brace)) {
    if (valid)
      errorExpected("'{' after 'repeat " + llvm::Twine(count) + "'");
    return nullptr;
  }
  if (!canNest(tok.loc))
    return nullptr;
  NestingScope scope(nesting);
  Location openLoc = tok.loc;
  advance();
  std::vector<StmtPtr> body;
  if (!parseBody(kind, /*inRepeat=*/true, "'repeat'", openLoc, body, nullptr) ||
      !valid)
    return nullptr;
  return std::make_unique<RepeatStmtAST>(loc, count, std::move(body), std::move(index),
                                         std::move(indexLoc));
}

StmtPtr Parser::parseMetric() {
  Location loc = tok.loc;
  advance();
  if (!at(TokenKind::identifier) || peek().isNot(TokenKind::l_paren)) {
    errorExpected("a call after 'metric', as in 'metric accuracy(logits, y)'");
    return nullptr;
  }
  Location callLoc = tok.loc;
  std::string callee = tok.spelling.str();
  advance();
  std::unique_ptr<CallExprAST> call = parseCall(callLoc, callee);
  if (!call)
    return nullptr;
  return std::make_unique<MetricStmtAST>(loc, std::move(call));
}

StmtPtr Parser::parseFreeze() {
  Location loc = tok.loc;
  advance();
  if (at(TokenKind::string)) {
    // `freeze "layer1.*"`: a glob over parameter names.
    auto stmt = std::make_unique<FreezeStmtAST>(loc, tok.stringValue, tok.loc, /*glob=*/true);
    advance();
    return stmt;
  }
  if (!tok.isWord()) {
    errorExpected("a layer name or a quoted pattern after 'freeze'");
    return nullptr;
  }
  Location layerLoc = tok.loc;
  std::string layer = tok.spelling.str();
  advance();
  while (at(TokenKind::dot)) {
    advance();
    if (!tok.isWord()) {
      errorExpected("a name after '.' in a layer name");
      return nullptr;
    }
    layer += '.';
    layer += tok.spelling;
    advance();
  }
  return std::make_unique<FreezeStmtAST>(loc, layer, layerLoc);
}

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

ExprPtr Parser::parseExpr() {
  ExprPtr lhs = parseMultiplicative();
  while (lhs && (at(TokenKind::plus) || at(TokenKind::minus))) {
    Location loc = tok.loc;
    char op = tok.spelling.front();
    advance();
    ExprPtr rhs = parseMultiplicative();
    if (!rhs)
      return nullptr;
    lhs = checkHeight(std::make_unique<BinaryExprAST>(loc, op, std::move(lhs),
                                                      std::move(rhs)));
  }
  return lhs;
}

ExprPtr Parser::parseMultiplicative() {
  ExprPtr lhs = parseUnary();
  while (lhs && (at(TokenKind::star) || at(TokenKind::slash))) {
    Location loc = tok.loc;
    char op = tok.spelling.front();
    advance();
    ExprPtr rhs = parseUnary();
    if (!rhs)
      return nullptr;
    lhs = checkHeight(std::make_unique<BinaryExprAST>(loc, op, std::move(lhs),
                                                      std::move(rhs)));
  }
  return lhs;
}

ExprPtr Parser::parseUnary() {
  if (!at(TokenKind::minus))
    return parsePrimary();
  Location loc = tok.loc;
  if (!canNest(loc))
    return nullptr;
  NestingScope scope(nesting);
  advance();
  ExprPtr operand = parseUnary();
  if (!operand)
    return nullptr;
  return checkHeight(
      std::make_unique<UnaryExprAST>(loc, '-', std::move(operand)));
}

ExprPtr Parser::parsePrimary() {
  ExprPtr primary = parseAtom();
  // `x[...]` right after a name, a call or a parenthesized expression, on
  // the same line (a '[' that starts a line starts no subscript).
  while (primary && at(TokenKind::l_square) &&
         (llvm::isa<NameExprAST>(*primary) || llvm::isa<CallExprAST>(*primary) ||
          llvm::isa<IndexExprAST>(*primary) || parenthesized))
    primary = parseSubscripts(std::move(primary));
  return primary;
}

/// `[sub, ...]` after `base`; the current token is '['.
ExprPtr Parser::parseSubscripts(ExprPtr base) {
  Location openLoc = tok.loc;
  if (!canNest(openLoc))
    return nullptr;
  NestingScope scope(nesting);
  openBracket();
  std::vector<SubscriptAST> subs;
  while (!at(TokenKind::r_square)) {
    SubscriptAST sub;
    sub.loc = tok.loc;
    if (!at(TokenKind::colon)) {
      sub.index = parseExpr();
      if (!sub.index)
        return nullptr;
    }
    if (at(TokenKind::colon)) {
      advance();
      sub.isSlice = true;
      sub.start = std::move(sub.index);
      if (!at(TokenKind::comma) && !at(TokenKind::r_square) && !at(TokenKind::colon)) {
        sub.stop = parseExpr();
        if (!sub.stop)
          return nullptr;
      }
      if (at(TokenKind::colon)) {
        errorHere("slices take unit steps: start:stop, without a step");
        return nullptr;
      }
    }
    subs.push_back(std::move(sub));
    if (at(TokenKind::comma)) {
      advance();
    } else if (!at(TokenKind::r_square)) {
      errorUnclosed("]", " or ',' in the subscript", openLoc, "[");
      return nullptr;
    }
  }
  if (subs.empty()) {
    errorHere("expected an index or a slice in '[ ]'");
    return nullptr;
  }
  closeBracket();
  return checkHeight(
      std::make_unique<IndexExprAST>(openLoc, std::move(base), std::move(subs)));
}

ExprPtr Parser::parseAtom() {
  parenthesized = false;
  switch (tok.kind) {
  case TokenKind::integer:
  case TokenKind::floating:
    return parseNumber();
  case TokenKind::identifier: {
    Location loc = tok.loc;
    std::string name = tok.spelling.str();
    if (peek().is(TokenKind::l_paren)) {
      advance();
      return parseCall(loc, name);
    }
    advance();
    return std::make_unique<NameExprAST>(loc, name);
  }
  case TokenKind::l_paren: {
    ExprPtr inner = parseParenExpr();
    parenthesized = inner != nullptr;
    return inner;
  }
  case TokenKind::l_square:
    return parseList();
  case TokenKind::string:
    errorHere("a string cannot be part of an expression; strings are "
              "argument values, as in name: \"fc1\"");
    return nullptr;
  default:
    errorExpected("an expression");
    return nullptr;
  }
}

ExprPtr Parser::parseNumber() {
  ExprPtr number;
  if (at(TokenKind::integer))
    number = NumberExprAST::makeInteger(tok.loc, tok.spelling, tok.intValue);
  else
    number = NumberExprAST::makeFloat(tok.loc, tok.spelling, tok.floatValue);
  advance();
  return number;
}

ExprPtr Parser::parseParenExpr() {
  Location openLoc = tok.loc;
  if (!canNest(openLoc))
    return nullptr;
  NestingScope scope(nesting);
  openBracket();
  ExprPtr inner = parseExpr();
  if (!inner)
    return nullptr;
  if (!at(TokenKind::r_paren)) {
    errorUnclosed(")", "", openLoc, "(");
    return nullptr;
  }
  closeBracket();
  return inner;
}

ExprPtr Parser::parseList() {
  Location openLoc = tok.loc;
  if (!canNest(openLoc))
    return nullptr;
  NestingScope scope(nesting);
  openBracket();
  std::vector<ExprPtr> elements;
  while (!at(TokenKind::r_square)) {
    ExprPtr element = parseExpr();
    if (!element)
      return nullptr;
    elements.push_back(std::move(element));
    if (at(TokenKind::comma)) {
      advance();
    } else if (!at(TokenKind::r_square)) {
      errorUnclosed("]", " or ',' in the list", openLoc, "[");
      return nullptr;
    }
  }
  closeBracket();
  return checkHeight(
      std::make_unique<ListExprAST>(openLoc, std::move(elements)));
}

/// Parses `(args)` of a call whose callee, at `loc`, has been consumed; the
/// current token is '('.
std::unique_ptr<CallExprAST> Parser::parseCall(Location loc,
                                               llvm::StringRef callee) {
  Location openLoc = tok.loc;
  if (!canNest(openLoc))
    return nullptr;
  NestingScope scope(nesting);
  openBracket();
  std::vector<ExprPtr> args;
  std::vector<NamedArgAST> namedArgs;
  while (!at(TokenKind::r_paren)) {
    if (tok.isWord() && peek().is(TokenKind::colon)) {
      NamedArgAST arg;
      arg.name = tok.spelling.str();
      arg.loc = tok.loc;
      advance();
      advance();
      arg.value = parseArgValue(/*named=*/true);
      if (!arg.value)
        return nullptr;
      const NamedArgAST *previous = nullptr;
      for (const NamedArgAST &other : namedArgs)
        if (other.name == arg.name)
          previous = &other;
      if (previous) {
        diag.error(arg.loc, "duplicate argument " + quote(arg.name) +
                                " in the call to " + quote(callee));
        diag.note(previous->loc, "the first one is here");
      } else {
        namedArgs.push_back(std::move(arg));
      }
    } else {
      if (!namedArgs.empty())
        errorHere("positional argument after named arguments in the call "
                  "to " +
                  quote(callee));
      ExprPtr value = parseArgValue(/*named=*/false);
      if (!value)
        return nullptr;
      args.push_back(std::move(value));
    }
    if (at(TokenKind::comma)) {
      advance();
    } else if (!at(TokenKind::r_paren)) {
      errorUnclosed(")", " or ',' in the arguments of " + quote(callee),
                    openLoc, "(");
      return nullptr;
    }
  }
  closeBracket();
  return checkHeight(std::make_unique<CallExprAST>(
      std::move(loc), callee, std::move(args), std::move(namedArgs)));
}

ExprPtr Parser::parseArgValue(bool named) {
  if (!at(TokenKind::string))
    return parseExpr();
  if (!named && !inTrain) {
    errorHere("a string can only be the value of a named argument, as in "
              "name: \"fc1\"");
    return nullptr;
  }
  auto value = std::make_unique<StringExprAST>(tok.loc, tok.stringValue);
  advance();
  return value;
}

std::unique_ptr<FileAST> gradc::parseFile(const llvm::SourceMgr &sourceMgr,
                                          unsigned bufferId,
                                          DiagnosticEngine &diag) {
  return Parser(sourceMgr, bufferId, diag).parseFile();
}
