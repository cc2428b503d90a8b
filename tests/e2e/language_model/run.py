"""End-to-end check of text and token data and of --generate, against PyTorch.

char_block.gc trains on corpus.txt (a sentence repeated): the program builds
the vocabulary (the text's distinct characters in code-point order), cuts the
text into windows of T + 1 characters and holds out the last 10 % of them.
This script recomputes all of that itself and checks, with the program's
saved weights loaded into the same network written in PyTorch:
 - the weights file records the vocabulary;
 - the program's last val_loss is PyTorch's loss on the last 10 % of windows;
 - --eval on another text file gives PyTorch's loss on its windows;
 - training on the text's ids as a .npy token file gives bitwise the same weights;
 - --generate at temperature 0 continues the sentence, and a seed repeats a sample;
 - characters outside the vocabulary, in data or prompt, are errors naming the place, and
   bad --generate flags are usage errors.

usage: run.py GRADC OUT_DIR
"""
import json
import math
import os
import struct
import subprocess
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from torch_crosscheck import gpt_block, read_safetensors, token_cross_entropy  # noqa: E402

WINDOW = 8
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def run(args, expect=0):
    result = subprocess.run(args, capture_output=True, text=True)
    if result.returncode != expect:
        print(result.stdout + result.stderr)
        raise SystemExit("%s exited with %d, expected %d" % (args[0], result.returncode, expect))
    return result


def metadata(path):
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        return json.loads(f.read(length)).get("__metadata__", {})


def windows(ids):
    """Window i holds ids[i*T : i*T + T + 1]: inputs its first T, labels its last T."""
    count = (len(ids) - 1) // WINDOW
    x = np.array([ids[i * WINDOW:i * WINDOW + WINDOW] for i in range(count)])
    y = np.array([ids[i * WINDOW + 1:i * WINDOW + WINDOW + 1] for i in range(count)])
    return torch.from_numpy(x), torch.from_numpy(y)


def torch_loss(weights, x, y):
    params = {name: torch.from_numpy(array).double() for name, array in weights.items()}
    with torch.no_grad():
        return token_cross_entropy(gpt_block(params, x), y.long()).item()


def main():
    gradc, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    program = os.path.join(out, "char_block")
    run([gradc, os.path.join(HERE, "char_block.gc"), "-o", program])
    text = open(os.path.join(HERE, "corpus.txt"), encoding="utf-8").read()
    vocab = "".join(sorted(set(text)))
    ids = [vocab.index(c) for c in text]

    weights_path = os.path.join(out, "w.safetensors")
    log_path = os.path.join(out, "log.jsonl")
    run([program, "--seed", "1", "--save", weights_path, "--log", log_path, "--quiet"])
    check(metadata(weights_path).get("vocab") == vocab, "the weights record the vocabulary")
    weights = read_safetensors(weights_path)

    records = [json.loads(line) for line in open(log_path)]
    last = [r for r in records if "val_loss" in r][-1]
    x, y = windows(ids)
    held = int(round(0.1 * len(x)))
    expected = torch_loss(weights, x[-held:], y[-held:])
    check(math.isclose(last["val_loss"], expected, rel_tol=1e-4),
          "val_loss %.6f is PyTorch's %.6f on the last %d of %d windows"
          % (last["val_loss"], expected, held, len(x)))
    check(last["val_loss"] < 0.1, "the sentence is learned: val_loss %.4f" % last["val_loss"])

    # --eval on another text, encoded with the weights' vocabulary.
    other = "the brown fox. the quick fox.\n" * 20
    other_path = os.path.join(out, "other.txt")
    with open(other_path, "w", encoding="utf-8") as f:
        f.write(other)
    result = run([program, "--eval", "--load", weights_path, "--test", other_path])
    reported = float(result.stdout.split("test_loss")[1].split()[0]) if "test_loss" in result.stdout \
        else None
    ox, oy = windows([vocab.index(c) for c in other])
    expected = torch_loss(weights, ox, oy)
    check(reported is not None and math.isclose(reported, expected, rel_tol=1e-3, abs_tol=1e-4),
          "--eval on other.txt: %s, PyTorch %.4f (%s)" % (reported, expected,
                                                         result.stdout.strip()))

    # The same ids as a token file train bitwise the same weights.
    tokens_path = os.path.join(out, "corpus.npy")
    np.save(tokens_path, np.array(ids, dtype=np.int32))
    tokens_weights = os.path.join(out, "w_tokens.safetensors")
    run([program, "--seed", "1", "--data", tokens_path, "--save", tokens_weights, "--quiet"])
    same = read_safetensors(tokens_weights)
    check(all(np.array_equal(same[n], weights[n]) for n in weights),
          "training on the token file gives bitwise the text's weights")

    # Generation.
    result = run([program, "--load", weights_path, "--generate", "the q", "--tokens", "40",
                  "--temperature", "0"])
    check(result.stdout == "the quick brown fox.\nthe quick brown fox.\nthe\n",
          "--generate at temperature 0 continues the sentence: %r" % result.stdout)
    # A checkpoint records the vocabulary too, and --load takes it.
    checkpoints = os.path.join(out, "checkpoints")
    run([program, "--seed", "1", "--checkpoint-dir", checkpoints, "--quiet"])
    from_checkpoint = run([program, "--load", os.path.join(checkpoints, "checkpoint.safetensors"),
                           "--generate", "the q", "--tokens", "40", "--temperature", "0"])
    check(from_checkpoint.stdout == result.stdout,
          "--generate from the run's checkpoint: %r" % from_checkpoint.stdout)
    sampled = [run([program, "--load", weights_path, "--generate", "the", "--tokens", "30",
                    "--seed", str(seed)]).stdout for seed in (4, 4)]
    check(sampled[0] == sampled[1] and sampled[0].startswith("the"),
          "a seed repeats its sample: %r" % sampled[0])

    # Errors name the place.
    bad_path = os.path.join(out, "bad.txt")
    with open(bad_path, "w", encoding="utf-8") as f:
        f.write("the quick\nbrown Zebra.\n")
    result = run([program, "--eval", "--load", weights_path, "--test", bad_path], expect=1)
    check(bad_path + ":2:7: 'Z' is not in the model's vocabulary of %d characters" % len(vocab)
          in result.stderr, "a character outside the vocabulary: " + result.stderr.strip())
    result = run([program, "--load", weights_path, "--generate", "the Z"], expect=1)
    check("character 5 of the prompt, 'Z', is not in the model's vocabulary" in result.stderr,
          "a prompt outside the vocabulary: " + result.stderr.strip())
    result = run([program, "--load", weights_path, "--generate", "the", "--temperature", "-1"],
                 expect=2)
    check("--temperature must be a number >= 0 (0: always the most likely token), got '-1'"
          in result.stderr, "a negative temperature: " + result.stderr.strip())
    result = run([program, "--generate", "the"], expect=2)
    check("--generate needs --load W.safetensors" in result.stderr,
          "--generate without weights: " + result.stderr.strip())
    with open(bad_path, "wb") as f:
        f.write(b"the \xff quick\n")
    result = run([program, "--data", bad_path], expect=1)
    check(bad_path + ":1:5: is not UTF-8 text: byte 255" in result.stderr,
          "bytes that are not UTF-8: " + result.stderr.strip())

    print("%d passed, %d failed" % (13 - len(failures), len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
