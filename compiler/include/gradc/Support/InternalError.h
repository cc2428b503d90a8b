//===- InternalError.h - what the compiler works on, for internal errors --===//
//
// A crash or fatal error inside gradc is a bug in gradc, and the most useful
// thing it can then print is what it was doing and which line of the model
// file it was working on. Code that works on one model-file construct at a
// time opens a CompilerScope for it (MLIRGen per statement; gradc per pass and
// per pattern application); gradc's crash handler prints the innermost one
// with printCompilerScope(). Header-only: it needs nothing but LLVM Support.
//
//===----------------------------------------------------------------------===//

#ifndef GRADC_SUPPORT_INTERNALERROR_H
#define GRADC_SUPPORT_INTERNALERROR_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/raw_ostream.h"

namespace gradc {

/// One activity on one model-file construct, for the life of the object.
/// Scopes nest (a pattern inside a pass); they belong to the thread that
/// compiles. Every string must outlive the scope.
class CompilerScope {
public:
  /// `activity` reads after "while": "generating IR", "running pass".
  /// `detail` (may be empty) names the pass or op; `file`, `line` and `col`
  /// give the model-file location (an empty file: none known).
  CompilerScope(const char *activity, llvm::StringRef detail, llvm::StringRef file,
                unsigned line, unsigned col)
      : activity(activity), detail(detail), file(file), line(line), col(col),
        outer(innermost) {
    innermost = this;
  }
  ~CompilerScope() { innermost = outer; }
  CompilerScope(const CompilerScope &) = delete;
  CompilerScope &operator=(const CompilerScope &) = delete;

  /// Prints " while <activity> '<detail>' at <file>:<line>:<col>" for the
  /// innermost scope, the location being the innermost one known; prints
  /// nothing and returns false outside every scope. Allocates nothing, so a
  /// crash handler may call it.
  static bool print(llvm::raw_ostream &os) {
    const CompilerScope *scope = innermost;
    if (!scope)
      return false;
    os << " while " << scope->activity;
    if (!scope->detail.empty())
      os << " '" << scope->detail << "'";
    for (const CompilerScope *located = scope; located; located = located->outer)
      if (!located->file.empty()) {
        os << " at " << located->file << ":" << located->line << ":" << located->col;
        break;
      }
    return true;
  }

private:
  const char *activity;
  llvm::StringRef detail;
  llvm::StringRef file;
  unsigned line, col;
  const CompilerScope *outer;
  static inline thread_local const CompilerScope *innermost = nullptr;
};

} // namespace gradc

#endif // GRADC_SUPPORT_INTERNALERROR_H
