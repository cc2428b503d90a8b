// text_test.cpp — vocabularies, text and token files as windows, and sampling from a language model.
#include "gradc/runtime/text.h"

#include "gradc/runtime/rng.h"

#include "test_util.h"
#include "trainer_test_models.h"

#include <cmath>
#include <map>

namespace gradc::rt {
namespace {

using testing::TempDir;
using testing::writeBytes;
using testing::writeNpy;

// A language model of T = window and V = vocab: `input ids: i32[B, T]`,
// `label next: i32[B, T] classes V`, output [T, V].
ModelInfo languageModel(int64_t window, int64_t vocab) {
  ModelInfo info;
  info.name = "Lm";
  info.batch = 2;
  info.inputs = {{"ids", DType::I32, {window}}};
  info.inputs[0].range = {0, static_cast<double>(vocab), true, true, "embedding_0 (lm.gc:3)"};
  info.labels = {{"next", DType::I32, {window}, vocab}};
  info.outputShape = {window, vocab};
  return info;
}

DataSource source(const std::string &kind, const std::string &path) {
  DataSource source;
  source.kind = kind;
  source.inputs = path;
  return source;
}

std::vector<int32_t> values(const Tensor &tensor) {
  return std::vector<int32_t>(tensor.data<int32_t>(),
                              tensor.data<int32_t>() + tensor.numElements());
}

TEST(Utf8, DecodesAndEncodesEveryLength) {
  const std::string text = "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80";  // a é € 😀
  std::vector<char32_t> points = decodeUtf8(text, "t.txt");
  EXPECT_EQ(points, (std::vector<char32_t>{U'a', 0xE9, 0x20AC, 0x1F600}));
  EXPECT_EQ(encodeUtf8(points), text);
}

TEST(Utf8, RefusesWhatIsNotUtf8NamingThePlace) {
  // A lone continuation byte on line 2, column 3.
  EXPECT_RT_ERROR(decodeUtf8("ab\ncd\x80", "t.txt"), "t.txt:2:3: is not UTF-8 text: byte 128");
  EXPECT_RT_ERROR(decodeUtf8("ab\ncd\x80", "t.txt"), "(byte offset 5)");
  EXPECT_RT_ERROR(decodeUtf8("\xC0\xAF", "t.txt"), "t.txt:1:1");        // overlong '/'
  EXPECT_RT_ERROR(decodeUtf8("x\xED\xA0\x80", "t.txt"), "t.txt:1:2");   // a surrogate
  EXPECT_RT_ERROR(decodeUtf8("xy\xE2\x82", "t.txt"), "t.txt:1:3");      // truncated
  EXPECT_RT_ERROR(decodeUtf8("\xF4\x90\x80\x80", "t.txt"), "t.txt:1:1"); // beyond U+10FFFF
}

TEST(Vocabulary, OfTextIsTheDistinctCharactersInCodePointOrder) {
  Vocabulary vocab = Vocabulary::ofText(decodeUtf8("hello\nworld", "t"));
  EXPECT_EQ(vocab.utf8(), "\ndehlorw");
  EXPECT_EQ(vocab.size(), 8);
  EXPECT_EQ(vocab.encode("low", "t"), (std::vector<int32_t>{4, 5, 7}));
  EXPECT_EQ(vocab.decode({4, 5, 7, 0}), "low\n");
}

TEST(Vocabulary, GivenCharactersKeepTheirOrderAndAreGivenOnce) {
  Vocabulary vocab = Vocabulary::fromUtf8("ba\xC3\xA9", "v");
  EXPECT_EQ(vocab.encode("\xC3\xA9" "ab", "p"), (std::vector<int32_t>{2, 1, 0}));
  EXPECT_RT_ERROR(Vocabulary::fromUtf8("abca", "v"), "v: the vocabulary holds 'a' twice (byte offset 3)");
  EXPECT_RT_ERROR(Vocabulary::fromUtf8("", "v"), "the vocabulary is empty");
}

TEST(Vocabulary, ACharacterOutsideItNamesLineAndColumn) {
  Vocabulary vocab = Vocabulary::fromUtf8("ab\n", "v");
  EXPECT_RT_ERROR(vocab.encode("ab\nbaz", "in.txt"),
                  "in.txt:2:3: 'z' is not in the model's vocabulary of 3 characters (byte "
                  "offset 5)");
  EXPECT_RT_ERROR(vocab.encode("a\tb", "in.txt"), "a tab is not in the model's vocabulary");
  EXPECT_RT_ERROR(vocab.decode({3}), "token id 3 is outside the vocabulary's [0, 3)");
}

class TextDataTest : public ::testing::Test {
protected:
  std::string path(const char *name) const { return dir_.file(name).string(); }
  TempDir dir_;
};

TEST_F(TextDataTest, TextIsCutIntoWindowsOfTPlusOneTokens) {
  // "abcabcabca": ids a=0 b=1 c=2; T = 3 gives (10 − 1) / 3 = 3 windows.
  writeBytes(dir_.file("t.txt"), "abcabcabca");
  TokenStream stream = loadTokenStream(source("text", path("t.txt")));
  EXPECT_EQ(stream.tokens, (std::vector<int32_t>{0, 1, 2, 0, 1, 2, 0, 1, 2, 0}));
  Dataset data = windowDataset(languageModel(3, 3), source("text", path("t.txt")), stream);
  EXPECT_EQ(data.size, 3);
  EXPECT_TRUE(data.sequential);
  EXPECT_EQ(data.vocab, "abc");
  EXPECT_EQ(values(data.inputs[0]), (std::vector<int32_t>{0, 1, 2, 0, 1, 2, 0, 1, 2}));
  EXPECT_EQ(values(data.labels[0]), (std::vector<int32_t>{1, 2, 0, 1, 2, 0, 1, 2, 0}));
  // loadDataset reads text sources the same way.
  Dataset loaded = loadDataset(languageModel(3, 3), source("text", path("t.txt")));
  EXPECT_EQ(values(loaded.labels[0]), values(data.labels[0]));
}

TEST_F(TextDataTest, AGivenVocabularyEncodesTheText) {
  writeBytes(dir_.file("t.txt"), "abba");
  DataSource text = source("text", path("t.txt"));
  text.vocab = "zba";
  EXPECT_EQ(loadTokenStream(text).tokens, (std::vector<int32_t>{2, 1, 1, 2}));
  text.vocab = "ab";
  Vocabulary given = Vocabulary::fromUtf8("xyba", "w");
  EXPECT_EQ(loadTokenStream(text, given).tokens, (std::vector<int32_t>{3, 2, 2, 3}));
  text.vocab = "b";
  EXPECT_RT_ERROR(loadTokenStream(text), "t.txt:1:1: 'a' is not in the model's vocabulary");
}

TEST_F(TextDataTest, MoreCharactersThanTheModelTakesIsAnError) {
  writeBytes(dir_.file("t.txt"), "abcd\ndcba");
  DataSource text = source("text", path("t.txt"));
  EXPECT_RT_ERROR(windowDataset(languageModel(2, 4), text, loadTokenStream(text)),
                  "character 'd' has id 4 in a vocabulary of 5 characters, but the model takes "
                  "ids in [0, 4) (embedding_0 (lm.gc:3)): give the model a vocabulary of at "
                  "least 5 (first at byte offset 3)");
}

TEST_F(TextDataTest, ATextShorterThanAWindowIsAnError) {
  writeBytes(dir_.file("t.txt"), "abc");
  DataSource text = source("text", path("t.txt"));
  EXPECT_RT_ERROR(windowDataset(languageModel(3, 3), text, loadTokenStream(text)),
                  "holds 3 tokens, fewer than one window of 4");
}

TEST_F(TextDataTest, TokenFilesAreOneAxisOfIntegerIds) {
  writeNpy<int32_t>(dir_.file("i32.npy"), {7}, {4, 0, 1, 2, 3, 4, 0});
  writeNpy<int64_t>(dir_.file("i64.npy"), {7}, {4, 0, 1, 2, 3, 4, 0});
  writeNpy<uint8_t>(dir_.file("u8.npy"), {7}, {4, 0, 1, 2, 3, 4, 0});
  for (const char *name : {"i32.npy", "i64.npy", "u8.npy"}) {
    Dataset data = loadDataset(languageModel(2, 5), source("tokens", path(name)));
    EXPECT_EQ(data.size, 3) << name;
    EXPECT_EQ(values(data.inputs[0]), (std::vector<int32_t>{4, 0, 1, 2, 3, 4})) << name;
    EXPECT_EQ(values(data.labels[0]), (std::vector<int32_t>{0, 1, 2, 3, 4, 0})) << name;
    EXPECT_TRUE(data.vocab.empty());
  }
  writeNpy<int32_t>(dir_.file("2d.npy"), {2, 2}, {0, 1, 2, 3});
  EXPECT_RT_ERROR(loadTokenStream(source("tokens", path("2d.npy"))),
                  "holds an array of shape [2, 2]; a token file is one axis of token ids");
  writeNpy<float>(dir_.file("f.npy"), {2}, {0, 1});
  EXPECT_RT_ERROR(loadTokenStream(source("tokens", path("f.npy"))), "holds f32 values");
  writeNpy<int64_t>(dir_.file("neg.npy"), {3}, {0, -1, 2});
  EXPECT_RT_ERROR(loadTokenStream(source("tokens", path("neg.npy"))),
                  "token 1 is -1, not an id in [0, 2^31)");
  writeNpy<int32_t>(dir_.file("big.npy"), {4}, {0, 1, 9, 2});
  EXPECT_RT_ERROR(loadDataset(languageModel(2, 5), source("tokens", path("big.npy"))),
                  "token 2 has id 9, outside [0, 5), the ids of embedding_0 (lm.gc:3)");
}

TEST_F(TextDataTest, AModelThatIsNoLanguageModelIsRefused) {
  writeBytes(dir_.file("t.txt"), "abcabc");
  ModelInfo info = languageModel(2, 3);
  info.labels[0].shape = {3};
  EXPECT_RT_ERROR(loadDataset(info, source("text", path("t.txt"))),
                  "text data feeds a language model of one input and one label, both i32[B, T]");
}

// A language model over V ids with fixed logits: at position t the logit of
// id (ids[t] + 1) mod V is `margin`, every other 0. It records the windows
// it was given.
class CountingModel : public Model {
public:
  CountingModel(int64_t window, int64_t vocab, double margin)
      : info_(languageModel(window, vocab)), margin_(margin) {}
  const ModelInfo &info() const override { return info_; }
  std::vector<BufferRef> buffers() override { return {}; }
  void resetOptimizer() override {}
  StepResult trainStep(const void *const *, const void *const *, double, uint64_t) override {
    return {};
  }
  StepResult evalStep(const void *const *, const void *const *) override { return {}; }
  StepResult evalOne(const void *const *, const void *const *) override { return {}; }
  void predict(const void *const *, void *) override {}
  void predictOne(const void *const *inputs, void *outputs) override {
    const int64_t window = info_.inputs[0].shape[0], vocab = info_.outputShape[1];
    const auto *ids = static_cast<const int32_t *>(inputs[0]);
    windows.emplace_back(ids, ids + window);
    auto *logits = static_cast<float *>(outputs);
    for (int64_t t = 0; t < window; ++t)
      for (int64_t v = 0; v < vocab; ++v)
        logits[t * vocab + v] = v == (ids[t] + 1) % vocab ? static_cast<float>(margin_) : 0.f;
  }
  int64_t step() const override { return 0; }
  void setStep(int64_t) override {}

  std::vector<std::vector<int32_t>> windows;

private:
  ModelInfo info_;
  double margin_;
};

TEST(Generate, TheMostLikelyTokenAtTemperatureZero) {
  CountingModel model(3, 4, 1.0);
  GenerateOptions options;
  options.tokens = 5;
  options.temperature = 0;
  EXPECT_EQ(generate(model, {2}, options), (std::vector<int32_t>{2, 3, 0, 1, 2, 3}));
  // The window holds the last T tokens, left-aligned, padded with id 0.
  ASSERT_EQ(model.windows.size(), 5u);
  EXPECT_EQ(model.windows[0], (std::vector<int32_t>{2, 0, 0}));
  EXPECT_EQ(model.windows[1], (std::vector<int32_t>{2, 3, 0}));
  EXPECT_EQ(model.windows[2], (std::vector<int32_t>{2, 3, 0}));
  EXPECT_EQ(model.windows[3], (std::vector<int32_t>{3, 0, 1}));
  EXPECT_EQ(model.windows[4], (std::vector<int32_t>{0, 1, 2}));
}

TEST(Generate, SamplesFromTheSoftmaxOfTheScaledLogits) {
  // logits (0, log 3) at temperature 1: id (x + 1) mod 2 with probability
  // 3/4. Over 4000 draws the count is within 5 standard deviations (137).
  CountingModel model(1, 2, std::log(3.0));
  GenerateOptions options;
  options.tokens = 4000;
  options.seed = 7;
  std::vector<int32_t> ids = generate(model, {0}, options);
  ASSERT_EQ(ids.size(), 4001u);
  int64_t flips = 0;
  for (size_t i = 1; i < ids.size(); ++i)
    flips += ids[i] != ids[i - 1];
  EXPECT_NEAR(static_cast<double>(flips), 3000.0, 137.0);
  // At temperature 2 the weights are (1, √3): 1 − 1 / (1 + √3) = 0.634.
  options.temperature = 2;
  ids = generate(model, {0}, options);
  flips = 0;
  for (size_t i = 1; i < ids.size(); ++i)
    flips += ids[i] != ids[i - 1];
  EXPECT_NEAR(static_cast<double>(flips), 4000 * (1 - 1 / (1 + std::sqrt(3.0))), 153.0);
  // The same seed draws the same tokens.
  EXPECT_EQ(generate(model, {0}, options), ids);
}

TEST(Generate, TextIsEncodedAndDecodedWithTheVocabulary) {
  // A model of 5 logits over a vocabulary of 3: ids 3 and 4 never come out.
  CountingModel model(4, 5, 50.0);
  GenerateOptions options;
  options.tokens = 4;
  options.temperature = 0;
  Vocabulary vocab = Vocabulary::fromUtf8("xyz", "v");
  EXPECT_EQ(generateText(model, vocab, "y", options), "yzxyz");
  EXPECT_RT_ERROR(generateText(model, vocab, "yw", options),
                  "character 2 of the prompt, 'w', is not in the model's vocabulary of 3 "
                  "characters (\"xyz\")");
  EXPECT_RT_ERROR(generate(model, {5}, options), "the prompt's token id 5 is outside [0, 5)");
  CountingModel narrow(4, 2, 1.0);
  EXPECT_RT_ERROR(generateText(narrow, vocab, "y", options),
                  "the vocabulary has 3 characters, more than the 2 logits");
}

} // namespace
} // namespace gradc::rt
