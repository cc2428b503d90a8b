// generate_api.cpp — a language model from `gradc --emit=lib` trained in
// memory on the windows of its own text source, then sampled through
// gradc::rt::generateText: the library's side of the program's --generate.
#include "char_block.h"

#include "gradc/runtime/dataset.h"
#include "gradc/runtime/error.h"
#include "gradc/runtime/text.h"
#include "gradc/runtime/weights.h"

#include <cstdio>
#include <string>

int main() {
  try {
    CharBlock model;
    gradc::rt::initializeParameters(model, 1);
    model.resetOptimizer();
    // The model's `data text("corpus.txt")`: windows of 9 characters.
    gradc::rt::Dataset data = gradc::rt::loadDataset(model.info(), model.info().data);
    const int64_t batch = CharBlock::kBatch;
    for (int64_t step = 0; step < 300; ++step) {
      const int64_t first = (step * batch) % (data.size - batch);
      std::vector<const void *> inputs = gradc::rt::samplePointers(data.inputs, first);
      std::vector<const void *> labels = gradc::rt::samplePointers(data.labels, first);
      model.trainStep(inputs.data(), labels.data(), 1e-2, static_cast<uint64_t>(step));
    }
    gradc::rt::Vocabulary vocab = gradc::rt::Vocabulary::fromUtf8(data.vocab, "the data");
    gradc::rt::GenerateOptions options;
    options.tokens = 40;
    options.temperature = 0;
    const std::string text = gradc::rt::generateText(model, vocab, "the q", options);
    // The prompt and 40 characters more: 45 = 21 + 21 + 3.
    const std::string expected = "the quick brown fox.\nthe quick brown fox.\nthe";
    if (text != expected) {
      std::printf("FAIL generated \"%s\", expected \"%s\"\n", text.c_str(), expected.c_str());
      return 1;
    }
    std::printf("generate API: ok\n");
    return 0;
  } catch (const gradc::rt::Error &error) {
    std::printf("FAIL %s\n", error.what());
    return 1;
  }
}
