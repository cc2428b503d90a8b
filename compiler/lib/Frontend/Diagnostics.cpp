//===- Diagnostics.cpp - Printing diagnostics with a source excerpt -------===//

#include "gradc/Frontend/Diagnostics.h"

#include "llvm/Support/ConvertUTF.h"
#include "llvm/Support/SourceMgr.h"

using namespace gradc;

// Source lines longer than this are shown as a window around the column.
static constexpr unsigned kExcerptWidth = 160;
static constexpr unsigned kExcerptContextBefore = 60;

llvm::raw_ostream &gradc::operator<<(llvm::raw_ostream &os,
                                     const Location &loc) {
  os << loc.getFilename();
  if (loc.line != 0)
    os << ':' << loc.line << ':' << loc.col;
  return os;
}

DiagnosticEngine::DiagnosticEngine(const llvm::SourceMgr *sourceMgr,
                                   llvm::raw_ostream &os)
    : sourceMgr(sourceMgr), os(os) {}

void DiagnosticEngine::emit(DiagnosticSeverity severity, const Location &loc,
                            const llvm::Twine &message) {
  if (severity == DiagnosticSeverity::Note) {
    if (droppingNotes)
      return;
  } else {
    droppingNotes = false;
  }
  if (severity == DiagnosticSeverity::Error) {
    ++numErrors;
    if (errorLimit != 0 && numErrors > errorLimit) {
      droppingNotes = true;
      if (numErrors != errorLimit + 1)
        return;
      Diagnostic tooMany{DiagnosticSeverity::Error, Location(),
                         "too many errors emitted, stopping now (limit is " +
                             std::to_string(errorLimit) + ")"};
      if (handler)
        handler(tooMany);
      else
        print(tooMany, os);
      return;
    }
  }
  Diagnostic diag{severity, loc, message.str()};
  if (handler)
    handler(diag);
  else
    print(diag, os);
}

/// Appends one displayed character of a source line to `line` and the
/// matching padding to `pad`; returns the number of bytes it covered. Tabs are
/// kept so the caret lines up; bytes that are not printable ASCII or part of a
/// valid UTF-8 sequence are shown as '?'.
static size_t appendDisplayChar(const char *cur, const char *end,
                                std::string &line, std::string &pad) {
  unsigned char c = *cur;
  if (c == '\t') {
    line += '\t';
    pad += '\t';
    return 1;
  }
  if (c >= 0x20 && c < 0x7f) {
    line += static_cast<char>(c);
    pad += ' ';
    return 1;
  }
  if (c >= 0x80) {
    const auto *src = reinterpret_cast<const llvm::UTF8 *>(cur);
    llvm::UTF32 codePoint;
    if (llvm::convertUTF8Sequence(
            &src, reinterpret_cast<const llvm::UTF8 *>(end), &codePoint,
            llvm::strictConversion) == llvm::conversionOK &&
        codePoint >= 0xa0) {
      size_t length = reinterpret_cast<const char *>(src) - cur;
      line.append(cur, length);
      pad += ' ';
      return length;
    }
  }
  line += '?';
  pad += ' ';
  return 1;
}

void DiagnosticEngine::print(const Diagnostic &diag,
                             llvm::raw_ostream &out) const {
  const Location &loc = diag.loc;
  if (loc.file || loc.line != 0)
    out << loc << ": ";
  switch (diag.severity) {
  case DiagnosticSeverity::Error:
    out << "error: ";
    break;
  case DiagnosticSeverity::Warning:
    out << "warning: ";
    break;
  case DiagnosticSeverity::Note:
    out << "note: ";
    break;
  }
  out << diag.message << '\n';

  if (!sourceMgr || !loc.smLoc.isValid() || loc.col == 0)
    return;
  unsigned bufferId = sourceMgr->FindBufferContainingLoc(loc.smLoc);
  if (bufferId == 0)
    return;
  const llvm::MemoryBuffer *buffer = sourceMgr->getMemoryBuffer(bufferId);
  const char *bufferStart = buffer->getBufferStart();
  const char *bufferEnd = buffer->getBufferEnd();
  const char *point = loc.smLoc.getPointer();
  if (static_cast<size_t>(point - bufferStart) < loc.col - 1)
    return;
  const char *lineStart = point - (loc.col - 1);

  const char *shownStart = lineStart;
  if (loc.col - 1 > kExcerptWidth - kExcerptContextBefore)
    shownStart = point - kExcerptContextBefore;
  std::string line, pad;
  if (shownStart != lineStart) {
    line = "...";
    pad = "   ";
  }
  const char *cur = shownStart;
  while (cur < point && cur < bufferEnd)
    cur += appendDisplayChar(cur, bufferEnd, line, pad);
  pad += '^';
  unsigned shown = 0;
  while (cur < bufferEnd && *cur != '\n' && *cur != '\r' &&
         shown < kExcerptWidth - kExcerptContextBefore) {
    std::string ignoredPad;
    cur += appendDisplayChar(cur, bufferEnd, line, ignoredPad);
    ++shown;
  }
  if (cur < bufferEnd && *cur != '\n' && *cur != '\r')
    line += "...";
  out << line << '\n' << pad << '\n';
}
