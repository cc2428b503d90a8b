// model.cpp — defaults of the Model interface.
#include "gradc/runtime/model.h"

#include "gradc/runtime/error.h"

namespace gradc::rt {

StepResult Model::lossGrad(const void *const *, const void *const *, uint64_t) {
  throw Error("model '" + info().name + "' was compiled without a loss_grad entry point");
}

StepResult Model::trainGrad(const void *const *, const void *const *, uint64_t) {
  throw Error("model '" + info().name + "' was compiled without a train_grad entry point");
}

void Model::applyUpdate(double) {
  throw Error("model '" + info().name + "' was compiled without an apply_update entry point");
}

} // namespace gradc::rt
