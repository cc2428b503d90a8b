//===- Token.h - Tokens of the .gc model language ---------------*- C++ -*-===//

#ifndef GRADC_FRONTEND_TOKEN_H
#define GRADC_FRONTEND_TOKEN_H

#include "gradc/Frontend/Diagnostics.h"

#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <string>

namespace gradc {

enum class TokenKind {
  eof,
  /// A malformed token the lexer has already reported; the parser recovers
  /// without reporting it again.
  error,
  newline,
  identifier,
  integer,
  floating,
  string,

  // Keywords. Element types (f32, f64, i32) and the batch dimension `B` are
  // identifiers that the parser interprets where a type is expected.
  kw_block,
  kw_classes,
  kw_freeze,
  kw_import,
  kw_input,
  kw_label,
  kw_let,
  kw_loss,
  kw_metric,
  kw_model,
  kw_output,
  kw_param,
  kw_repeat,
  kw_return,
  kw_train,

  l_paren,
  r_paren,
  l_square,
  r_square,
  l_brace,
  r_brace,
  comma,
  colon,
  semicolon,
  dot,
  equal,
  plus,
  minus,
  star,
  slash,
};

/// The keyword spelled `name`, or TokenKind::identifier.
TokenKind getKeywordKind(llvm::StringRef name);

/// `text` in single quotes for a message, shortened when it is long (a name
/// or number may be megabytes of garbage).
std::string quote(llvm::StringRef text);

struct Token {
  TokenKind kind = TokenKind::eof;
  /// The token's text in the source buffer (empty for eof).
  llvm::StringRef spelling;
  Location loc;
  /// The value of an integer token.
  int64_t intValue = 0;
  /// The value of an integer or floating token.
  double floatValue = 0;
  /// The contents of a string token, escapes resolved.
  std::string stringValue;

  bool is(TokenKind k) const { return kind == k; }
  bool isNot(TokenKind k) const { return kind != k; }
  bool isKeyword() const {
    return kind >= TokenKind::kw_block && kind <= TokenKind::kw_train;
  }
  /// Identifiers and keywords: the tokens that may name a named argument.
  bool isWord() const { return is(TokenKind::identifier) || isKeyword(); }
  /// A phrase for messages: "identifier 'x'", "'('", "newline", ...
  std::string describe() const;
};

} // namespace gradc

#endif // GRADC_FRONTEND_TOKEN_H
