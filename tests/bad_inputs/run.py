#!/usr/bin/env python3
"""run.py — feeds the bad-input corpus (cases.txt) to a program compiled from
model.gc and checks each case's exit status and its whole stderr; a case
with "compile:" imports an ONNX file into onnx_model.gc and checks gradc's
own exit status and error.

    run.py --gradc GRADC --work DIR

With a sanitizer build's gradc the program is built with ASan and UBSan, and
any sanitizer report fails its case as any other unexpected output does."""

import argparse
import pathlib
import re
import shutil
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent
FILES = HERE / "files"
PLACEHOLDERS = {"{hex}": "[0-9a-f]{16}", "{n}": "[0-9]+", "{name}": "[^']+"}


def parse_cases(text):
    cases, case = [], None
    for line in text.splitlines():
        if line.startswith("== "):
            case = {"name": line[3:]}
            cases.append(case)
        elif case is not None and ": " in line and not line.startswith("#"):
            key, value = line.split(": ", 1)
            case[key] = value
    return cases


def expected_pattern(text, work):
    text = text.replace("@files/", f"{FILES}/").replace("@work/", f"{work}/")
    pattern = re.escape(text)
    for placeholder, regex in PLACEHOLDERS.items():
        pattern = pattern.replace(re.escape(placeholder), regex)
    return re.compile(pattern)


def compile_case(case, gradc, work):
    """An ONNX file imported into onnx_model.gc: gradc must exit with the
    case's status and print the error (its first line, the case's stderr)
    with the model line and caret under it, and nothing else."""
    onnx_file = case["compile"].replace("@files/", f"{FILES}/")
    model = work / "onnx" / (pathlib.Path(onnx_file).stem + ".gc")
    model.write_text((HERE / "onnx_model.gc").read_text().replace("ONNX_FILE", onnx_file))
    result = subprocess.run([gradc, str(model), "-o", str(model.with_suffix(""))],
                            capture_output=True, text=True, errors="replace")
    lines = result.stderr.rstrip("\n").split("\n")
    want = expected_pattern(case["stderr"], work)
    if (result.returncode == int(case["exit"]) and want.fullmatch(lines[0]) and len(lines) == 3
            and not model.with_suffix("").exists()):
        return True
    print(f"FAIL: {case['name']}\n  compile: {model}\n"
          f"  exit:   {result.returncode} (expected {case['exit']})\n"
          f"  stderr: {result.stderr}\n  wanted: {case['stderr']}")
    return False


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--gradc", required=True)
    parser.add_argument("--work", required=True, type=pathlib.Path)
    args = parser.parse_args()
    work = args.work.resolve()
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)

    program, other = work / "bad_inputs", work / "other"
    for model, out in [(HERE / "model.gc", program), (HERE / "other_model.gc", other)]:
        subprocess.run([args.gradc, str(model), "-o", str(out)], check=True)
    data = ["--data", str(FILES / "inputs.npy"), "--labels", str(FILES / "labels.npy")]
    for exe, directory in [(program, "checkpoint"), (other, "other-checkpoint")]:
        subprocess.run([str(exe), *data, "--steps", "1", "--checkpoint-dir",
                        str(work / directory), "--quiet"], check=True, stdout=subprocess.DEVNULL)
    checkpoint = (work / "checkpoint" / "checkpoint.safetensors").read_bytes()
    for directory, size in [("truncated-header", 50), ("truncated-data", len(checkpoint) - 10)]:
        (work / directory).mkdir()
        (work / directory / "checkpoint.safetensors").write_bytes(checkpoint[:size])

    cases = parse_cases((HERE / "cases.txt").read_text())
    failures = 0
    (work / "onnx").mkdir()
    for case in cases:
        if "compile" in case:
            failures += not compile_case(case, args.gradc, work)
            continue
        argv = [str(program)] + [a.replace("@files/", f"{FILES}/").replace("@work/", f"{work}/")
                                 for a in case["run"].split()]
        result = subprocess.run(argv, cwd=work, capture_output=True, text=True, errors="replace")
        stderr = result.stderr.rstrip("\n")
        want = expected_pattern(case["stderr"], work)
        if result.returncode != int(case["exit"]) or not want.fullmatch(stderr):
            failures += 1
            print(f"FAIL: {case['name']}\n  run:    {' '.join(argv)}\n"
                  f"  exit:   {result.returncode} (expected {case['exit']})\n"
                  f"  stderr: {stderr}\n  wanted: {case['stderr']}")
    print(f"bad inputs: {len(cases) - failures} of {len(cases)} cases give their error")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
