// vector_clones.h — code compiled for several vector widths at once.
#ifndef GRADC_RUNTIME_VECTOR_CLONES_H
#define GRADC_RUNTIME_VECTOR_CLONES_H

/// A function compiled for AVX-512, AVX2 and the x86-64 baseline, the widest
/// the processor has chosen when the program starts (GCC's target_clones,
/// OpenMP regions inside it included). Code built without fused
/// multiply-adds (-ffp-contract=off, as gradc builds every program) rounds
/// alike at every width. GRADC_SINGLE_TARGET (gradc --march) compiles for the
/// target of the command line alone.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) &&                      \
    !defined(GRADC_SINGLE_TARGET)
#define GRADC_VECTOR_CLONES                                                                 \
  __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define GRADC_VECTOR_CLONES
#endif

namespace gradc::rt {

/// Calls `f`, which calls a GRADC_VECTOR_CLONES function of the same
/// translation unit that may throw. GCC 12 takes such a function for one that
/// cannot throw, and a caller with a cleanup or a handler around the call
/// then ends the program with std::terminate instead of passing the
/// exception on; a call through here, which GCC does not analyse (noipa),
/// keeps it. (Calls from another translation unit are not affected.)
template <typename F>
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((noipa))
#endif
void callEntry(F &&f) {
  f();
}

} // namespace gradc::rt

#endif // GRADC_RUNTIME_VECTOR_CLONES_H
