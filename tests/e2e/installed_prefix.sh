#!/usr/bin/env bash
# installed_prefix.sh BUILD_DIR SOURCE_DIR WORK_DIR — installs the build into
# WORK_DIR/prefix with `cmake --install`, then uses the installed gradc alone:
# it compiles a model into a training program that trains 5 steps, and builds
# and runs the embedding example against the installed runtime.
set -euo pipefail
build=$1 source=$2 work=$3
prefix=$work/prefix
fashion=/usr/share/datasets/fashion-mnist

rm -rf "$work"
mkdir -p "$work"
cmake --install "$build" --prefix "$prefix" > "$work/install.log"

# Every runtime header is installed: gradc falls back to the source tree's
# headers only when <prefix>/include lacks them, which would hide a gap here.
diff -r "$source/runtime/include/gradc/runtime" "$prefix/include/gradc/runtime"
test -f "$prefix/lib/libgradc_runtime.a"

cd "$work"
"$prefix/bin/gradc" "$source/examples/fashion_mlp.gc" -o "$work/fashion_mlp"
"$work/fashion_mlp" --steps 5 --threads 1 \
  --data "$fashion/t10k-images-idx3-ubyte.gz" --labels "$fashion/t10k-labels-idx1-ubyte.gz" \
  --save "$work/weights.safetensors"
test -s "$work/weights.safetensors"

# With MPI, a program for 2 ranks links the installed runtime's MPI part.
if [ -f "$prefix/lib/libgradc_runtime_mpi.a" ] && command -v mpirun > /dev/null; then
  "$prefix/bin/gradc" "$source/examples/fashion_mlp.gc" --ranks 2 -o "$work/fashion_mlp_2"
  OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 timeout 120 \
    mpirun --oversubscribe -np 2 "$work/fashion_mlp_2" --steps 3 --no-checkpoints \
    --data "$fashion/t10k-images-idx3-ubyte.gz" --labels "$fashion/t10k-labels-idx1-ubyte.gz" \
    --test "$fashion/t10k-images-idx3-ubyte.gz" --test-labels "$fashion/t10k-labels-idx1-ubyte.gz"
fi

make -B -C "$source/examples/embed" GRADC="$prefix/bin/gradc" OUT="$work/embed" run
echo "installed prefix: ok"
