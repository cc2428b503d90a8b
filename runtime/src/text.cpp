// text.cpp — character vocabularies, text and token files as language-model windows.
#include "gradc/runtime/text.h"

#include "gradc/runtime/checked_math.h"
#include "gradc/runtime/error.h"
#include "gradc/runtime/npy.h"
#include "gradc/runtime/rng.h"

#include "file_io.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace gradc::rt {

namespace {

// The 1-based line and column (in characters) of byte `offset` of `bytes`.
std::pair<uint64_t, uint64_t> lineColumnOf(std::string_view bytes, uint64_t offset) {
  uint64_t line = 1, column = 1;
  for (uint64_t i = 0; i < offset && i < bytes.size(); ++i) {
    const auto byte = static_cast<unsigned char>(bytes[i]);
    if (byte == '\n') {
      ++line;
      column = 1;
    } else if ((byte & 0xC0) != 0x80) {
      ++column;
    }
  }
  return {line, column};
}

Error atCharacter(std::string_view bytes, uint64_t offset, const std::string &origin,
                  const std::string &message) {
  auto [line, column] = lineColumnOf(bytes, offset);
  return Error::atLineColumn(origin, line, column, message + " (byte offset " +
                                                       std::to_string(offset) + ")");
}

// A character for messages: itself when printable ASCII or beyond ASCII,
// else its code ('\n' as "a newline").
std::string shown(char32_t point) {
  if (point == '\n')
    return "a newline";
  if (point == '\t')
    return "a tab";
  if (point < 0x20 || point == 0x7f) {
    static const char digits[] = "0123456789abcdef";
    return std::string("the control character 0x") + digits[point >> 4] + digits[point & 15];
  }
  return "'" + encodeUtf8({point}) + "'";
}

// `text` with newlines and tabs written as \n and \t, for messages.
std::string escaped(const std::string &text) {
  std::string result;
  for (char c : text)
    result += c == '\n' ? std::string("\\n") : c == '\t' ? std::string("\\t") : std::string(1, c);
  return result;
}

// Decodes the UTF-8 sequence at bytes[at]; returns its length, or 0 when it
// is not UTF-8.
unsigned decodeOne(std::string_view bytes, size_t at, char32_t &point) {
  const auto lead = static_cast<unsigned char>(bytes[at]);
  if (lead < 0x80) {
    point = lead;
    return 1;
  }
  unsigned length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 0;
  if (length == 0 || lead > 0xF4 || at + length > bytes.size())
    return 0;
  char32_t value = lead & (0x7F >> length);
  for (unsigned i = 1; i < length; ++i) {
    const auto next = static_cast<unsigned char>(bytes[at + i]);
    if ((next & 0xC0) != 0x80)
      return 0;
    value = (value << 6) | (next & 0x3F);
  }
  static const char32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
  if (value < smallest[length] || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF))
    return 0;
  point = value;
  return length;
}

Error notUtf8(std::string_view bytes, size_t at, const std::string &origin) {
  return atCharacter(bytes, at, origin, "is not UTF-8 text: byte " +
                                            std::to_string(static_cast<unsigned char>(bytes[at])) +
                                            " starts no valid UTF-8 character");
}

// The byte offset of character `index` of UTF-8 `bytes` (already decoded
// once, so valid).
uint64_t offsetOfCharacter(std::string_view bytes, uint64_t index) {
  size_t at = 0;
  for (uint64_t i = 0; i < index && at < bytes.size(); ++i) {
    char32_t point = 0;
    at += std::max(decodeOne(bytes, at, point), 1u);
  }
  return at;
}

// decodeUtf8, keeping the byte offset of each code point.
std::vector<char32_t> decodeWithOffsets(std::string_view bytes, const std::string &origin,
                                        std::vector<uint64_t> *offsets) {
  std::vector<char32_t> points;
  points.reserve(bytes.size());
  if (offsets)
    offsets->reserve(bytes.size());
  for (size_t at = 0; at < bytes.size();) {
    char32_t point = 0;
    unsigned length = decodeOne(bytes, at, point);
    if (length == 0)
      throw notUtf8(bytes, at, origin);
    points.push_back(point);
    if (offsets)
      offsets->push_back(at);
    at += length;
  }
  return points;
}

std::string readWholeFile(const std::string &path, const LoadLimits &limits,
                          uint64_t bytesPerToken) {
  detail::InputFile file(path);
  // A token becomes an int32 id and a byte offset: check what that takes.
  std::optional<uint64_t> needed = tryMul<uint64_t>(file.size(), bytesPerToken);
  if (!needed || *needed > limits.maxTensorBytes)
    throw Error::inFile(path, "holds " + std::to_string(file.size()) +
                                  " bytes, more than the loader's limit of " +
                                  std::to_string(limits.maxTensorBytes / bytesPerToken) +
                                  " characters");
  std::string bytes(file.size(), '\0');
  file.read(bytes.data(), bytes.size(), "the text");
  return bytes;
}

// The range of ids the model takes at its input and label, as a half-open
// [0, limit), and what sets it, for messages.
struct IdLimit {
  int64_t limit = std::numeric_limits<int32_t>::max();
  std::string use;
};

IdLimit idLimitOf(const ModelInfo &info) {
  IdLimit limit;
  const TensorSpec &input = info.inputs[0];
  if (!input.range.use.empty()) {
    limit.limit = static_cast<int64_t>(input.range.highOpen ? std::ceil(input.range.high)
                                                            : std::floor(input.range.high) + 1);
    limit.use = input.range.use;
  }
  const TensorSpec &label = info.labels[0];
  if (label.classes > 0 && label.classes < limit.limit) {
    limit.limit = label.classes;
    limit.use = "the label '" + label.name + "' (" + std::to_string(label.classes) +
                " classes)";
  }
  return limit;
}

} // namespace

std::vector<char32_t> decodeUtf8(std::string_view bytes, const std::string &origin) {
  return decodeWithOffsets(bytes, origin, nullptr);
}

std::string encodeUtf8(const std::vector<char32_t> &points) {
  std::string text;
  text.reserve(points.size());
  for (char32_t point : points) {
    if (point < 0x80) {
      text += static_cast<char>(point);
    } else if (point < 0x800) {
      text += static_cast<char>(0xC0 | (point >> 6));
      text += static_cast<char>(0x80 | (point & 0x3F));
    } else if (point < 0x10000) {
      text += static_cast<char>(0xE0 | (point >> 12));
      text += static_cast<char>(0x80 | ((point >> 6) & 0x3F));
      text += static_cast<char>(0x80 | (point & 0x3F));
    } else {
      text += static_cast<char>(0xF0 | (point >> 18));
      text += static_cast<char>(0x80 | ((point >> 12) & 0x3F));
      text += static_cast<char>(0x80 | ((point >> 6) & 0x3F));
      text += static_cast<char>(0x80 | (point & 0x3F));
    }
  }
  return text;
}

Vocabulary Vocabulary::fromUtf8(std::string_view characters, const std::string &origin) {
  std::vector<uint64_t> offsets;
  std::vector<char32_t> points = decodeWithOffsets(characters, origin, &offsets);
  if (points.empty())
    throw Error::inFile(origin, "the vocabulary is empty");
  Vocabulary vocab;
  for (size_t i = 0; i < points.size(); ++i) {
    if (!vocab.ids_.emplace(points[i], static_cast<int32_t>(i)).second)
      throw Error::inFile(origin, "the vocabulary holds " + shown(points[i]) +
                                      " twice (byte offset " + std::to_string(offsets[i]) +
                                      ")");
    vocab.characters_.push_back(points[i]);
  }
  return vocab;
}

Vocabulary Vocabulary::ofPresent(const std::vector<bool> &present) {
  Vocabulary vocab;
  for (char32_t point = 0; point < present.size(); ++point)
    if (present[point]) {
      vocab.ids_.emplace(point, static_cast<int32_t>(vocab.characters_.size()));
      vocab.characters_.push_back(point);
    }
  return vocab;
}

Vocabulary Vocabulary::ofText(std::string_view text, const std::string &origin) {
  // One flag per code point (UTF-8 holds none beyond U+10FFFF).
  std::vector<bool> present(0x110000, false);
  for (size_t at = 0; at < text.size();) {
    char32_t point = 0;
    const unsigned length = decodeOne(text, at, point);
    if (length == 0)
      throw notUtf8(text, at, origin);
    present[point] = true;
    at += length;
  }
  return ofPresent(present);
}

Vocabulary Vocabulary::ofText(const std::vector<char32_t> &points) {
  std::vector<bool> present(0x110000, false);
  for (char32_t point : points) {
    if (point > 0x10FFFF)
      throw Error("code point " + std::to_string(point) + " is beyond U+10FFFF");
    present[point] = true;
  }
  return ofPresent(present);
}

std::vector<int32_t> Vocabulary::encode(std::string_view text, const std::string &origin) const {
  // Decoded a character at a time: an id is all a character leaves behind.
  std::vector<int32_t> ids;
  ids.reserve(text.size());
  for (size_t at = 0; at < text.size();) {
    char32_t point = 0;
    const unsigned length = decodeOne(text, at, point);
    if (length == 0)
      throw notUtf8(text, at, origin);
    auto found = ids_.find(point);
    if (found == ids_.end())
      throw atCharacter(text, at, origin,
                        shown(point) + " is not in the model's vocabulary of " +
                            std::to_string(size()) + " characters");
    ids.push_back(found->second);
    at += length;
  }
  ids.shrink_to_fit();
  return ids;
}

std::string Vocabulary::decode(const std::vector<int32_t> &ids) const {
  std::vector<char32_t> points;
  points.reserve(ids.size());
  for (int32_t id : ids) {
    if (id < 0 || id >= size())
      throw Error("token id " + std::to_string(id) + " is outside the vocabulary's [0, " +
                  std::to_string(size()) + ")");
    points.push_back(characters_[static_cast<size_t>(id)]);
  }
  return encodeUtf8(points);
}

TokenStream loadTokenStream(const DataSource &source, const Vocabulary &vocab,
                            const LoadLimits &limits) {
  TokenStream stream;
  const std::string &path = source.inputs;
  if (source.kind == "text") {
    // Each character becomes an id (and is held as its bytes while it loads).
    std::string bytes = readWholeFile(path, limits, sizeof(int32_t) + 1);
    if (!vocab.empty())
      stream.vocab = vocab;
    else if (!source.vocab.empty())
      stream.vocab = Vocabulary::fromUtf8(source.vocab, "the vocab");
    else
      stream.vocab = Vocabulary::ofText(bytes, path);
    stream.tokens = stream.vocab.encode(bytes, path);
    return stream;
  }
  if (source.kind != "tokens")
    throw Error("'" + source.kind + "' data is not a sequence (expected text or tokens)");
  LoadLimits npyLimits = limits;
  npyLimits.mapFiles = false;
  Tensor raw = loadNpy(path, npyLimits);
  if (raw.rank() != 1)
    throw Error::inFile(path, "holds an array of shape " + formatShape(raw.shape()) +
                                  "; a token file is one axis of token ids, in order");
  if (raw.dtype() == DType::F32 || raw.dtype() == DType::F64)
    throw Error::inFile(path, "holds " + std::string(dtypeName(raw.dtype())) +
                                  " values; token ids are integers (int32, int64 or uint8)");
  const uint64_t count = raw.numElements();
  stream.tokens.resize(count);
  for (uint64_t i = 0; i < count; ++i) {
    int64_t id = raw.dtype() == DType::I32   ? raw.data<int32_t>()[i]
                 : raw.dtype() == DType::I64 ? raw.data<int64_t>()[i]
                                             : raw.data<uint8_t>()[i];
    if (id < 0 || id > std::numeric_limits<int32_t>::max())
      throw Error::inFile(path, "token " + std::to_string(i) + " is " + std::to_string(id) +
                                    ", not an id in [0, 2^31)");
    stream.tokens[i] = static_cast<int32_t>(id);
  }
  return stream;
}

Dataset windowDataset(const ModelInfo &info, const DataSource &source,
                      const TokenStream &stream) {
  if (info.inputs.size() != 1 || info.labels.size() != 1 || info.inputs[0].shape.size() != 1 ||
      info.inputs[0].dtype != DType::I32 || info.labels[0].dtype != DType::I32 ||
      info.labels[0].shape != info.inputs[0].shape)
    throw Error::inFile(source.inputs, source.kind + " data feeds a language model of one "
                                       "input and one label, both i32[B, T]; model '" +
                                           info.name + "' is not one");
  const int64_t window = info.inputs[0].shape[0];
  const auto count = static_cast<int64_t>(stream.tokens.size());
  const IdLimit limit = idLimitOf(info);
  for (int64_t i = 0; i < count; ++i) {
    const int32_t id = stream.tokens[static_cast<size_t>(i)];
    if (id < limit.limit)
      continue;
    std::string what = "token " + std::to_string(i) + " has id " + std::to_string(id) +
                       ", outside [0, " + std::to_string(limit.limit) + "), the ids of " +
                       limit.use;
    if (!stream.vocab.empty()) {
      what = "character " + shown(stream.vocab.characters()[static_cast<size_t>(id)]) +
             " has id " + std::to_string(id) + " in a vocabulary of " +
             std::to_string(stream.vocab.size()) + " characters, but the model takes ids in "
             "[0, " + std::to_string(limit.limit) + ") (" + limit.use +
             "): give the model a vocabulary of at least " +
             std::to_string(stream.vocab.size());
      // The place, from the file again (this is the error's path only).
      std::string bytes = readWholeFile(source.inputs, {}, 1);
      throw Error::inFile(source.inputs,
                          what + " (first at byte offset " +
                              std::to_string(offsetOfCharacter(bytes, static_cast<uint64_t>(i))) +
                              ")");
    }
    throw Error::inFile(source.inputs, what);
  }
  if (count < window + 1)
    throw Error::inFile(source.inputs, "holds " + std::to_string(count) +
                                           " tokens, fewer than one window of " +
                                           std::to_string(window + 1) + " (the model's T = " +
                                           std::to_string(window) + ", and the next token)");
  const int64_t windows = (count - 1) / window;
  Dataset data;
  data.inputs.emplace_back(DType::I32, std::vector<int64_t>{windows, window});
  data.labels.emplace_back(DType::I32, std::vector<int64_t>{windows, window});
  int32_t *inputs = data.inputs[0].data<int32_t>();
  int32_t *labels = data.labels[0].data<int32_t>();
  for (int64_t w = 0; w < windows; ++w)
    for (int64_t t = 0; t < window; ++t) {
      const size_t at = static_cast<size_t>(w * window + t);
      inputs[w * window + t] = stream.tokens[at];
      labels[w * window + t] = stream.tokens[at + 1];
    }
  data.inputScales.assign(1, 1.0);
  data.size = windows;
  data.sequential = true;
  data.vocab = stream.vocab.utf8();
  return data;
}

std::vector<int32_t> generate(Model &model, const std::vector<int32_t> &prompt,
                              const GenerateOptions &options) {
  const ModelInfo &info = model.info();
  if (info.inputs.size() != 1 || info.inputs[0].dtype != DType::I32 ||
      info.inputs[0].shape.size() != 1 || info.outputShape.size() != 2 ||
      info.outputShape[0] != info.inputs[0].shape[0] ||
      (info.outputDType != DType::F32 && info.outputDType != DType::F64))
    throw Error("generating needs a language model: one i32 [T] input and [T, vocab] "
                "logits out; model '" + info.name + "' is not one");
  if (options.tokens < 0 || !(options.temperature >= 0) || !std::isfinite(options.temperature))
    throw Error("generating needs a number of tokens >= 0 and a finite temperature >= 0");
  const int64_t window = info.inputs[0].shape[0];
  const int64_t vocab = info.outputShape[1];
  // The ids sampled from: the first options.ids logits.
  const int64_t sampled = options.ids > 0 ? std::min(options.ids, vocab) : vocab;
  for (int32_t id : prompt)
    if (id < 0 || id >= vocab)
      throw Error("the prompt's token id " + std::to_string(id) + " is outside [0, " +
                  std::to_string(vocab) + "), the ids of model '" + info.name + "'");
  std::vector<int32_t> ids = prompt;
  if (ids.empty())
    ids.push_back(0);
  std::vector<int32_t> context(static_cast<size_t>(window));
  Tensor logits(info.outputDType, {window, vocab});
  std::vector<double> weights(static_cast<size_t>(vocab));
  Rng rng(options.seed);
  for (int64_t n = 0; n < options.tokens; ++n) {
    // The last `window` tokens, left-aligned as in training; a causal model's
    // logits at `last` do not depend on the padding after it.
    const int64_t used = std::min<int64_t>(window, static_cast<int64_t>(ids.size()));
    std::fill(context.begin(), context.end(), 0);
    std::copy(ids.end() - used, ids.end(), context.begin());
    const void *inputs[] = {context.data()};
    model.predictOne(inputs, logits.bytes());
    const int64_t last = used - 1;
    auto logit = [&](int64_t v) {
      return info.outputDType == DType::F32
                 ? static_cast<double>(logits.data<float>()[last * vocab + v])
                 : logits.data<double>()[last * vocab + v];
    };
    int64_t best = 0;
    for (int64_t v = 1; v < sampled; ++v)
      if (logit(v) > logit(best))
        best = v;
    if (!std::isfinite(logit(best)))
      throw NumericsError("the model's logits for token " + std::to_string(ids.size()) +
                          " are not finite");
    int64_t next = best;
    if (options.temperature > 0) {
      double total = 0;
      for (int64_t v = 0; v < sampled; ++v) {
        weights[static_cast<size_t>(v)] =
            std::exp((logit(v) - logit(best)) / options.temperature);
        total += weights[static_cast<size_t>(v)];
      }
      // A uniform in [0, total) from the top 53 bits of one output.
      double u = static_cast<double>(rng.nextU64() >> 11) * 0x1p-53 * total;
      next = sampled - 1;
      for (int64_t v = 0; v < sampled; ++v) {
        u -= weights[static_cast<size_t>(v)];
        if (u < 0) {
          next = v;
          break;
        }
      }
    }
    ids.push_back(static_cast<int32_t>(next));
  }
  if (prompt.empty())
    ids.erase(ids.begin());
  return ids;
}

std::string generateText(Model &model, const Vocabulary &vocab, std::string_view prompt,
                         const GenerateOptions &options) {
  if (vocab.size() > model.info().outputShape.back())
    throw Error("the vocabulary has " + std::to_string(vocab.size()) +
                " characters, more than the " + std::to_string(model.info().outputShape.back()) +
                " logits of model '" + model.info().name + "'");
  std::vector<char32_t> points = decodeUtf8(prompt, "the prompt");
  for (size_t i = 0; i < points.size(); ++i)
    if (vocab.idOf(points[i]) < 0)
      throw Error("character " + std::to_string(i + 1) + " of the prompt, " + shown(points[i]) +
                  ", is not in the model's vocabulary of " + std::to_string(vocab.size()) +
                  " characters (\"" + escaped(vocab.utf8()) + "\")");
  // A model wider than its vocabulary samples only ids characters have.
  GenerateOptions restricted = options;
  restricted.ids = vocab.size();
  return vocab.decode(generate(model, vocab.encode(prompt, "the prompt"), restricted));
}

} // namespace gradc::rt
