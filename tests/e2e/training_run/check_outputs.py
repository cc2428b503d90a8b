"""Checks the files a training program writes, reading them by hand: TensorBoard
event files (TFRecord framing, CRC-32C, Event protocol buffers), SVG plots, and
--log files (early stopping, logs of resumed runs).

  check_outputs.py tensorboard DIR
  check_outputs.py svg FILE SERIES...
  check_outputs.py early-stopping LOG METRIC PATIENCE
  check_outputs.py same-log A B
"""
import csv
import json
import os
import struct
import sys
import xml.etree.ElementTree as ET


def fail(message):
    print("FAIL: " + message)
    sys.exit(1)


# --- CRC-32C and TFRecords ------------------------------------------------------

def _crc_table():
    table = []
    for i in range(256):
        crc = i
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table.append(crc)
    return table


CRC_TABLE = _crc_table()


def crc32c(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc = CRC_TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked(data):
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def records(path):
    data = open(path, "rb").read()
    at = 0
    while at < len(data):
        if at + 12 > len(data):
            fail("%s: truncated record header at byte %d" % (path, at))
        header = data[at:at + 8]
        (length,) = struct.unpack("<Q", header)
        (header_crc,) = struct.unpack("<I", data[at + 8:at + 12])
        if header_crc != masked(header):
            fail("%s: bad length CRC at byte %d" % (path, at))
        body = data[at + 12:at + 12 + length]
        (body_crc,) = struct.unpack("<I", data[at + 12 + length:at + 16 + length])
        if len(body) != length or body_crc != masked(body):
            fail("%s: bad data CRC at byte %d" % (path, at))
        yield body
        at += 16 + length


# --- protocol buffers ------------------------------------------------------------

def varint(data, at):
    value = shift = 0
    while True:
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, at


def fields(data):
    """(field number, wire type, value) of each field of a message."""
    at = 0
    while at < len(data):
        key, at = varint(data, at)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, at = varint(data, at)
        elif wire == 1:
            value, at = data[at:at + 8], at + 8
        elif wire == 2:
            length, at = varint(data, at)
            value, at = data[at:at + length], at + length
        elif wire == 5:
            value, at = data[at:at + 4], at + 4
        else:
            fail("unexpected wire type %d" % wire)
        yield number, wire, value


def event(data):
    """An Event as a dict: wall_time, step, file_version, values (tag → kind, value)."""
    result = {"step": 0, "values": []}
    for number, wire, value in fields(data):
        if number == 1 and wire == 1:
            result["wall_time"] = struct.unpack("<d", value)[0]
        elif number == 2 and wire == 0:
            result["step"] = value
        elif number == 3 and wire == 2:
            result["file_version"] = value.decode()
        elif number == 5 and wire == 2:
            for summary_field, _, summary_value in fields(value):
                if summary_field != 1:
                    continue
                tag, kind, content = None, None, None
                for n, w, v in fields(summary_value):
                    if n == 1:
                        tag = v.decode()
                    elif n == 2 and w == 5:
                        kind, content = "scalar", struct.unpack("<f", v)[0]
                    elif n == 5:
                        kind, content = "histogram", histogram(v)
                    elif n == 8:
                        kind, content = "tensor", v
                result["values"].append((tag, kind, content))
    return result


def histogram(data):
    result = {"limits": [], "counts": []}
    names = {1: "min", 2: "max", 3: "num", 4: "sum", 5: "sum_squares"}
    for number, wire, value in fields(data):
        if number in names:
            result[names[number]] = struct.unpack("<d", value)[0]
        elif number in (6, 7):
            doubles = [struct.unpack("<d", value[i:i + 8])[0] for i in range(0, len(value), 8)]
            result["limits" if number == 6 else "counts"] += doubles
    return result


def check_tensorboard(directory):
    files = [f for f in os.listdir(directory) if f.startswith("events.out.tfevents.")]
    if len(files) != 1:
        fail("expected one event file in %s, found %s" % (directory, files))
    events = [event(body) for body in records(os.path.join(directory, files[0]))]
    if events[0].get("file_version") != "brain.Event:2":
        fail("the first event is not file_version brain.Event:2: %s" % events[0])
    scalars, histograms, texts = {}, {}, {}
    for e in events[1:]:
        if "wall_time" not in e:
            fail("an event without wall_time")
        for tag, kind, content in e["values"]:
            if kind == "scalar":
                scalars.setdefault(tag, []).append((e["step"], content))
            elif kind == "histogram":
                histograms.setdefault(tag, []).append((e["step"], content))
            else:
                texts[tag] = content
    for tag in ("train/loss", "train/accuracy", "val/loss", "val/accuracy", "test/loss",
                "train/batch_loss", "train/lr", "run/batch_size", "run/seed"):
        if tag not in scalars:
            fail("no scalar %s (have %s)" % (tag, sorted(scalars)))
    steps = [step for step, _ in scalars["train/batch_loss"]]
    if steps != list(range(steps[0], steps[0] + len(steps))):
        fail("train/batch_loss is not logged at every step: %s" % steps[:10])
    if scalars["run/batch_size"][0][1] != 32 or scalars["run/seed"][0][1] != 11:
        fail("batch size and seed: %s %s" % (scalars["run/batch_size"], scalars["run/seed"]))
    if not any(tag.startswith("weights/") for tag in histograms):
        fail("no weight histograms")
    for tag, entries in histograms.items():
        for step, h in entries:
            if len(h["limits"]) != len(h["counts"]) or abs(sum(h["counts"]) - h["num"]) > 1e-9:
                fail("histogram %s at step %d is inconsistent: %s" % (tag, step, h))
    if not any(tag.startswith("weight_norm/") for tag in scalars):
        fail("no per-layer weight norms")
    if "run" not in texts or b"seed" not in texts["run"]:
        fail("no run text summary")
    print("tensorboard: %d events, %d scalar tags, %d histogram tags" %
          (len(events), len(scalars), len(histograms)))


# --- SVG ------------------------------------------------------------------------

def check_svg(path, series):
    svg = "{http://www.w3.org/2000/svg}"
    root = ET.parse(path).getroot()
    if root.tag != svg + "svg":
        fail("%s: the root is %s, not an svg element" % (path, root.tag))
    found = {}
    for group in root.iter(svg + "g"):
        if group.get("class") == "series":
            points = sum(len(p.get("points").split()) for p in group.iter(svg + "polyline"))
            found[group.get("data-name")] = points
    legends = {g.get("data-name") for g in root.iter(svg + "g")
               if g.get("class") == "legend-entry"}
    axes = [g for g in root.iter(svg + "g") if g.get("class") == "axis"]
    for name in series:
        if name not in found or found[name] < 2:
            fail("%s: no series %s with points (have %s)" % (path, name, found))
        if name not in legends:
            fail("%s: %s is not in a legend" % (path, name))
    if len(axes) < 2 or not any(t.get("class") == "tick" for t in root.iter(svg + "text")):
        fail("%s: no axes with ticks" % path)
    print("svg: %s" % ", ".join("%s (%d points)" % item for item in sorted(found.items())))


# --- logs -----------------------------------------------------------------------

def read_log(path):
    if path.endswith(".jsonl"):
        return [json.loads(line) for line in open(path) if line.strip()]
    rows = []
    for row in csv.DictReader(open(path)):
        rows.append({k: (v if k == "record" else float(v)) for k, v in row.items() if v != ""})
    return rows


def check_early_stopping(path, metric, patience):
    """The run stopped at the first evaluation that made `patience`
    evaluations in a row without improving on the best."""
    patience = int(patience)
    minimize = metric.split("_")[-1] in ("loss", "mae", "rmse")
    values = [r[metric] for r in read_log(path) if r.get("record") != "run" and metric in r]
    best, since = None, 0
    for i, value in enumerate(values):
        if best is None or (value < best if minimize else value > best):
            best, since = value, 0
        else:
            since += 1
        if since == patience:
            if i != len(values) - 1:
                fail("training went on after %d evaluations without improvement" % patience)
            print("early stopping: stopped after evaluation %d of %s, best %.4f" %
                  (i + 1, metric, best))
            return
    fail("training did not stop: %d evaluations, %d since the best" % (len(values), since))


def check_same_log(a, b):
    def strip(rows):
        return [{k: v for k, v in r.items() if k != "seconds"} for r in rows]
    ra, rb = strip(read_log(a)), strip(read_log(b))
    if ra != rb:
        for x, y in zip(ra, rb):
            if x != y:
                fail("logs differ: %s vs %s" % (x, y))
        fail("logs differ in length: %d vs %d" % (len(ra), len(rb)))
    print("logs: %d records agree" % len(ra))


def main():
    command, args = sys.argv[1], sys.argv[2:]
    if command == "tensorboard":
        check_tensorboard(*args)
    elif command == "svg":
        check_svg(args[0], args[1:])
    elif command == "early-stopping":
        check_early_stopping(*args)
    elif command == "same-log":
        check_same_log(*args)
    else:
        fail("unknown command " + command)


if __name__ == "__main__":
    main()
