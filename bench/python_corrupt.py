#!/usr/bin/python3
"""robustlab.corrupt from Python against the C++ library's own per-image speed, and the GIL.

For every corruption: time per image of robustlab.corrupt (Python binding, one thread) on the
reference's 224x224 photo at severity 3, next to the same corruption timed in C++ by
build/bench/bench_corruptions (Google Benchmark, one thread, same image and severity); the ratio
C++ time / Python time is the share of the C++ speed that survives the binding (issue: >= 90 %).
Then the GIL: two Python threads corrupting at once against one thread doing the same work.

Usage: PYTHONPATH=build/python /usr/bin/python3 bench/python_corrupt.py [build dir] [seconds per item]
"""
import json
import os
import statistics
import subprocess
import sys
import threading
import time

import numpy as np
import torch

build = sys.argv[1] if len(sys.argv) > 1 else "build"
budget = float(sys.argv[2]) if len(sys.argv) > 2 else 1.0
sys.path.insert(0, os.path.join(build, "python"))
import robustlab  # noqa: E402

robustlab.set_threads(1)  # robustlab, OpenCV and LibTorch: one thread, as the C++ benchmark
shared = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python", "tests"))
from test_robustlab import read_png  # noqa: E402  (the suite's dependency-free PNG reader)

image = read_png(os.path.join(shared, "reference", "corruptions", "inputs", "chelsea_224.png"))
image = np.ascontiguousarray(image)


def python_ms(name):
    robustlab.corrupt(image, 3, name)  # warm-up (frost's textures, caches)
    times, start, i = [], time.perf_counter(), 0
    while time.perf_counter() - start < budget or len(times) < 5:
        t = time.perf_counter()
        robustlab.corrupt(image, 3, name, key=str(i))
        times.append(time.perf_counter() - t)
        i += 1
    return 1e3 * statistics.median(times)


cpp = {}
out = subprocess.run([os.path.join(build, "bench", "bench_corruptions"), "--benchmark_filter=corrupt/[a-z_]+/3$",
                      "--benchmark_format=json", f"--benchmark_min_time={budget}", "--benchmark_repetitions=3",
                      "--benchmark_report_aggregates_only=true"],
                     check=True, capture_output=True, text=True).stdout
for b in json.loads(out)["benchmarks"]:
    if b.get("aggregate_name") == "median":
        cpp[b["run_name"].split("/")[1]] = b["real_time"]

print(f"{'corruption':<20}{'C++ ms':>9}{'Python ms':>11}{'C++/Python':>12}")
ratios = []
for name in robustlab.get_corruption_names("all"):
    p = python_ms(name)
    c = cpp[name]
    ratios.append(c / p)
    print(f"{name:<20}{c:9.2f}{p:11.2f}{c / p:11.1%}")
print(f"{'geometric mean':<40}{np.exp(np.mean(np.log(ratios))):11.1%}  (min {min(ratios):.1%})")

# The GIL: the same images corrupted on one thread, then by a pool of two.
from concurrent.futures import ThreadPoolExecutor  # noqa: E402

name, keys = "glass_blur", [str(i) for i in range(8)]
elapsed = {}
for workers in (1, 2):
    t = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(lambda k: robustlab.corrupt(image, 3, name, key=k), keys))
    elapsed[workers] = time.perf_counter() - t
    print(f"GIL: {len(keys)} x {name} with {workers} thread(s): {elapsed[workers] * 1e3:.0f} ms")
print(f"GIL: two threads take {elapsed[2] / elapsed[1]:.0%} of one thread's time (50 % = perfect overlap)")
