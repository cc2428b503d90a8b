// training_data.cpp — the training run's data: loading, the validation and test sets, and ranks that check they read the same data.
#include "training_loop.h"

#include "gradc/runtime/text.h"
#include "gradc/runtime/weights.h"

#include <climits>

namespace gradc::rt::detail {

void Trainer::loadData() {
  LoadLimits limits;
  limits.mapFiles = options_.streamData;
  train_ = loadDataset(info_, options_.data, limits);
  if (options_.validation > 0) {
    auto [kept, held] = holdOut(train_, options_.validation, options_.seed, fileIndex_);
    train_ = std::move(kept);
    validation_ = std::move(held);
  } else {
    fileIndex_.resize(static_cast<size_t>(train_.size));
    for (int64_t i = 0; i < train_.size; ++i)
      fileIndex_[static_cast<size_t>(i)] = i;
  }
  if (!options_.test.kind.empty()) {
    // A test CSV's columns are matched by the names the model trains on.
    DataSource test = options_.test;
    if (test.kind == "csv" && test.header && test.featureColumns.empty())
      test.featureColumns = train_.featureNames;
    // Test text is encoded with the training data's vocabulary.
    if (test.kind == "text" && test.vocab.empty())
      test.vocab = train_.vocab;
    test_ = loadDataset(info_, test);
  }
  if (!train_.featureNames.empty())
    weightsMetadata_[kCsvFeaturesKey] = joinColumns(train_.featureNames);
  if (!train_.vocab.empty())
    weightsMetadata_[kVocabKey] = train_.vocab;
  batchesPerEpoch_ = train_.size / globalBatch_;
  if (batchesPerEpoch_ == 0 && validation_)
    throw Error(options_.dataOrigin + " has " +
                std::to_string(train_.size + validation_->size) + " samples; validation " +
                fixed(options_.validation, 2) + " holds out " +
                std::to_string(validation_->size) + " of them, which leaves " +
                std::to_string(train_.size) + " to train on, fewer than one batch of " +
                std::to_string(globalBatch_));
  if (batchesPerEpoch_ == 0)
    throw Error(options_.dataOrigin + " has " + std::to_string(train_.size) +
                " samples, fewer than one batch of " + std::to_string(globalBatch_));
  epochs_ = options_.epochs;
  if (options_.steps && !options_.epochsGiven)
    epochs_ = (*options_.steps + batchesPerEpoch_ - 1) / batchesPerEpoch_;
}

// Every rank must have loaded the same data: the same files, or copies of them.
void Trainer::checkSameData() {
  const std::string sizes = std::to_string(train_.size) + " training, " +
                            std::to_string(validation_ ? validation_->size : 0) +
                            " validation and " + std::to_string(test_ ? test_->size : 0) +
                            " test samples";
  std::vector<std::string> all = comm_.gather(sizes, "comparing the data");
  for (size_t r = 1; r < all.size(); ++r)
    if (all[r] != all[0])
      throw Error("the ranks loaded different data: rank " + std::to_string(r) + " has " +
                  all[r] + ", rank 0 " + all[0] +
                  ": every rank must read the same files (or copies of them)");
}

// The settings a resumed run must share with the interrupted one, as the
// checkpoint records them; the number of ranks only for data-parallel runs.
} // namespace gradc::rt::detail
