#!/usr/bin/env bash
# run.sh GRADC WORK_DIR — data-parallel training under `mpirun --oversubscribe -np 2`
# on this machine (docs/distributed.md):
#  - 2 ranks with batch B/2 each end with the weights of 1 process with batch B
#    after 20 steps (f32 SGD with momentum and clipping: largest difference
#    relative to each tensor's largest magnitude below 1e-5; f64 Adam: 1e-10),
#    and every rank holds bitwise the same weights and optimizer state after
#    every step (--check-replicas), batch normalization and dropout included;
#  - evaluation split over the ranks gives the single process's numbers;
#  - --resume under mpirun ends bitwise like an uninterrupted run;
#  - a rank killed with SIGKILL, or stopped, ends the whole job within seconds;
#  - different models, executables or flags on the ranks, and bad data on one
#    rank, end the job at start-up with a message that says so.
set -euo pipefail
gradc=$1 work=$2
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
fashion=/usr/share/datasets/fashion-mnist
python=/usr/bin/python3
# OpenMPI refuses to run as root without these; they change nothing otherwise.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mpi=(mpirun --oversubscribe -np 2)

rm -rf "$work"
mkdir -p "$work"
cd "$work"

fail() {
  echo "FAIL: $*" >&2
  exit 1
}
# expect_failure NAME PATTERN COMMAND...: COMMAND exits non-zero within 60 s
# and its output matches PATTERN.
expect_failure() {
  local name=$1 pattern=$2
  shift 2
  local rc=0
  timeout 60 "$@" > "$name.out" 2>&1 || rc=$?
  [ "$rc" -ne 0 ] || fail "$name: exit status 0"
  [ "$rc" -ne 124 ] || fail "$name: still running after 60 s"
  grep -q -- "$pattern" "$name.out" || { cat "$name.out" >&2; fail "$name: no '$pattern'"; }
  echo "$name: exit $rc, $(grep -m1 -- "$pattern" "$name.out" | cut -c1-150)"
}

"$gradc" "$here/dist_mlp.gc" -o mlp1
"$gradc" "$here/dist_mlp.gc" --ranks 2 -o mlp2
"$gradc" "$root/examples/fashion_mlp.gc" --f64 -o adam1
"$gradc" "$root/examples/fashion_mlp.gc" --f64 --ranks 2 -o adam2
"$gradc" "$here/dist_bn.gc" --ranks 2 -o bn2
"$gradc" "$here/dist_bn.gc" -o bn1

# 1 rank with batch B against 2 ranks with B/2, the same 20 steps.
./mlp1 --steps 20 --threads 1 --save mlp1.safetensors --quiet
timeout 120 "${mpi[@]}" ./mlp2 --steps 20 --check-replicas --save mlp2.safetensors --quiet
$python "$here/compare_weights.py" mlp1.safetensors mlp2.safetensors --max-rel 1e-5
f64data=(--data "$fashion/t10k-images-idx3-ubyte.gz" --labels "$fashion/t10k-labels-idx1-ubyte.gz"
         --test "$fashion/t10k-images-idx3-ubyte.gz" --test-labels "$fashion/t10k-labels-idx1-ubyte.gz")
./adam1 --steps 20 --threads 1 "${f64data[@]}" --save adam1.safetensors --quiet
timeout 120 "${mpi[@]}" ./adam2 --steps 20 "${f64data[@]}" --check-replicas \
  --save adam2.safetensors --quiet
$python "$here/compare_weights.py" adam1.safetensors adam2.safetensors --max-rel 1e-10

# Batch normalization and dropout: replicas stay identical, evaluation every
# 10 steps is split over the ranks, and only rank 0 writes the log.
timeout 120 "${mpi[@]}" ./bn2 --steps 30 --eval-every 10 --check-replicas --log bn.jsonl \
  --save bn.safetensors --no-progress > bn.out
grep -q '"ranks":2' bn.jsonl || fail "the log's run record has no ranks"
[ "$(grep -c '"record":"run"' bn.jsonl)" -eq 1 ] || fail "more than one rank wrote the log"
[ "$(grep -c '^training' bn.out)" -eq 1 ] || fail "more than one rank printed"
# The evaluation of 2 ranks is that of one process.
./bn1 --eval --load bn.safetensors --threads 1 | tail -1 > eval1.txt
timeout 60 "${mpi[@]}" ./bn2 --eval --load bn.safetensors | tail -1 > eval2.txt
diff eval1.txt eval2.txt || fail "2 ranks evaluate differently from 1 process"
echo "evaluation on 1 and 2 ranks: $(cat eval1.txt)"

# --resume under mpirun: 10 steps, then 10 more from the checkpoint.
timeout 120 "${mpi[@]}" ./mlp2 --steps 10 --checkpoint-dir ckpt --quiet
timeout 120 "${mpi[@]}" ./mlp2 --steps 20 --resume ckpt --save resumed.safetensors --quiet
$python "$here/compare_weights.py" mlp2.safetensors resumed.safetensors --bitwise

# A rank that dies, or hangs, ends the job within seconds. ranks_of waits for
# training to start and prints the ranks' process ids (mpirun's children).
ranks_of() {
  local launcher=$1 log=$2
  for _ in $(seq 300); do
    grep -q '^epoch\|^training' "$log" 2>/dev/null && break
    sleep 0.1
  done
  pgrep -P "$launcher"
}
for signal in KILL STOP; do
  "${mpi[@]}" ./mlp2 --epochs 1000 --no-checkpoints --collective-timeout 3 \
    > "$signal.out" 2>&1 &
  launcher=$!
  victims=$(ranks_of $launcher "$signal.out")
  [ "$(echo "$victims" | wc -w)" -eq 2 ] || fail "$signal: ranks not found: $victims"
  start=$(date +%s)
  kill -"$signal" "$(echo "$victims" | tail -1)"
  rc=0
  for _ in $(seq 200); do kill -0 $launcher 2>/dev/null || break; sleep 0.1; done
  if kill -0 $launcher 2>/dev/null; then
    kill -9 $launcher $victims 2>/dev/null || true
    fail "$signal: the job still runs 20 s after one rank got SIG$signal"
  fi
  wait $launcher || rc=$?
  [ "$rc" -ne 0 ] || fail "$signal: exit status 0"
  pattern=$([ $signal = KILL ] && echo "exited on signal 9" || echo "no answer from the other ranks")
  grep -q "$pattern" "$signal.out" || { cat "$signal.out" >&2; fail "$signal: no '$pattern'"; }
  echo "SIG$signal to a rank: the job ended with $rc after $(($(date +%s) - start)) s"
done

# Start-up checks.
expect_failure models "the ranks run different models" \
  mpirun --oversubscribe -np 1 ./mlp2 --steps 1 : -np 1 ./bn2 --steps 1
"$gradc" "$here/dist_mlp.gc" --ranks 2 -O1 -o mlp2-O1
expect_failure executables "the ranks run different executables" \
  mpirun --oversubscribe -np 1 ./mlp2 --steps 1 : -np 1 ./mlp2-O1 --steps 1
expect_failure flags "rank 1 has --seed 4 and rank 0 --seed 3" \
  mpirun --oversubscribe -np 1 ./mlp2 --steps 1 : -np 1 ./mlp2 --steps 1 --seed 4
head -c 5000 "$fashion/t10k-images-idx3-ubyte.gz" > truncated-images-idx3-ubyte.gz
expect_failure bad-data "rank 1 of 2: .*truncated-images-idx3-ubyte.gz" \
  mpirun --oversubscribe -np 1 ./mlp2 --steps 1 : -np 1 ./mlp2 --steps 1 \
  --data truncated-images-idx3-ubyte.gz --labels "$fashion/t10k-labels-idx1-ubyte.gz"
expect_failure ranks "compiled for 2 ranks" mpirun --oversubscribe -np 3 ./mlp2 --steps 1
expect_failure one-process "compiled for one process: compile the model with gradc --ranks 2" \
  "${mpi[@]}" ./mlp1 --steps 1
expect_failure no-mpirun "train it with mpirun -np 2" ./mlp2 --steps 1
echo "distributed: ok"
