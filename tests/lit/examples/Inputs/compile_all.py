"""Compiles every examples/*.gc to the nn dialect and prints one line each."""
import glob
import os
import subprocess
import sys

gradc, examples = sys.argv[1], sys.argv[2]
failed = False
for path in sorted(glob.glob(os.path.join(examples, "*.gc"))):
    result = subprocess.run([gradc, path, "--emit=nn", "-o", os.devnull],
                            capture_output=True, text=True)
    print(("ok     " if result.returncode == 0 else "FAILED ") + os.path.basename(path))
    if result.returncode != 0:
        sys.stdout.write(result.stderr)
        failed = True
sys.exit(1 if failed else 0)
