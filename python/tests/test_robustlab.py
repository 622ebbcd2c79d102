"""Tests of the Python package, run by CTest with Debian's python3 and pytest (PYTHONPATH is the
build's python folder; ROBUSTLAB_CLI the robustlab program; ROBUSTLAB_SHARED_DIR ../shared)."""
import os
import subprocess
import tempfile
import threading
import time

import numpy as np
import pytest
import torch

import robustlab

SHARED = os.environ.get("ROBUSTLAB_SHARED_DIR", os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared"))
CLI = os.environ.get("ROBUSTLAB_CLI", "robustlab")


def photo():
    """A deterministic 64x64 RGB image with structure (gradients and a disc)."""
    yy, xx = np.mgrid[0:64, 0:64]
    img = np.stack([xx * 4, yy * 4, ((xx - 32) ** 2 + (yy - 32) ** 2 < 300) * 200], axis=2)
    return img.astype(np.uint8)


def read_png(path):
    import zlib
    import struct
    with open(path, "rb") as f:
        data = f.read()
    pos, chunks, width, height = 8, b"", 0, 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and color == 2, "an 8-bit RGB PNG"
        elif kind == b"IDAT":
            chunks += body
        pos += 12 + length
    raw = zlib.decompress(chunks)
    stride, out, prev = width * 3, np.zeros((height, width * 3), np.uint8), np.zeros(width * 3, np.int32)
    for r in range(height):
        f, line = raw[r * (stride + 1)], np.frombuffer(raw[r * (stride + 1) + 1:(r + 1) * (stride + 1)], np.uint8).astype(np.int32)
        cur = np.zeros(stride, np.int32)
        for i in range(stride):
            a = cur[i - 3] if i >= 3 else 0
            b, c = prev[i], (prev[i - 3] if i >= 3 else 0)
            pred = {0: 0, 1: a, 2: b, 3: (a + b) // 2}.get(f)
            if f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            cur[i] = (line[i] + pred) & 255
        out[r], prev = cur, cur
    return out.reshape(height, width, 3)


def test_corruption_names_as_imagecorruptions():
    assert len(robustlab.get_corruption_names()) == 15
    assert robustlab.get_corruption_names("validation") == ["speckle_noise", "gaussian_blur", "spatter", "saturate"]
    assert len(robustlab.get_corruption_names("all")) == 19
    assert robustlab.get_corruption_names("all")[0] == "gaussian_noise"
    with pytest.raises(ValueError, match="unknown subset"):
        robustlab.get_corruption_names("colour")


def test_corrupt_equals_the_cli_for_the_same_seed():
    img = photo()
    with tempfile.TemporaryDirectory() as d:
        src = os.path.join(d, "in")
        os.makedirs(src)
        write_png(os.path.join(src, "a.png"), img)
        out = os.path.join(d, "out")
        for name in ("gaussian_noise", "zoom_blur", "contrast"):
            subprocess.run([CLI, "corrupt", "--input", src, "--output", out, "--corruptions", name, "--severities", "3",
                            "--resize", "0", "--crop", "0", "--png", "--seed", "5", "--db", os.path.join(d, "r.db"), "-q"],
                           check=True)
            cli = read_png(os.path.join(out, name, "3", "a.png"))
            py = robustlab.corrupt(img, severity=3, corruption_name=name, seed=5, key="a.png")
            assert py.dtype == np.uint8 and py.shape == (64, 64, 3)
            assert np.array_equal(cli, py), name


def write_png(path, img):
    import zlib
    import struct
    h, w, _ = img.shape
    raw = b"".join(b"\x00" + img[r].tobytes() for r in range(h))

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def test_deterministic_corruptions_equal_the_reference_images():
    # imagecorruptions' own outputs (../shared/reference/corruptions) for the 40x48 photo.
    ref = os.path.join(SHARED, "reference", "corruptions")
    src = read_png(os.path.join(ref, "inputs", "chelsea_40x48.png"))
    for name in ("defocus_blur", "zoom_blur", "brightness", "contrast", "pixelate", "jpeg_compression",
                 "gaussian_blur", "saturate"):
        for severity in range(1, 6):
            want = read_png(os.path.join(ref, "outputs", "chelsea_40x48", name, f"{severity}.png"))
            got = robustlab.corrupt(src, severity=severity, corruption_name=name)
            assert np.array_equal(got, want), (name, severity)


def test_corrupt_rejects_bad_images():
    with pytest.raises(ValueError, match="uint8"):
        robustlab.corrupt(photo().astype(np.float32), corruption_name="fog")
    with pytest.raises(ValueError, match="HxW or HxWx3"):
        robustlab.corrupt(np.zeros((64, 64, 4), np.uint8), corruption_name="fog")
    with pytest.raises(ValueError, match="32"):
        robustlab.corrupt(np.zeros((16, 16, 3), np.uint8), corruption_name="fog")
    with pytest.raises(ValueError, match="unknown corruption"):
        robustlab.corrupt(photo(), corruption_name="rain")
    with pytest.raises(ValueError, match="severity"):
        robustlab.corrupt(photo(), severity=7, corruption_name="fog")
    gray = robustlab.corrupt(photo()[:, :, 0], corruption_name="contrast")
    assert gray.shape == (64, 64, 3)


def test_the_gil_is_released():
    # While one thread is inside a long corrupt call, another Python thread keeps running: it
    # stamps the clock, and stamps fall strictly between the call's entry and exit. With the GIL
    # held through the call no Python code could run in that window, in any attempt; a loaded
    # machine may keep the stamping thread off the CPU for one call, hence a few attempts. (The
    # speed of two threads against one is a benchmark: bench/python_corrupt.py.)
    img = np.ascontiguousarray(np.tile(photo(), (12, 12, 1)))  # 768x768
    robustlab.set_threads(1)
    inside = []
    for _ in range(5):
        window, started = [], threading.Event()

        def work():
            started.set()
            window.append(time.perf_counter())
            robustlab.corrupt(img, severity=5, corruption_name="glass_blur")
            window.append(time.perf_counter())

        worker = threading.Thread(target=work)
        stamps = []
        worker.start()
        started.wait()
        while worker.is_alive():
            stamps.append(time.perf_counter())
        worker.join()
        inside = [t for t in stamps if window[0] < t < window[1]]
        if len(inside) > 10:
            break
    robustlab.set_threads(os.cpu_count())
    assert len(inside) > 10, (len(stamps), window)


def reference_model_and_data():
    ref = os.path.join(SHARED, "reference", "fmn")
    model = torch.jit.load(os.path.join(ref, "fmnist_cnn.pt"))
    data = torch.load(os.path.join(ref, "fmnist_test200.pt"))
    return model, data["x"][:8].contiguous(), data["y"][:8].contiguous()


def test_fmn_equals_the_cpp_attack_on_the_reference_model():
    model, x, y = reference_model_and_data()
    torch.set_num_threads(1)
    adv, success, norms = robustlab.attacks.fmn(model, x, y, norm="2", steps=50, official=True)
    assert adv.shape == x.shape and success.dtype == torch.bool and norms.dtype == torch.float64
    with tempfile.TemporaryDirectory() as d:
        torch.save({"x": x, "y": y}, os.path.join(d, "d.pt"))
        db = os.path.join(d, "r.db")
        subprocess.run([CLI, "attack", "--model", os.path.join(SHARED, "reference", "fmn", "fmnist_cnn.pt"),
                        "--dataset", os.path.join(d, "d.pt"), "--norm", "2", "--steps", "50", "--official",
                        "--threads", "1", "--db", db, "-q"], check=True)
        stored = robustlab.results.results(db, metric="min_norm", dataframe=False)
    cli = {row["condition"]["sample"]: row["value"] for row in stored}
    assert len(cli) == 8
    for i, value in enumerate(norms.tolist()):
        if not np.isfinite(value):
            assert isinstance(cli[i], float) and not np.isfinite(cli[i]), i
        else:
            assert cli[i] == pytest.approx(value, rel=1e-6), i


def test_a_python_model_is_scripted_and_attacked():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(12, 3))
    x, y = torch.rand(4, 1, 3, 4), torch.zeros(4, dtype=torch.long)
    _, success, norms = robustlab.attacks.fmn(net, x, y, norm="inf", steps=30)
    assert success.shape == (4,) and torch.isfinite(norms[success]).all()

    class NotScriptable(torch.nn.Module):
        def forward(self, x):
            return x.numpy()

    with pytest.raises(ValueError, match="cannot be scripted"):
        robustlab.attacks.fmn(NotScriptable(), x, y)
    with pytest.raises(ValueError, match="must lie in"):
        robustlab.attacks.fmn(net, x * 3, y)
    with pytest.raises(ValueError):
        robustlab.attacks.fmn(net, x, y, norm="3")


def test_ctrl_c_interrupts_a_long_attack():
    # A child Python runs an attack of a million steps; SIGINT makes it raise KeyboardInterrupt.
    # Signals are sent every half second until it answers: one that lands before the C++ call
    # (while the model is scripted) stays pending in Python until the call returns.
    import signal
    import sys
    code = """
import signal, torch, robustlab
net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(12, 3))
x, y = torch.rand(64, 1, 3, 4), torch.zeros(64, dtype=torch.long)
print("started", flush=True)
try:
    robustlab.attacks.fmn(net, x, y, norm="2", steps=1000000)
except KeyboardInterrupt:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    print("interrupted", flush=True)
"""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env)
    assert child.stdout.readline().strip() == "started"
    deadline = time.monotonic() + 60
    while child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.5)
        child.send_signal(signal.SIGINT)
    out, _ = child.communicate(timeout=10)
    assert "interrupted" in out and child.returncode == 0, (out, child.returncode)


def test_adaptation_on_a_scripted_model():
    model, x, _ = reference_model_and_data()
    adapted = robustlab.adaptation.bn_adapt(model, x)
    model.eval()
    with torch.no_grad():
        plain = model(x)
    assert adapted.shape == plain.shape and not torch.allclose(adapted, plain)
    before = [p.detach().clone() for p in model.parameters()]
    learner = robustlab.adaptation.SelfLearner(model, method="rpl", lr=1e-2)
    learner.step(x)
    learner.step(x)
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters())), "adapted in place"
    learner.reset()
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters())), "reset restores the weights"
    with pytest.raises(ValueError):
        robustlab.adaptation.SelfLearner(model, method="tent-ish")


def test_metrics_on_numpy_arrays():
    rng = np.random.RandomState(0)
    z = rng.rand(2000, 4)
    h = np.stack([-2 * z[:, 2], z[:, 0] * 3, z[:, 3], 0.5 * z[:, 1]], axis=1)
    assert robustlab.metrics.linear_r2(z, h) == pytest.approx(1.0, abs=1e-9)
    assert robustlab.metrics.mcc(z, h) == pytest.approx(1.0, abs=1e-9)
    assert robustlab.metrics.mcc(z, h, method="spearman") == pytest.approx(1.0, abs=1e-9)
    factors = rng.randint(0, 4, size=(1500, 2))
    codes = np.concatenate([factors + 0.05 * rng.randn(1500, 2), rng.randn(1500, 1)], axis=1).astype(np.float32)
    assert robustlab.metrics.mig(factors[:1000], codes[:1000]) > 0.8
    d, c, itr, ite = robustlab.metrics.dci(factors[:1000], codes[:1000], factors[1000:], codes[1000:])
    assert d > 0.7 and ite > 0.95
    assert robustlab.metrics.sap(factors[:1000], codes[:1000], factors[1000:], codes[1000:]) > 0.5
    ec = robustlab.metrics.error_consistency([True, True, False, False], [True, True, False, False])
    assert ec["kappa"] == 1.0 and ec["observed"] == 1.0
    with pytest.raises(ValueError, match="rows"):
        robustlab.metrics.linear_r2(z, h[:10])
    with pytest.raises(ValueError, match="NaN"):
        robustlab.metrics.mcc(z, np.where(h > 0.5, np.nan, h))
    with pytest.raises(ValueError, match="method"):
        robustlab.metrics.mcc(z, h, method="kendall")


def test_results_database():
    with tempfile.TemporaryDirectory() as d:
        db = os.path.join(d, "r.db")
        subprocess.run([CLI, "info", "--db", db], check=True, capture_output=True)
        np.save(os.path.join(d, "z.npy"), np.random.RandomState(1).rand(50, 3))
        subprocess.run([CLI, "identify", "--latents", os.path.join(d, "z.npy"), "--codes", os.path.join(d, "z.npy"),
                        "--db", db, "-q"], check=True)
        runs = robustlab.results.runs(db, dataframe=False)
        assert isinstance(runs, list) and runs[0]["command"] == "identify" and "environment" in runs[0]
        rows = robustlab.results.results(db, metric="r2", dataframe=False)
        assert rows[0]["value"] == pytest.approx(1.0)
        frame = robustlab.results.results(db)
        try:
            import pandas
            assert isinstance(frame, pandas.DataFrame) and len(frame) == 3
        except ImportError:
            assert isinstance(frame, list)
    with pytest.raises(FileNotFoundError):
        robustlab.results.runs("/nonexistent/robustlab.db")
