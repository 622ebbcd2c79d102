#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (fuzz/corpus/<target>/): small valid inputs of
every format, made with Debian's python3-numpy and python3-torch, plus a few lines of the
model-vs-human raw data from ../shared. Run from the checkout: /usr/bin/python3 fuzz/make_corpus.py
"""
import gzip
import io
import json
import pathlib
import struct
import zlib

import numpy as np
import torch

root = pathlib.Path(__file__).resolve().parent / "corpus"


def put(target, name, data):
    d = root / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data if isinstance(data, bytes) else data.encode())


# IDX: labels (idx1), images (idx3), gzip-compressed too, and a float32 array.
labels = struct.pack(">IIx", 0x801, 6)[:8] + bytes([0, 1, 2, 9, 3, 4])
put("idx", "labels-idx1-ubyte", labels)
images = struct.pack(">IIII", 0x803, 2, 3, 3) + bytes(range(18))
put("idx", "images-idx3-ubyte", images)
put("idx", "images-idx3-ubyte.gz", gzip.compress(images))
put("idx", "float-idx2", struct.pack(">IIII", 0x0D02, 2, 2, 0)[:12] + struct.pack(">4f", 0.5, 1, -2, 3))


# Images: PNG (grey, RGB, RGBA), a tiny BMP; OpenCV decodes by content.
def png(width, height, colour_type, channels):
    raw = b"".join(b"\x00" + bytes((x * 40 + y * 7 + c * 60) % 256 for x in range(width) for c in range(channels))
                   for y in range(height))
    chunk = lambda kind, body: struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    header = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


put("image", "grey.png", png(5, 4, 0, 1))
put("image", "rgb.png", png(6, 6, 2, 3))
put("image", "rgba.png", png(3, 7, 6, 4))
row = bytes([10, 20, 200] * 2) + b"\x00\x00"
put("image", "tiny.bmp", b"BM" + struct.pack("<IHHI", 54 + 16, 0, 0, 54) +
    struct.pack("<IiiHHIIiiII", 40, 2, 2, 1, 24, 0, 16, 2835, 2835, 0, 0) + row * 2)


# .npy: float32, uint8 images (N,H,W,C), float64 Fortran order, big-endian, version 2.
def npy(array, version=1):
    buf = io.BytesIO()
    np.lib.format.write_array(buf, array, version=(version, 0))
    return buf.getvalue()


put("npy", "f32.npy", npy(np.arange(6, dtype=np.float32).reshape(2, 3)))
put("npy", "u8.npy", npy(np.arange(2 * 4 * 4 * 3, dtype=np.uint8).reshape(2, 4, 4, 3)))
put("npy", "f64-fortran.npy", npy(np.asfortranarray(np.arange(6, dtype=np.float64).reshape(2, 3))))
put("npy", "big-endian.npy", npy(np.arange(4, dtype=">i4")))
put("npy", "v2.npy", npy(np.zeros((1, 2), dtype=np.int64), version=2))


# .pt: a tensor, and the {"x", "y"} dataset dictionary.
def pt(value):
    buf = io.BytesIO()
    torch.save(value, buf)
    return buf.getvalue()


put("tensor_file", "array.pt", pt(torch.arange(6, dtype=torch.float32).reshape(2, 3)))
put("tensor_file", "dataset.pt", pt({"x": torch.rand(2, 1, 3, 3), "y": torch.tensor([0, 1])}))
put("tensor_file", "uint8.pt", pt({"x": torch.zeros(1, 3, 2, 2, dtype=torch.uint8), "y": torch.tensor([4])}))

# Model-vs-human raw-data CSVs: the header and a few trials of real files.
shared = pathlib.Path(__file__).resolve().parents[2] / "shared" / "data" / "model-vs-human" / "raw-data"
for name in ["colour/colour_subject-01_session_1.csv", "cue-conflict/cue-conflict_subject-01_session_1.csv"]:
    path = shared / name
    if path.exists():
        put("human_csv", pathlib.Path(name).name, "".join(path.read_text().splitlines(True)[:6]))
put("human_csv", "categories.tsv", "airplane\tn02690373\nbear\tn02132136\n")

# Object-tracking annotations: two videos of frames with RLE masks on an 8 x 8 grid.
frame = lambda masks, ids, bg=0: {"masks": masks, "ids": ids, "num_bg": bg}
videos = [[frame(["1 4 9 4", "20 3"], [0, 1]), frame(["2 4 10 4", "21 3"], [0, 1]), frame(["3 4"], [0])],
          [frame(["60 4"], [7], 1), frame([], [])]]
put("annotations", "videos.json", json.dumps(videos))
put("annotations", "empty.json", "[]")

# Answers of the web experiment.
for i, body in enumerate([{"trial": 0, "choice": 1, "confidence": 3, "rt_ms": 1234.5},
                          {"trial": 7, "choice": 0, "confidence": 1, "rt_ms": 0},
                          {"trial": 2, "choice": 1, "confidence": 2, "rt_ms": 1e8, "extra": [1, 2]}]):
    put("answer", f"answer{i}.json", json.dumps(body))


# Checkpoint headers: TorchScript-format zips with the attributes robustlab writes.
class Holder(torch.nn.Module):
    def __init__(self, attributes):
        super().__init__()
        for key, value in attributes.items():
            setattr(self, key, value)

    def forward(self, x):
        return x


def scripted(attributes):
    buf = io.BytesIO()
    torch.jit.save(torch.jit.script(Holder(attributes)), buf)
    return buf.getvalue()


put("checkpoint", "model-checkpoint", scripted({"robustlab_config": json.dumps({"arch": "small_cnn"}),
                                          "robustlab_metadata": json.dumps({"dataset": "fuzz"})}))
put("checkpoint", "training-checkpoint", scripted({"options": json.dumps({"steps": 3})}))

# Flag values: lists of corruptions, severities and ranges, norms, devices, subsets.
for i, text in enumerate(["gaussian_noise,fog", "benchmark", "all", "1-5", "1,3,5", "2", "L2", "linf", "0",
                          "cuda:1", "cpu", "imagenet-r", "imagenet-d", "3-1", ",", "1-"]):
    put("lists", f"value{i}", text)
