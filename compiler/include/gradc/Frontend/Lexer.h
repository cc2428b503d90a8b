//===- Lexer.h - Lexer for the .gc model language ---------------*- C++ -*-===//
//
// Turns a SourceMgr buffer into tokens on demand. Newlines are tokens (they
// end statements); whether a newline matters inside brackets is the parser's
// business. Malformed input is reported to the DiagnosticEngine and comes
// back as TokenKind::error; the lexer accepts any bytes and always reaches
// TokenKind::eof.
//
//===----------------------------------------------------------------------===//

#ifndef GRADC_FRONTEND_LEXER_H
#define GRADC_FRONTEND_LEXER_H

#include "gradc/Frontend/Diagnostics.h"
#include "gradc/Frontend/Token.h"

#include <memory>
#include <string>

namespace llvm {
class SourceMgr;
} // namespace llvm

namespace gradc {

class Lexer {
public:
  Lexer(const llvm::SourceMgr &sourceMgr, unsigned bufferId,
        DiagnosticEngine &diag);

  /// Returns the next token; after the end of the buffer, eof forever.
  Token lex();

  /// The buffer's name, shared by every Location the lexer makes.
  const std::shared_ptr<std::string> &getFile() const { return file; }

private:
  Location locationOf(const char *p) const;
  Token makeToken(TokenKind kind, const char *start) const;
  void skipSpaceAndComments();
  Token lexIdentifier(const char *start);
  Token lexNumber(const char *start);
  Token lexString(const char *start);
  Token lexBadCharacter(const char *start);

  DiagnosticEngine &diag;
  std::shared_ptr<std::string> file;
  const char *bufferEnd;
  const char *cur;
  const char *lineStart;
  unsigned line = 1;
};

} // namespace gradc

#endif // GRADC_FRONTEND_LEXER_H
