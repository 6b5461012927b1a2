"""What the camera recorded about a RAW shot: :class:`RawMetadata` (make, model, ISO,
shutter, aperture, focal length, lens, time; from LibRaw, make/model through its C API, the
ISO from the file's own TIFF tags when LibRaw has none, as for pidng's DNGs) and its EXIF
block (``Exif\\0\\0`` + TIFF, shutter speeds snapped to the nominal 1/3-stop series), which
:func:`kolors.io.images.write_image` carries into exports.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

from .libraw import _make_model
from .tiff import _tiff_iso

__all__ = ["RawMetadata"]

_SHUTTER_DENOMINATORS = (2, 3, 4, 5, 6, 8, 10, 13, 15, 20, 25, 30, 40, 50, 60, 80, 100, 125, 160, 200, 250,
                         320, 400, 500, 640, 800, 1000, 1250, 1600, 2000, 2500, 3200, 4000, 5000, 6400, 8000,
                         10000, 12800, 16000, 20000, 25000, 32000)


@dataclass(frozen=True)
class RawMetadata:
    """What the camera recorded. ``shutter`` in seconds, ``aperture`` as the f-number,
    ``focal_length`` in mm, ``iso`` as ISO speed; None / '' when the file does not say."""

    make: str = ""
    model: str = ""
    software: str = ""
    iso: float | None = None
    shutter: float | None = None
    aperture: float | None = None
    focal_length: float | None = None
    lens: str = ""
    lens_make: str = ""
    timestamp: datetime | None = None
    artist: str = ""

    def exif(self) -> bytes | None:
        """An EXIF block (``Exif\\0\\0`` + TIFF) with these fields, or None if empty."""
        from PIL import Image, TiffImagePlugin

        def rat(v: float, max_den: int = 10000):
            if v < 1:  # exposure times: 1/n, snapped to the nominal 1/3-stop series within 2 %
                n = round(1 / v)
                near = min(_SHUTTER_DENOMINATORS, key=lambda d: abs(math.log(d * v)))
                if abs(math.log(near * v)) <= 0.02:
                    n = near
                if n > 0 and abs(1 / n - v) <= 0.05 * v:
                    return TiffImagePlugin.IFDRational(1, n)
            f = Fraction(v).limit_denominator(max_den)
            return TiffImagePlugin.IFDRational(f.numerator, f.denominator)

        ex = Image.Exif()
        if self.make:
            ex[271] = self.make
        if self.model:
            ex[272] = self.model
        if self.artist:
            ex[315] = self.artist
        stamp = self.timestamp.strftime("%Y:%m:%d %H:%M:%S") if self.timestamp else None
        if stamp:
            ex[306] = stamp
        sub: dict[int, Any] = {}
        if self.shutter and self.shutter > 0:
            sub[0x829A] = rat(self.shutter)
        if self.aperture and self.aperture > 0:
            sub[0x829D] = rat(self.aperture, 100)
        if self.iso and self.iso > 0:
            sub[0x8827] = int(min(65535, round(self.iso)))
        if stamp:
            sub[0x9003] = stamp
            sub[0x9004] = stamp
        if self.focal_length and self.focal_length > 0:
            sub[0x920A] = rat(self.focal_length, 100)
        if self.lens_make:
            sub[0xA433] = self.lens_make
        if self.lens:
            sub[0xA434] = self.lens
        if sub:
            sub[0x9000] = b"0231"
            ifd = ex.get_ifd(0x8769)
            ifd.update(sub)
        if not len(ex) and not sub:
            return None
        return ex.tobytes()


def _metadata(p: Path, raw) -> RawMetadata:
    """What the open LibRaw file ``raw`` (of ``p``) says about the shot."""
    make, model, software = _make_model(p)
    o, lens = getattr(raw, "other", None), getattr(raw, "lens", None)
    if o is None or lens is None:  # rawpy < 0.27
        return RawMetadata(make=make, model=model, software=software)

    def pos(v) -> float | None:
        v = float(v)
        return v if math.isfinite(v) and v > 0 else None
    ts = o.timestamp
    if ts is not None and (ts.year <= 1970):
        ts = None
    return RawMetadata(make=make, model=model, software=software, iso=pos(o.iso_speed) or _tiff_iso(p),
                       shutter=pos(o.shutter_speed),
                       aperture=pos(o.aperture), focal_length=pos(o.focal_length),
                       lens=(lens.model or "").strip(), lens_make=(lens.make or "").strip(), timestamp=ts,
                       artist=(o.artist or "").strip())
