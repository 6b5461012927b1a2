"""`kolors video` and `kolors live`, run as real processes."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

av = pytest.importorskip("av")

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "resources" / "samples" / "kodim23.png"


def _env() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(REPO / "app"), OMP_NUM_THREADS="1")


def kolors(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "kolors", *map(str, args)], capture_output=True, text=True,
                          env=_env(), timeout=timeout)


def make_clip(path: Path, n: int = 10, fps: int = 12, w: int = 96, h: int = 64) -> Path:
    """H.264 (yuv444p) frames panned over the sample photo (back and forth: any length),
    with a 440 Hz AAC track; the index first (faststart), as files meant for streaming are."""
    import cv2
    img = cv2.resize(cv2.imread(str(SAMPLE))[..., ::-1], (w * 2, h * 2), interpolation=cv2.INTER_AREA)
    with av.open(str(path), "w", options={"movflags": "faststart"}) as c:
        vs = c.add_stream("libx264", rate=fps)
        vs.width, vs.height, vs.pix_fmt = w, h, "yuv444p"
        vs.options = {"crf": "10", "preset": "ultrafast"}
        a = c.add_stream("aac", rate=44100)
        a.layout = "mono"
        for i in range(n):
            x = 2 * (i % (w // 2 + 1))                     # 0, 2, …, w, then again from 0
            vf = av.VideoFrame.from_ndarray(np.ascontiguousarray(img[h // 2: h // 2 + h, x: x + w]),
                                            format="rgb24")
            vf.pts, vf.time_base = i, Fraction(1, fps)
            for p in vs.encode(vf):
                c.mux(p)
        for p in vs.encode(None):
            c.mux(p)
        m = int(44100 * n / fps)
        s = (0.3 * np.sin(2 * np.pi * 440 * np.arange(m) / 44100)).astype(np.float32)[None]
        for k in range(0, m, 1024):
            af = av.AudioFrame.from_ndarray(s[:, k:k + 1024], format="fltp", layout="mono")
            af.sample_rate, af.pts = 44100, k
            for p in a.encode(af):
                c.mux(p)
        for p in a.encode(None):
            c.mux(p)
    return path


def frames_of(path: Path) -> tuple[list[np.ndarray], list[float]]:
    with av.open(str(path)) as c:
        fr = list(c.decode(video=0))
        return [f.to_ndarray(format="rgb24") for f in fr], [float(f.pts * f.time_base) for f in fr]


def audio_of(path: Path) -> list[bytes]:
    with av.open(str(path)) as c:
        return [bytes(p) for p in c.demux(c.streams.audio[0]) if p.size]


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    return make_clip(tmp_path_factory.mktemp("clip") / "clip.mp4")


def test_video_preset_lossless(clip, tmp_path):
    """Same frame count and timestamps, the audio packets unchanged, and every frame equal
    to Enhancer.enhance of the decoded source frame (lossless ffv1: tolerance 0)."""
    from kolors import Enhancer
    out = tmp_path / "graded.mkv"
    r = kolors("video", clip, "-o", out, "--preset", "cinema", "--codec", "ffv1")
    assert r.returncode == 0, r.stderr
    assert "fps" in r.stderr and "1 audio stream copied" in r.stderr
    src, st = frames_of(clip)
    got, gt = frames_of(out)
    assert len(src) == len(got) == 10
    assert np.allclose(st, gt, atol=1e-3)
    assert audio_of(out) == audio_of(clip)
    enh = Enhancer("classic")
    for s, g in zip(src, got):
        assert np.array_equal(g, enh.enhance(np.ascontiguousarray(s[..., ::-1]), preset="cinema")[..., ::-1])


def test_video_task_mp4_default_codec(clip, tmp_path):
    out = tmp_path / "graded.mp4"
    r = kolors("video", clip, "-o", out, "--task", "color_enhance", "--temporal-smooth", "3", "--size", "64x48",
               "--set", "exposure=0.2")
    assert r.returncode == 0, r.stderr
    got, gt = frames_of(out)
    assert len(got) == 10 and got[0].shape == (48, 64, 3)
    assert np.allclose(gt, frames_of(clip)[1], atol=1e-3)
    assert audio_of(out) == audio_of(clip)


@pytest.mark.parametrize("case", ["missing", "corrupt", "suffix", "smooth"])
def test_video_bad_input(clip, tmp_path, case):
    src, out, extra = clip, tmp_path / "out.mp4", []
    if case == "missing":
        src = tmp_path / "nope.mp4"
    elif case == "corrupt":
        src = tmp_path / "broken.mp4"
        src.write_bytes(b"\x00\x00\x00\x18ftypmp42" + os.urandom(4000))
    elif case == "suffix":
        out = tmp_path / "out.jpg"
    else:
        extra = ["--temporal-smooth", "9"]
    r = kolors("video", src, "-o", out, *extra)
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("kolors: error:"), r.stderr
    assert {"missing": "nope.mp4", "corrupt": "broken.mp4", "suffix": "out.jpg", "smooth": "[0, 5]"}[case] in lines[0]
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def _size(folder: Path) -> int:
    """Bytes in ``folder`` (0 while empty; a file removed meanwhile counts 0)."""
    n = 0
    for f in folder.iterdir():
        try:
            n += f.stat().st_size
        except FileNotFoundError:
            pass
    return n


def test_video_ctrl_c_leaves_no_file(tmp_path):
    """Ctrl-C while grading: exit status 130, nothing at the destination (the temporary
    file removed). No sleep decides when: the signal goes once the temporary output is
    there and growing (frames graded and written), and the clip is long enough that the
    job cannot end between that moment and the signal — 1200 frames, about 30 s of grading
    on a 2-core CPU, against the ~20 ms of one poll — whatever the machine's speed; had it
    ended anyway, the test says so instead of sending a signal to nothing."""
    src = make_clip(tmp_path / "long.mp4", n=1200)
    out = tmp_path / "out" / "graded.mp4"
    out.parent.mkdir()
    p = subprocess.Popen([sys.executable, "-m", "kolors", "video", str(src), "-o", str(out), "--task",
                          "color_enhance", "--frame-batch", "1"], env=_env(),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 240
        first = None                             # bytes when the temporary file first appeared
        grew = False
        while time.monotonic() < deadline and p.poll() is None:
            size = _size(out.parent)
            if first is None and any(out.parent.iterdir()):
                first = size
            elif first is not None and size > first:
                grew = True                      # frames are being written: grading is under way
                break
            time.sleep(0.02)                     # polling a condition, not waiting a guessed time
        running = p.poll() is None
        if running:
            p.send_signal(signal.SIGINT)
        _, err = p.communicate(timeout=120)
    finally:
        if p.poll() is None:
            p.kill()
            p.communicate()
    assert running, f"kolors video ended (exit {p.returncode}) before grading could be interrupted: {err}"
    assert first is not None and grew, "the temporary output never appeared or never grew"
    assert p.returncode == 130, err
    assert "frames graded into" not in err
    assert list(out.parent.iterdir()) == []


def test_live_file_source(clip, tmp_path):
    out = tmp_path / "live.mkv"
    r = kolors("live", "--source", clip, "-o", out, "--preset", "cinema", "--codec", "ffv1")
    assert r.returncode == 0, r.stderr
    assert "dropped" in r.stderr
    got, _ = frames_of(out)
    assert 1 <= len(got) <= 10


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_live_http_stream(clip, tmp_path):
    """A clip served by `python -m http.server`, read as http://127.0.0.1:PORT/served.mp4 at its
    own frame rate: stops after --max-frames graded frames (or the end), drops counted."""
    port = _free_port()
    long = make_clip(tmp_path / "served.mp4", n=48)
    srv = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
                           cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(50):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        out = tmp_path / "live.mkv"
        r = kolors("live", "--source", f"http://127.0.0.1:{port}/{long.name}", "-o", out, "--max-frames", "4",
                   "--preset", "cinema", timeout=120)
        assert r.returncode == 0, r.stderr
        graded = int(r.stderr.split("kolors live: ")[1].split(" frames graded")[0])
        assert 1 <= graded <= 4 and "dropped" in r.stderr
        assert len(frames_of(out)[0]) == graded
        bad = kolors("live", "--source", f"http://127.0.0.1:{port}/missing.mp4", "--max-frames", "1", timeout=60)
        assert bad.returncode == 2 and "missing.mp4" in bad.stderr
    finally:
        srv.terminate()
        srv.wait(timeout=10)


def test_live_rtsp_stream(clip, tmp_path):
    server = shutil.which("mediamtx") or shutil.which("rtsp-simple-server")
    if server is None:
        pytest.skip("no RTSP server (mediamtx / rtsp-simple-server) installed on this machine")
    pytest.skip("RTSP server found but the test harness for it is not written")  # pragma: no cover


def test_live_missing_source(tmp_path):
    r = kolors("live", "--source", tmp_path / "nope.mp4")
    assert r.returncode == 2 and "nope.mp4: no such file" in r.stderr
