#!/usr/bin/env bash
# build_and_run.sh GRADC MODEL MAIN OUT RUNTIME_INCLUDE RUNTIME_LIB — compiles
# MODEL with `gradc --emit=lib` into OUT, links the program MAIN with the
# model's library and the runtime, and runs it.
set -euo pipefail
gradc=$1 model=$2 main=$3 out=$4 include=$5 runtime=$6
rm -rf "$out"
"$gradc" "$model" --emit=lib -o "$out"
stem=$(basename "$(ls "$out"/lib*.a)" .a)
"${CXX:-c++}" -std=c++17 -O2 -Wall -Wextra -Werror -I"$out" -I"$include" "$main" \
  "$out/$stem.a" "$runtime" -lboost_program_options -lz -fopenmp -o "$out/program"
"$out/program"
