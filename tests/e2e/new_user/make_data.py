"""Writes the data of tests/e2e/new_user/run.sh: images as uint8 NCHW and NHWC
(and the same pixels as scaled float32), labels, and a column-shuffled copy of
a CSV file."""
import csv
import sys

import numpy as np

work, friedman = sys.argv[1], sys.argv[2]
rng = np.random.default_rng(7)
labels = rng.integers(0, 3, size=64).astype(np.int32)
pixels = rng.integers(0, 256, size=(64, 3, 4, 4)).astype(np.uint8)
pixels[np.arange(64), labels] //= 4  # the label's channel is dark: learnable
np.save(f"{work}/x_nchw_u8.npy", pixels)


def write_idx(path, array):
    with open(path, "wb") as f:
        f.write(bytes([0, 0, 0x08, array.ndim]))
        for dim in array.shape:
            f.write(int(dim).to_bytes(4, "big"))
        f.write(array.astype(np.uint8).tobytes())


write_idx(f"{work}/images-idx4-ubyte", pixels)
write_idx(f"{work}/labels-idx1-ubyte", labels)
np.save(f"{work}/x_nhwc_u8.npy", np.ascontiguousarray(pixels.transpose(0, 2, 3, 1)))
# The pixels as the program scales them: the double product, rounded to f32.
np.save(f"{work}/x_nchw_f32.npy", (pixels.astype(np.float64) * (1 / 255)).astype(np.float32))
np.save(f"{work}/y.npy", labels)
np.save(f"{work}/y_onehot.npy", np.eye(3, dtype=np.float32)[labels])
ids = rng.integers(0, 5, size=(64, 3)).astype(np.int32)
np.save(f"{work}/ids.npy", ids)
ids[41, 2] = 5  # one past the embedding's rows
np.save(f"{work}/ids_bad.npy", ids)

with open(friedman, newline="") as f:
    rows = list(csv.reader(f))
header = rows[0]
order = [header.index(name) for name in ["x3", "y", "x10", "x1", "x2", "x4", "x5", "x6",
                                         "x7", "x8", "x9"]]
with open(f"{work}/shuffled.csv", "w", newline="") as f:
    writer = csv.writer(f)
    for row in rows:
        writer.writerow([row[i] for i in order])
features = [i for i, name in enumerate(header) if name != "y"]
with open(f"{work}/features.csv", "w", newline="") as f:
    writer = csv.writer(f)
    for row in rows:
        writer.writerow([row[i] for i in features])
