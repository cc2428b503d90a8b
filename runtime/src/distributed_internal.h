// distributed_internal.h — the MPI job, built only when the runtime has MPI.
#ifndef GRADC_RUNTIME_SRC_DISTRIBUTED_INTERNAL_H
#define GRADC_RUNTIME_SRC_DISTRIBUTED_INTERNAL_H

#include "gradc/runtime/distributed.h"

#include <memory>

namespace gradc::rt::detail {

/// Initializes MPI and returns MPI_COMM_WORLD's communicator. Defined in
/// distributed_mpi.cpp, which is libgradc_runtime_mpi.a: gradc links it only
/// into programs compiled for several ranks, so that the others need no MPI.
/// Elsewhere this weak declaration resolves to null.
__attribute__((weak)) std::unique_ptr<Communicator> joinMpiJob();

} // namespace gradc::rt::detail

#endif // GRADC_RUNTIME_SRC_DISTRIBUTED_INTERNAL_H
