"""Videos in the desktop app: open, scrub, grade the current frame, export with progress
and cancel."""
from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest

from gui_helpers import cancel_midway, idle, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")]


@pytest.fixture
def clip(tmp_path):
    """3 s of a moving test pattern at 10 fps with a tone on the audio track."""
    out = tmp_path / "clip.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10", "-f", "lavfi",
                    "-i", "sine=frequency=440:sample_rate=22050", "-t", "3", "-c:v", "libx264", "-pix_fmt",
                    "yuv420p", "-g", "10", "-c:a", "aac", "-shortest", str(out)], check=True)
    return out


def test_open_scrub_grade_and_export_a_video(window, clip, tmp_path):
    from kolors.engine.video_session import frame_at
    from kolors.io.video import probe
    window.open_path(clip)
    wait_until(lambda: window.path == clip and window.last_preview is not None, 60, "the video")
    idle(window)
    assert window.video_bar.isVisible() and window.session.size == (160, 120)
    first = window.last_preview.copy()
    # scrub to 2.05 s: the frame there is the one graded
    window.timeline.setValue(int(2.05 / window.session.duration * 1000))
    wait_until(lambda: abs(getattr(window, "video_time", 0) - 2.0) < 0.11, 60, "the seek")
    idle(window)
    want, t = frame_at(clip, window.video_time)
    assert np.array_equal(window.last_preview, want) and not np.array_equal(first, want)
    window.apply_preset("cinema")
    window.smooth.setValue(2.0)
    idle(window)
    assert window.edit.preset == "cinema" and window.edit.temporal_smooth == 2.0
    # export with progress
    prog = []
    window.worker.progress.connect(lambda j, f, txt: prog.append(f))
    dst = tmp_path / "graded.mp4"
    job = window.export_video(dst, codec="libx264", crf=18)
    wait_until(lambda: getattr(window, "last_export", (0,))[0] == job, 180, "the video export")
    assert window.last_export[1] == [dst], window.last_error
    a, b = probe(clip), probe(dst)
    assert b.frames == a.frames and abs(b.duration - a.duration) < 0.15 and len(b.audio) == 1
    assert 0 < prog[1] < 1 and prog[-1] == 1.0
    # cancel midway: no file
    dst2 = tmp_path / "cancelled.mp4"
    seen = cancel_midway(window, window.export_video(dst2))
    assert window.last_export[1] is None and seen is not None and 0 < seen < 1 and not dst2.exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".mp4") == ["clip.mp4", "graded.mp4"]
