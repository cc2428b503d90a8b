//===- Diagnostics.h - Source locations and the diagnostic sink -*- C++ -*-===//
//
// Every stage that reads a model file (lexer, parser, MLIRGen) reports its
// problems through one DiagnosticEngine, so they share one format
// (`file:line:col: error: message`, then the source line and a caret), one
// error count and one error limit.
//
//===----------------------------------------------------------------------===//

#ifndef GRADC_FRONTEND_DIAGNOSTICS_H
#define GRADC_FRONTEND_DIAGNOSTICS_H

#include "llvm/ADT/Twine.h"
#include "llvm/Support/SMLoc.h"
#include "llvm/Support/raw_ostream.h"

#include <functional>
#include <memory>
#include <string>

namespace llvm {
class SourceMgr;
} // namespace llvm

namespace gradc {

/// A position in a model file. `line` and `col` are 1-based; `col` counts
/// bytes, as in LLVM and Clang. `smLoc` points into the SourceMgr buffer the
/// file was parsed from (valid only while that SourceMgr lives) and lets the
/// diagnostic engine print the source line; it may be left invalid.
struct Location {
  std::shared_ptr<std::string> file;
  unsigned line = 0;
  unsigned col = 0;
  llvm::SMLoc smLoc;

  llvm::StringRef getFilename() const {
    return file ? llvm::StringRef(*file) : llvm::StringRef("<unknown>");
  }
};

/// Prints `file:line:col` (or just `file` when the line is unknown).
llvm::raw_ostream &operator<<(llvm::raw_ostream &os, const Location &loc);

enum class DiagnosticSeverity { Error, Warning, Note };

struct Diagnostic {
  DiagnosticSeverity severity;
  Location loc;
  std::string message;
};

/// Collects diagnostics. By default each one is printed to the stream given
/// at construction; a handler installed with setHandler() receives them
/// instead (tests, tools that want to record them). Errors beyond the error
/// limit are dropped, and one "too many errors" message is printed in their
/// place; errorLimitReached() tells a stage to stop.
class DiagnosticEngine {
public:
  using Handler = std::function<void(const Diagnostic &)>;

  static constexpr unsigned kDefaultErrorLimit = 20;

  /// `sourceMgr` (optional) supplies the source lines shown under messages.
  explicit DiagnosticEngine(const llvm::SourceMgr *sourceMgr = nullptr,
                            llvm::raw_ostream &os = llvm::errs());

  void setHandler(Handler newHandler) { handler = std::move(newHandler); }

  /// 0 means no limit.
  void setErrorLimit(unsigned limit) { errorLimit = limit; }

  void emit(DiagnosticSeverity severity, const Location &loc,
            const llvm::Twine &message);
  void error(const Location &loc, const llvm::Twine &message) {
    emit(DiagnosticSeverity::Error, loc, message);
  }
  void warning(const Location &loc, const llvm::Twine &message) {
    emit(DiagnosticSeverity::Warning, loc, message);
  }
  /// A note belongs to the diagnostic before it and is dropped with it.
  void note(const Location &loc, const llvm::Twine &message) {
    emit(DiagnosticSeverity::Note, loc, message);
  }

  /// Every error reported, including those dropped past the limit.
  unsigned getNumErrors() const { return numErrors; }
  bool hasErrors() const { return numErrors != 0; }
  bool errorLimitReached() const {
    return errorLimit != 0 && numErrors > errorLimit;
  }

  /// Formats `diag` as `file:line:col: error: message`, followed by the
  /// source line and a caret when the location points into `sourceMgr`.
  void print(const Diagnostic &diag, llvm::raw_ostream &os) const;

private:
  const llvm::SourceMgr *sourceMgr;
  llvm::raw_ostream &os;
  Handler handler;
  unsigned errorLimit = kDefaultErrorLimit;
  unsigned numErrors = 0;
  bool droppingNotes = false;
};

} // namespace gradc

#endif // GRADC_FRONTEND_DIAGNOSTICS_H
