"""Video: VideoPipeline, transcode (frames, timestamps, audio), smoothing, scene cuts, live."""
from __future__ import annotations

import time
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

av = pytest.importorskip("av")

from kolors import Enhancer, VideoPipeline  # noqa: E402
from kolors.engine.video import Cancelled, run_live, transcode  # noqa: E402
from kolors.errors import InputError  # noqa: E402
from kolors.io.video import VideoReader, probe  # noqa: E402

SAMPLE = Path(__file__).resolve().parents[2] / "resources" / "samples" / "kodim23.png"


def scene(w: int = 96, h: int = 64, shift: int = 0) -> np.ndarray:
    """A small RGB uint8 frame cut from the sample photo (``shift`` pans it)."""
    import cv2
    img = cv2.imread(str(SAMPLE))[..., ::-1]
    img = cv2.resize(img, (w * 2, h * 2), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(img[h // 2: h // 2 + h, shift: shift + w])


def make_video(path: Path, frames: list[np.ndarray], fps: int = 12, audio: bool = True) -> Path:
    """Write RGB frames as H.264 (yuv444p, near-lossless) with a 440 Hz AAC track."""
    h, w = frames[0].shape[:2]
    with av.open(str(path), "w") as c:
        vs = c.add_stream("libx264", rate=fps)
        vs.width, vs.height, vs.pix_fmt = w, h, "yuv444p"
        vs.options = {"crf": "10", "preset": "ultrafast"}
        if audio:
            a = c.add_stream("aac", rate=44100)
            a.layout = "mono"
        for i, f in enumerate(frames):
            vf = av.VideoFrame.from_ndarray(f, format="rgb24")
            vf.pts = i
            vf.time_base = Fraction(1, fps)
            for p in vs.encode(vf):
                c.mux(p)
        for p in vs.encode(None):
            c.mux(p)
        if audio:
            n = int(44100 * len(frames) / fps)
            t = np.arange(n) / 44100
            samples = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[None]
            for s in range(0, n, 1024):
                af = av.AudioFrame.from_ndarray(samples[:, s:s + 1024], format="fltp", layout="mono")
                af.sample_rate = 44100
                af.pts = s
                for p in a.encode(af):
                    c.mux(p)
            for p in a.encode(None):
                c.mux(p)
    return path


def decoded(path: Path) -> tuple[list[np.ndarray], list[float]]:
    with VideoReader(path) as r:
        fr = list(r)
    return [f.rgb for f in fr], [f.time for f in fr]


def audio_packets(path: Path) -> list[bytes]:
    with av.open(str(path)) as c:
        return [bytes(p) for p in c.demux(c.streams.audio[0]) if p.size]


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    frames = [scene(shift=2 * i) for i in range(10)]
    return make_video(tmp_path_factory.mktemp("v") / "clip.mp4", frames)


def test_transcode_keeps_frames_timestamps_audio_and_matches_enhance(clip, tmp_path):
    """Preset grade, lossless output (ffv1, RGB): every frame equals Enhancer.enhance of the
    decoded input frame exactly (tolerance 0 codes); frame count, timestamps (±1 ms) and the
    audio packets are those of the source."""
    enh = Enhancer("classic")
    pipe = enh.create_video_pipeline(output_res=None).set_params(preset="cinema")
    dst = tmp_path / "out.mkv"
    st = transcode(clip, dst, pipe, codec="ffv1")
    src_frames, src_t = decoded(clip)
    out_frames, out_t = decoded(dst)
    assert st.frames == len(src_frames) == len(out_frames) == 10
    assert np.allclose(src_t, out_t, atol=1e-3)
    assert audio_packets(dst) == audio_packets(clip)
    assert probe(dst).audio and probe(dst).audio[0]["codec"] == "aac"
    for s, o in zip(src_frames, out_frames):
        want = enh.enhance(np.ascontiguousarray(s[..., ::-1]), preset="cinema")[..., ::-1]
        assert np.array_equal(o, want)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary left


def test_learned_task_frames_match_enhance_without_smoothing(clip, tmp_path):
    """Learned task, temporal_smooth=0, the torch apply (use_jit=False), one frame per
    forward pass: frames equal Enhancer.enhance per frame within 1 code."""
    enh = Enhancer("general")
    pipe = enh.create_video_pipeline(output_res=None).set_params(
        task="color_enhance", temporal_smooth=0, use_jit=False, frame_batch=1)
    src_frames, _ = decoded(clip)
    src_frames = src_frames[:2]
    outs = list(pipe(src_frames))
    for s, o in zip(src_frames, outs):
        want = enh.enhance(np.ascontiguousarray(s[..., ::-1]), task="color_enhance")[..., ::-1]
        assert np.abs(o.astype(int) - want).max() <= 1


def test_batched_and_fused_apply_stay_close_to_enhance():
    """frame_batch=2 (one forward pass) and the fused numba kernel (33³ colour table):
    mean error under 0.5 code, 99% of values within 2 codes of Enhancer.enhance."""
    from kolors.core.pipeline import Plan
    from kolors.engine.render import thumb_linear
    from kolors.engine.video_kernel import fusable, fused_apply
    enh = Enhancer("general")
    frames = [scene(128, 96, shift=8 * i) for i in range(2)]
    pipe = enh.create_video_pipeline(output_res=None).set_params(task="color_correction", frame_batch=2)
    outs = pipe.process_batch(frames)
    for f, o in zip(frames, outs):
        want = enh.enhance(np.ascontiguousarray(f[..., ::-1]), task="color_correction")[..., ::-1]
        d = np.abs(o.astype(int) - want)
        assert d.mean() < 0.5 and np.quantile(d, 0.99) <= 2
    # the kernel itself, at the photo engine's 65³ table: within a few codes, nearly all exact
    s = enh.resolve_settings(thumb_linear(frames[0]), "color_correction")
    plan = Plan(s)
    assert fusable(plan)
    got = fused_apply(frames[0], plan)
    want = enh.render(frames[0], s)
    d = np.abs(got.astype(int) - want)
    assert d.max() <= 4 and (d > 1).mean() < 1e-3


def test_batched_frames_carry_the_calibrated_strength():
    """Frames predicted in one batched forward pass get the same settings as one photo
    through ``predict``, the task's calibrated ``learned_strength`` included."""
    from kolors.engine.render import thumb_linear
    enh = Enhancer("lite")
    enh.model.residual_strength = {"color_correction": 0.3}
    frames = [scene(128, 96, shift=8 * i) for i in range(3)]
    pipe = enh.create_video_pipeline(output_res=None).set_params(task="color_correction", frame_batch=2)
    thumbs = [thumb_linear(f) for f in frames]
    for t, b in zip(thumbs, pipe._predict_batch(enh.model, thumbs)):
        one = enh.model.predict(t, "color_correction")
        assert b["learned_strength"] == one["learned_strength"] == 0.3
        assert np.allclose(b["learned_lut"], one["learned_lut"], atol=1e-5)
        assert np.allclose(b["learned_grid"], one["learned_grid"], atol=1e-5)


def _noisy_scene(i: int, base: np.ndarray, noise: np.ndarray) -> np.ndarray:
    """The static scene with this frame's noise: the same noise values, shuffled anew in
    each flat region (so the input's mean colour is the same in every frame and a change
    of the output's mean colour comes from the grade)."""
    r = np.random.default_rng(1000 + i)
    n = noise.copy()
    w = base.shape[1]
    for sl in (slice(0, w // 2), slice(w // 2, w)):
        blk = n[:, sl].reshape(-1, 3)
        n[:, sl] = blk[r.permutation(len(blk))].reshape(n.shape[0], -1, 3)
    return np.clip(np.round(base + n), 0, 255).astype(np.uint8)


def test_temporal_smoothing_cuts_flicker_5x_and_follows_a_cut():
    """A static two-colour scene with per-frame noise (σ 20 codes) for 20 frames, then a
    hard cut to another scene for 6. The frame-to-frame change of the output's mean colour
    (frames 6-19) drops ≥ 5× from temporal_smooth=0 to 5; the cut is detected at frame 20
    (and no other), and from the cut on the smoothed output is the unsmoothed one within
    10% of the jump (the average is reset)."""
    h, w = 96, 128
    base = np.zeros((h, w, 3)); base[:] = (150, 120, 90); base[:, w // 2:] = (70, 90, 110)
    noise = np.random.default_rng(0).normal(0, 20, (h, w, 3))
    frames = [_noisy_scene(i, base, noise) for i in range(20)]
    frames += [scene(w, h)] * 6
    enh = Enhancer("general")
    means, cuts = {}, {}
    for ts in (0, 5):
        pipe = enh.create_video_pipeline(output_res=None).set_params(task="color_correction", temporal_smooth=ts)
        outs = list(pipe(frames))
        means[ts] = np.array([o.reshape(-1, 3).astype(float).mean(0) for o in outs])
        cuts[ts] = pipe.cuts
    flick = {ts: np.abs(np.diff(m[6:20], axis=0)).mean() for ts, m in means.items()}
    assert flick[0] >= 5 * flick[5], flick
    assert cuts[0] == cuts[5] == [0, 20]
    jump = np.abs(means[0][20] - means[0][19]).max()
    for k in (20, 21):
        assert np.abs(means[5][k] - means[0][k]).max() < 0.1 * jump, (k, means[5][k], means[0][k], jump)


def test_cancel_and_errors_leave_no_file(clip, tmp_path):
    pipe = Enhancer("classic").create_video_pipeline(output_res=None).set_params(preset="cinema", frame_batch=1)
    dst = tmp_path / "out.mp4"
    calls = []

    def cancel() -> bool:
        calls.append(1)
        return len(calls) > 3

    with pytest.raises(Cancelled):
        transcode(clip, dst, pipe, should_cancel=cancel)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(InputError, match="nope.mp4: no such file"):
        transcode(tmp_path / "nope.mp4", dst, pipe)
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(clip.read_bytes()[:3000])
    with pytest.raises(InputError, match="bad.mp4"):
        transcode(bad, dst, pipe)
    assert not dst.exists()


def test_pipeline_api():
    enh = Enhancer("classic")
    pipe = enh.create_video_pipeline(input_res=(96, 64), output_res=(48, 32), buffer_size=4)
    assert isinstance(pipe, VideoPipeline)
    pipe.set_params(frame_batch=8, use_jit=True, cache_size=1024)
    pipe.set_params(preset="cinema", chroma_boost=1.2)
    bgr = np.ascontiguousarray(scene()[..., ::-1])
    out = pipe.process(bgr)
    assert out.shape == (32, 48, 3) and out.dtype == np.uint8
    outs = list(pipe([bgr] * 3, bgr=True))
    assert len(outs) == 3 and np.array_equal(outs[0], out)
    for bad in ({"frame_batch": 0}, {"cache_size": -1}, {"temporal_smooth": 6}, {"task": "nope"},
                {"chroma_boost": 9}):
        with pytest.raises(ValueError):
            pipe.set_params(**bad)
    with pytest.raises(ValueError):
        pipe.process(np.zeros((4, 4), np.uint8))


def test_model_results_are_cached(clip):
    enh = Enhancer("general")
    pipe = enh.create_video_pipeline(output_res=None).set_params(task="color_enhance", cache_size=8)
    f = scene()
    pipe.process_batch([f, f, f])
    assert pipe.cache_hits == 2


def test_live_drops_frames_instead_of_blocking(clip):
    """A grader slower than the source: the reader goes on, frames are dropped and
    counted, every frame read is either graded or dropped, and it stops at the end."""
    pipe = Enhancer("classic").create_video_pipeline(output_res=None).set_params(preset="cinema")
    slow = pipe.process_rgb

    def process(rgb):
        time.sleep(0.15)
        return slow(rgb)

    pipe.process_rgb = process  # type: ignore[method-assign]
    got = []
    st = run_live(str(clip), pipe, on_frame=lambda rgb, f: got.append(f.index), pace=True)
    assert st.read == 10 and st.dropped > 0 and st.graded + st.dropped == st.read
    assert got == sorted(got) and len(got) == st.graded


def test_video_honours_the_framing(clip, tmp_path):
    """A crop and a quarter turn in the parameters: every graded frame is the framed frame
    (even sizes for the 4:2:0 codecs), equal to Enhancer.enhance of the decoded frame with the
    same parameters; tasks see the framed frame."""
    enh = Enhancer("classic")
    params = {"crop": [0.1, 0.0, 0.9, 0.75], "rotate": "90", "contrast": 0.3}
    pipe = enh.create_video_pipeline(output_res=None).set_params(**params)
    assert pipe.output_size(96, 64) == (50, 72)          # turned: 64×96, crop 0.8×0.75 = 51×72 → even
    dst = tmp_path / "framed.mkv"
    st = transcode(clip, dst, pipe, codec="ffv1")
    info = probe(dst)
    assert (info.width, info.height) == (50, 72)
    src_frames, _ = decoded(clip)
    out_frames, _ = decoded(dst)
    assert st.frames == len(out_frames) == len(src_frames)
    for s, o in zip(src_frames, out_frames):
        want = enh.enhance(np.ascontiguousarray(s[..., ::-1]), **params)[..., ::-1]
        assert o.shape == (info.height, info.width, 3)
        assert np.array_equal(o, want[:o.shape[0], :o.shape[1]])
