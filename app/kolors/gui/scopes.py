"""Scopes of the current preview in pyqtgraph: RGB + luma histogram, luma waveform and
vectorscope. The arrays come from :func:`kolors.core.scopes.compute_scopes` (worker
thread); this widget only draws them."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QVBoxLayout, QWidget

__all__ = ["ScopesPanel"]

pg.setConfigOptions(antialias=False, imageAxisOrder="row-major")


class ScopesPanel(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.view = pg.GraphicsLayoutWidget()
        self.view.setBackground((30, 30, 32))
        lay.addWidget(self.view)
        self.hist = self.view.addPlot(row=0, col=0, colspan=2, title="Histogram")
        self.hist.hideAxis("left")
        self.hist.hideAxis("bottom")
        self.hist.setMouseEnabled(False, False)
        self.hist.setMenuEnabled(False)
        self.curves = []
        for col in ((255, 70, 70), (70, 220, 70), (80, 120, 255), (220, 220, 220)):
            self.curves.append(self.hist.plot(pen=pg.mkPen(col, width=1), fillLevel=0,
                                              brush=pg.mkBrush(*col, 40)))
        self.wave = self.view.addPlot(row=1, col=0, title="Waveform")
        self.vec = self.view.addPlot(row=1, col=1, title="Vectorscope")
        self.images = []
        for plot in (self.wave, self.vec):
            plot.hideAxis("left")
            plot.hideAxis("bottom")
            plot.setMouseEnabled(False, False)
            plot.setMenuEnabled(False)
            item = pg.ImageItem()
            plot.addItem(item)
            self.images.append(item)
        self.vec.setAspectLocked(True)
        self.last = None

    def set_scopes(self, scopes) -> None:
        """``scopes``: :class:`kolors.core.scopes.Scopes`."""
        self.last = scopes
        x = np.arange(257)
        h = scopes.histogram.astype(np.float64)
        top = max(1.0, float(np.percentile(h[:, 1:-1], 99.5)) * 1.1)
        for c, curve in zip(range(4), self.curves):
            curve.setData(x, np.minimum(h[c], top), stepMode="center")
        self.hist.setYRange(0, top, padding=0)
        for item, arr in zip(self.images, (scopes.waveform, scopes.vectorscope)):
            # display scaling: log of counts, brightest 1 % saturating
            img = np.log1p(arr.astype(np.float32))
            hi = max(1e-6, float(np.percentile(img[img > 0], 99)) if (img > 0).any() else 1.0)
            # pyqtgraph's y axis points up: row 0 (black / Cr = -0.5) is drawn at the bottom
            item.setImage(np.clip(img / hi, 0, 1), levels=(0, 1), lut=_GREEN)


_GREEN = np.stack([np.linspace(0, 170, 256), np.linspace(0, 255, 256), np.linspace(0, 170, 256)], 1).astype(np.uint8)
