// text_fuzzer.cpp — fuzzes the text data of language models: UTF-8 decoding,
// vocabularies built from the text or given, encoding, and the windows a
// model of T = 4 and 40 ids takes; the same bytes as a vocabulary and as a
// prompt to encode.
#include "loader_fuzz.h"
#include "memory_file.h"

#include "gradc/runtime/text.h"

#include <string_view>

using namespace gradc;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static fuzz::MemoryFile file("txt");
  file.assign(data, size);
  rt::ModelInfo info;
  info.name = "Lm";
  info.inputs = {{"ids", rt::DType::I32, {4}}};
  info.inputs[0].range = {0, 40, true, true, "embedding_0"};
  info.labels = {{"next", rt::DType::I32, {4}, 40}};
  info.outputShape = {4, 40};
  rt::DataSource source;
  source.kind = "text";
  source.inputs = file.path();
  for (const char *vocab : {"", "abcdefghijklmnopqrstuvwxyz .,\n\xC3\xA9"}) {
    source.vocab = vocab;
    try {
      rt::loadDataset(info, source, fuzz::fuzzLimits());
    } catch (const rt::Error &) {
    }
  }
  const std::string_view bytes(reinterpret_cast<const char *>(data), size);
  try {
    rt::Vocabulary vocab = rt::Vocabulary::fromUtf8(bytes, "vocab");
    (void)vocab.decode(vocab.encode(bytes, "text"));
  } catch (const rt::Error &) {
  }
  return 0;
}
