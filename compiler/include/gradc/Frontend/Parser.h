//===- Parser.h - Recursive-descent parser for .gc files --------*- C++ -*-===//
//
// Parses a whole model file into a FileAST. The grammar and the lexical rules
// are in docs/language.md. The parser reports every syntax error it can find
// in one pass: after an error it resumes at the next statement (a newline,
// ';' or '}'), and it stops once the diagnostic engine's error limit is
// reached.
//
//===----------------------------------------------------------------------===//

#ifndef GRADC_FRONTEND_PARSER_H
#define GRADC_FRONTEND_PARSER_H

#include "gradc/Frontend/AST.h"
#include "gradc/Frontend/Diagnostics.h"

#include <memory>

namespace llvm {
class SourceMgr;
} // namespace llvm

namespace gradc {

/// How deeply parentheses, brackets, calls, unary minus and repeat bodies may
/// nest inside one another.
constexpr unsigned kMaxNestingDepth = 256;

/// The greatest height of an expression tree (see ExprAST::getHeight); bounds
/// the recursion of every later walk over the tree, as in `a + a + ... + a`.
constexpr unsigned kMaxExprHeight = 1024;

/// Parses buffer `bufferId` of `sourceMgr`, reporting problems to `diag`.
/// Returns the tree when the buffer has no errors, nullptr otherwise (the
/// errors have then been reported). The tree's locations point into
/// `sourceMgr`, which must outlive any use of them in diagnostics.
std::unique_ptr<FileAST> parseFile(const llvm::SourceMgr &sourceMgr,
                                   unsigned bufferId, DiagnosticEngine &diag);

} // namespace gradc

#endif // GRADC_FRONTEND_PARSER_H
