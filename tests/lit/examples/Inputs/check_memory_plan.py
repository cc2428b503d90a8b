"""Prints, per model of a folder, whether its train_step's planned arena is
at most 1.10x its lower bound and at most 0.5x its naive total, from
`gradc MODEL --report=json`."""
import json
import os
import subprocess
import sys

gradc, folder = sys.argv[1], sys.argv[2]
for name in sorted(os.listdir(folder)):
    if not name.endswith(".gc"):
        continue
    result = subprocess.run([gradc, os.path.join(folder, name), "--report=json"],
                            capture_output=True, text=True)
    if result.returncode != 0:
        print("FAILED %s: %s" % (name, result.stderr.strip()))
        continue
    entry = next(e for e in json.loads(result.stdout)["entry_points"]
                 if e["name"] == "train_step")
    arena, bound, naive = entry["arena_bytes"], entry["lower_bound_bytes"], entry["naive_bytes"]
    ok = arena <= 1.10 * bound and arena <= 0.5 * naive
    print("%s %-20s arena %d, lower bound %d (%.3fx), naive %d (%.3fx)"
          % ("ok    " if ok else "FAILED", name, arena, bound, arena / max(bound, 1), naive,
             arena / max(naive, 1)))
