//===- Lexer.cpp - Lexer for the .gc model language -----------------------===//

#include "gradc/Frontend/Lexer.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/ConvertUTF.h"
#include "llvm/Support/SourceMgr.h"

#include <cmath>
#include <cstdlib>
#include <limits>

using namespace gradc;

static constexpr size_t kMaxQuotedLength = 48;

static std::string hexByte(unsigned char c) {
  const char *digits = "0123456789ABCDEF";
  return {'0', 'x', digits[c >> 4], digits[c & 15]};
}

TokenKind gradc::getKeywordKind(llvm::StringRef name) {
  return llvm::StringSwitch<TokenKind>(name)
      .Case("block", TokenKind::kw_block)
      .Case("classes", TokenKind::kw_classes)
      .Case("freeze", TokenKind::kw_freeze)
      .Case("import", TokenKind::kw_import)
      .Case("param", TokenKind::kw_param)
      .Case("input", TokenKind::kw_input)
      .Case("label", TokenKind::kw_label)
      .Case("let", TokenKind::kw_let)
      .Case("loss", TokenKind::kw_loss)
      .Case("metric", TokenKind::kw_metric)
      .Case("model", TokenKind::kw_model)
      .Case("output", TokenKind::kw_output)
      .Case("repeat", TokenKind::kw_repeat)
      .Case("return", TokenKind::kw_return)
      .Case("train", TokenKind::kw_train)
      .Default(TokenKind::identifier);
}

std::string gradc::quote(llvm::StringRef text) {
  if (text.size() <= kMaxQuotedLength)
    return ("'" + text + "'").str();
  return ("'" + text.take_front(kMaxQuotedLength) + "...' (" +
          llvm::Twine(text.size()) + " characters)")
      .str();
}

std::string Token::describe() const {
  switch (kind) {
  case TokenKind::eof:
    return "end of file";
  case TokenKind::error:
    return "invalid token";
  case TokenKind::newline:
    return "newline";
  case TokenKind::identifier:
    return "identifier " + quote(spelling);
  case TokenKind::integer:
  case TokenKind::floating:
    return "number " + quote(spelling);
  case TokenKind::string:
    return "string";
  default:
    if (isKeyword())
      return "keyword " + quote(spelling);
    return quote(spelling);
  }
}

Lexer::Lexer(const llvm::SourceMgr &sourceMgr, unsigned bufferId,
             DiagnosticEngine &diag)
    : diag(diag) {
  const llvm::MemoryBuffer *buffer = sourceMgr.getMemoryBuffer(bufferId);
  file = std::make_shared<std::string>(buffer->getBufferIdentifier().str());
  cur = lineStart = buffer->getBufferStart();
  bufferEnd = buffer->getBufferEnd();
  // Some editors start UTF-8 files with a byte order mark; columns count
  // from after it.
  if (llvm::StringRef(cur, bufferEnd - cur).starts_with("\xEF\xBB\xBF"))
    cur = lineStart = cur + 3;
}

Location Lexer::locationOf(const char *p) const {
  Location loc;
  loc.file = file;
  loc.line = line;
  loc.col = static_cast<unsigned>(p - lineStart) + 1;
  loc.smLoc = llvm::SMLoc::getFromPointer(p);
  return loc;
}

Token Lexer::makeToken(TokenKind kind, const char *start) const {
  Token tok;
  tok.kind = kind;
  tok.spelling = llvm::StringRef(start, cur - start);
  tok.loc = locationOf(start);
  return tok;
}

static bool isIdentifierStart(char c) { return llvm::isAlpha(c) || c == '_'; }
static bool isIdentifierChar(char c) { return llvm::isAlnum(c) || c == '_'; }

void Lexer::skipSpaceAndComments() {
  while (cur < bufferEnd) {
    char c = *cur;
    if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
      ++cur;
    } else if (c == '/' && cur + 1 < bufferEnd && cur[1] == '/') {
      while (cur < bufferEnd && *cur != '\n')
        ++cur;
    } else {
      return;
    }
  }
}

Token Lexer::lex() {
  skipSpaceAndComments();
  const char *start = cur;
  if (cur == bufferEnd)
    return makeToken(TokenKind::eof, start);

  char c = *cur++;
  switch (c) {
  case '\n': {
    Token tok = makeToken(TokenKind::newline, start);
    ++line;
    lineStart = cur;
    return tok;
  }
  case '(':
    return makeToken(TokenKind::l_paren, start);
  case ')':
    return makeToken(TokenKind::r_paren, start);
  case '[':
    return makeToken(TokenKind::l_square, start);
  case ']':
    return makeToken(TokenKind::r_square, start);
  case '{':
    return makeToken(TokenKind::l_brace, start);
  case '}':
    return makeToken(TokenKind::r_brace, start);
  case ',':
    return makeToken(TokenKind::comma, start);
  case ':':
    return makeToken(TokenKind::colon, start);
  case ';':
    return makeToken(TokenKind::semicolon, start);
  case '=':
    return makeToken(TokenKind::equal, start);
  case '+':
    return makeToken(TokenKind::plus, start);
  case '-':
    return makeToken(TokenKind::minus, start);
  case '*':
    return makeToken(TokenKind::star, start);
  case '/':
    return makeToken(TokenKind::slash, start);
  case '"':
    return lexString(start);
  case '.':
    if (cur < bufferEnd && llvm::isDigit(*cur))
      return lexNumber(start);
    return makeToken(TokenKind::dot, start);
  default:
    break;
  }
  if (llvm::isDigit(c))
    return lexNumber(start);
  if (isIdentifierStart(c))
    return lexIdentifier(start);
  return lexBadCharacter(start);
}

Token Lexer::lexIdentifier(const char *start) {
  while (cur < bufferEnd && isIdentifierChar(*cur))
    ++cur;
  Token tok = makeToken(TokenKind::identifier, start);
  tok.kind = getKeywordKind(tok.spelling);
  return tok;
}

/// Whether `text` is `digits ['.' digits] [('e'|'E') ['+'|'-'] digits]`;
/// sets `isFloat` when it has a fraction or an exponent.
static bool isWellFormedNumber(llvm::StringRef text, bool &isFloat) {
  size_t i = 0, n = text.size();
  auto digits = [&] {
    size_t first = i;
    while (i < n && llvm::isDigit(text[i]))
      ++i;
    return i != first;
  };
  isFloat = false;
  if (!digits())
    return false;
  if (i < n && text[i] == '.') {
    ++i;
    isFloat = true;
    if (!digits())
      return false;
  }
  if (i < n && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    isFloat = true;
    if (i < n && (text[i] == '+' || text[i] == '-'))
      ++i;
    if (!digits())
      return false;
  }
  return i == n;
}

Token Lexer::lexNumber(const char *start) {
  // Take everything glued to the number (letters, digits, dots, an exponent
  // sign) so that `1.2.3`, `1e` and `3x` are each reported once, whole.
  while (cur < bufferEnd) {
    char c = *cur;
    if (isIdentifierChar(c) || c == '.') {
      ++cur;
    } else if ((c == '+' || c == '-') && (cur[-1] == 'e' || cur[-1] == 'E') &&
               cur + 1 < bufferEnd && llvm::isDigit(cur[1])) {
      ++cur;
    } else {
      break;
    }
  }
  Token tok = makeToken(TokenKind::integer, start);
  llvm::StringRef text = tok.spelling;

  bool isFloat;
  if (!isWellFormedNumber(text, isFloat)) {
    tok.kind = TokenKind::error;
    if (text.starts_with("."))
      diag.error(tok.loc, "invalid number " + quote(text) +
                              ": a number starts with a digit (write 0" +
                              text.take_front(kMaxQuotedLength) + ")");
    else if (text.ends_with("e") || text.ends_with("E"))
      diag.error(tok.loc, "invalid number " + quote(text) +
                              ": the exponent has no digits");
    else
      diag.error(tok.loc, "invalid number " + quote(text));
    return tok;
  }

  if (!isFloat) {
    uint64_t value;
    if (text.getAsInteger(10, value) ||
        value > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      tok.kind = TokenKind::error;
      diag.error(tok.loc,
                 "integer " + quote(text) + " is too large (the largest is " +
                     llvm::Twine(std::numeric_limits<int64_t>::max()) + ")");
      return tok;
    }
    tok.intValue = static_cast<int64_t>(value);
    tok.floatValue = static_cast<double>(value);
    return tok;
  }

  tok.kind = TokenKind::floating;
  std::string spelling = text.str();
  tok.floatValue = std::strtod(spelling.c_str(), nullptr);
  if (std::isinf(tok.floatValue)) {
    tok.kind = TokenKind::error;
    diag.error(tok.loc,
               "number " + quote(text) + " is out of range for a 64-bit float");
    return tok;
  }
  llvm::StringRef mantissa =
      text.take_until([](char c) { return c == 'e' || c == 'E'; });
  if (tok.floatValue == 0 &&
      mantissa.find_first_of("123456789") != llvm::StringRef::npos) {
    tok.kind = TokenKind::error;
    diag.error(tok.loc, "number " + quote(text) +
                            " is too small for a 64-bit float (it would be 0)");
  }
  return tok;
}

Token Lexer::lexString(const char *start) {
  std::string value;
  bool valid = true;
  while (true) {
    if (cur == bufferEnd || *cur == '\n' || *cur == '\r') {
      Token tok = makeToken(TokenKind::error, start);
      diag.error(tok.loc, "unterminated string");
      return tok;
    }
    char c = *cur;
    if (c == '"') {
      ++cur;
      break;
    }
    if (c == '\0') {
      diag.error(locationOf(cur), "NUL byte in string");
      valid = false;
      ++cur;
      continue;
    }
    if (c != '\\') {
      value += c;
      ++cur;
      continue;
    }
    // A backslash at the end of the line leaves the string unterminated.
    if (cur + 1 == bufferEnd || cur[1] == '\n' || cur[1] == '\r') {
      ++cur;
      continue;
    }
    char escaped = cur[1];
    switch (escaped) {
    case '"':
    case '\\':
      value += escaped;
      break;
    case 'n':
      value += '\n';
      break;
    case 't':
      value += '\t';
      break;
    default: {
      std::string shown;
      if (llvm::isPrint(escaped))
        shown = std::string("'\\") + escaped + "'";
      else
        shown = "'\\' followed by byte " +
                hexByte(static_cast<unsigned char>(escaped));
      diag.error(locationOf(cur), "unknown escape sequence " + shown +
                                      " (known: \\\" \\\\ \\n \\t)");
      valid = false;
      break;
    }
    }
    cur += 2;
  }
  Token tok = makeToken(valid ? TokenKind::string : TokenKind::error, start);
  tok.stringValue = std::move(value);
  return tok;
}

Token Lexer::lexBadCharacter(const char *start) {
  unsigned char c = static_cast<unsigned char>(*start);
  std::string message;
  if (c >= 0x80) {
    const auto *src = reinterpret_cast<const llvm::UTF8 *>(start);
    llvm::UTF32 codePoint;
    if (llvm::convertUTF8Sequence(
            &src, reinterpret_cast<const llvm::UTF8 *>(bufferEnd), &codePoint,
            llvm::strictConversion) == llvm::conversionOK) {
      cur = reinterpret_cast<const char *>(src);
      message =
          "unexpected character U+" + llvm::utohexstr(codePoint, false, 4);
      if (codePoint >= 0xa0)
        message += " '" + std::string(start, cur) + "'";
    } else {
      message = "invalid UTF-8 byte " + hexByte(c);
    }
  } else if (llvm::isPrint(c)) {
    message =
        std::string("unexpected character '") + static_cast<char>(c) + "'";
  } else {
    message = "unexpected byte " + hexByte(c);
  }
  Token tok = makeToken(TokenKind::error, start);
  diag.error(tok.loc, message);
  return tok;
}
