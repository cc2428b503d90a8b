// text.h — sequence data for language models: character vocabularies, text
// and token files cut into windows, and sampling text from a trained model.
#ifndef GRADC_RUNTIME_TEXT_H
#define GRADC_RUNTIME_TEXT_H

#include "gradc/runtime/dataset.h"
#include "gradc/runtime/load_limits.h"
#include "gradc/runtime/model.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace gradc::rt {

/// The metadata key of a weights file (and checkpoint) that records the
/// character vocabulary of a model trained on text: its characters in id
/// order, as UTF-8.
inline constexpr const char *kVocabKey = "vocab";

/// The code points of UTF-8 `bytes`. Throws Error naming `origin` and the
/// byte offset of the first sequence that is not UTF-8 (an overlong form, a
/// surrogate, a code point beyond U+10FFFF, a truncated sequence).
std::vector<char32_t> decodeUtf8(std::string_view bytes, const std::string &origin);

/// `points` as UTF-8.
std::string encodeUtf8(const std::vector<char32_t> &points);

/// A character-level vocabulary: token id i is the i-th character.
class Vocabulary {
public:
  Vocabulary() = default;
  /// The characters of UTF-8 `characters`, in id order; each must be given
  /// once (an Error naming `origin` otherwise).
  static Vocabulary fromUtf8(std::string_view characters, const std::string &origin);
  /// The distinct code points of `points`, in increasing order.
  static Vocabulary ofText(const std::vector<char32_t> &points);
  /// The distinct characters of UTF-8 `text`, in increasing order (text that
  /// is not UTF-8 is an Error naming `origin` and the place).
  static Vocabulary ofText(std::string_view text, const std::string &origin);

  int64_t size() const { return static_cast<int64_t>(characters_.size()); }
  bool empty() const { return characters_.empty(); }
  /// The characters in id order, as UTF-8 (what kVocabKey records).
  std::string utf8() const { return encodeUtf8(characters_); }
  const std::vector<char32_t> &characters() const { return characters_; }

  /// The ids of UTF-8 `text`; a character outside the vocabulary is an Error
  /// naming `origin`, the character and its byte offset.
  std::vector<int32_t> encode(std::string_view text, const std::string &origin) const;
  /// The id of `character`, or -1 when the vocabulary lacks it.
  int32_t idOf(char32_t character) const {
    auto found = ids_.find(character);
    return found == ids_.end() ? -1 : found->second;
  }
  /// The text of `ids`; an id outside [0, size()) is an Error.
  std::string decode(const std::vector<int32_t> &ids) const;

  bool operator==(const Vocabulary &other) const { return characters_ == other.characters_; }
  bool operator!=(const Vocabulary &other) const { return !(*this == other); }

private:
  /// The code points whose flag is set, in increasing order.
  static Vocabulary ofPresent(const std::vector<bool> &present);

  std::vector<char32_t> characters_;
  std::unordered_map<char32_t, int32_t> ids_;
};

/// A `text` or `tokens` data source read whole: the token ids in file order,
/// and for text the vocabulary that encoded them.
struct TokenStream {
  std::vector<int32_t> tokens;
  Vocabulary vocab;
};

/// Reads a sequence source (DataSource::kind "text" or "tokens"; the file
/// DataSource::inputs). Text is UTF-8, encoded with `vocab` when it is not
/// empty, else with DataSource::vocab when that is set, else with the
/// file's own distinct characters in code-point order. A token file is a
/// one-axis .npy of integers, each in [0, 2^31). Sizes are checked against
/// `limits` before anything is allocated.
TokenStream loadTokenStream(const DataSource &source, const Vocabulary &vocab = {},
                            const LoadLimits &limits = {});

/// The windows of a language model's data: the model has one input and one
/// label, both i32 [T]; window i holds tokens [i·T, i·T + T] of the stream,
/// its first T tokens the input and its last T the label (every token but
/// the first is a target exactly once). Every id must be one the model takes
/// (the input's range, the label's classes): an Error names the file and the
/// token's byte offset (text) or index (tokens) otherwise. The data set is
/// sequential: a held-out validation split takes its last windows.
Dataset windowDataset(const ModelInfo &info, const DataSource &source,
                      const TokenStream &stream);

/// How generate() samples.
struct GenerateOptions {
  /// Tokens to generate after the prompt.
  int64_t tokens = 200;
  /// Logits are divided by it before the softmax; 0 takes the most likely
  /// token every time.
  double temperature = 1.0;
  uint64_t seed = 0;
  /// Sample only ids in [0, ids) (0: every logit of the model); generateText
  /// sets it to its vocabulary's size.
  int64_t ids = 0;
};

/// Continues `prompt` (token ids) by options.tokens tokens sampled one at a
/// time from a language model: a model of one i32 [T] input whose output is
/// [T, V] logits (f32 or f64), the logits at position t depending only on the
/// tokens up to t (causal attention, a recurrent network). Each step runs
/// Model::predictOne on the last T tokens (fewer at first, the rest of the
/// window padded with id 0) and samples from softmax(logits / temperature)
/// at the last real position (a uniform from the top 53 bits of one output
/// of Rng(seed) per token, against the cumulative weights in id order). An
/// empty prompt starts from
/// id 0. Returns the prompt followed by the generated ids; throws Error for
/// a model of another shape, or ids outside [0, V).
std::vector<int32_t> generate(Model &model, const std::vector<int32_t> &prompt,
                              const GenerateOptions &options);

/// generate() on text: `prompt` encoded with `vocab`, the result decoded;
/// only ids of the vocabulary are sampled.
std::string generateText(Model &model, const Vocabulary &vocab, std::string_view prompt,
                         const GenerateOptions &options);

} // namespace gradc::rt

#endif // GRADC_RUNTIME_TEXT_H
