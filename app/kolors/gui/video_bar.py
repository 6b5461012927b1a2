"""The video bar under the viewer: timeline, time, temporal smoothing and the video export
button; shown for videos only. It says what the person did through signals and shows
what the window tells it; it knows no session or worker."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDoubleSpinBox, QHBoxLayout, QLabel, QPushButton, QSlider, QWidget

__all__ = ["VideoBar", "TIMELINE_STEPS"]

TIMELINE_STEPS = 1000


class VideoBar(QWidget):
    """Signals: ``seekRequested(seconds)`` (the timeline moved), ``smoothChanged(value)``,
    ``exportRequested()``."""

    seekRequested = Signal(float)
    smoothChanged = Signal(float)
    exportRequested = Signal()

    def __init__(self, smooth_max: float, parent: QWidget | None = None):
        super().__init__(parent)
        self.duration: float | None = None       # None: no video open
        lay = QHBoxLayout(self)
        lay.setContentsMargins(6, 0, 6, 0)
        self.timeline = QSlider(Qt.Orientation.Horizontal)
        self.timeline.setRange(0, TIMELINE_STEPS)
        self.timeline.setToolTip("Scrub: the frame under the playhead is graded")
        self.timeline.valueChanged.connect(self._on_timeline)
        self.time_text = QLabel("0.00 s")
        self.smooth = QDoubleSpinBox()
        self.smooth.setRange(0.0, smooth_max)
        self.smooth.setSingleStep(0.5)
        self.smooth.setToolTip(f"temporal_smooth: smooth the learned grade over frames (0–{smooth_max:g}), "
                               "reset at cuts")
        self.smooth.valueChanged.connect(self.smoothChanged.emit)
        self.export_button = QPushButton("Export video…")
        self.export_button.clicked.connect(self.exportRequested.emit)
        lay.addWidget(QLabel("Frame"))
        lay.addWidget(self.timeline, 1)
        lay.addWidget(self.time_text)
        lay.addWidget(QLabel("Smooth"))
        lay.addWidget(self.smooth)
        lay.addWidget(self.export_button)
        self.setVisible(False)

    def _on_timeline(self, pos: int) -> None:
        if self.duration is None:
            return
        t = self.duration * pos / TIMELINE_STEPS
        self.time_text.setText(f"{t:.2f} s")
        self.seekRequested.emit(t)

    def show_video(self, time: float | None, duration: float | None) -> None:
        """A video was opened (``duration`` in seconds; the playhead at the start), or a
        photo (``duration`` None: the bar hides)."""
        self.duration = duration
        self.setVisible(duration is not None)
        if duration is None:
            return
        self.timeline.blockSignals(True)
        self.timeline.setValue(0)
        self.timeline.blockSignals(False)
        self.time_text.setText(f"{time:.2f} s / {duration:.2f} s")

    def show_time(self, t: float) -> None:
        self.time_text.setText(f"{t:.2f} s")

    def set_smooth(self, v: float) -> None:
        """Show ``v`` without emitting ``smoothChanged``."""
        self.smooth.blockSignals(True)
        self.smooth.setValue(v)
        self.smooth.blockSignals(False)
