"""Synthetic camera RAWs: an uncompressed CFA DNG written with pidng from a known photo,
for the RAW tests (tests/io/test_raw.py) and the GUI (tests/gui), so they need no camera
files (those in ../shared/data/raw are non-commercial; see ../shared/data/SOURCES.md)."""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np

from kolors.core.ops.white_balance import cct_tint_to_xy

# dcraw's linear sRGB (D65) → XYZ, which LibRaw builds its camera → sRGB matrix with
XYZ_RGB = np.array([[0.412453, 0.357580, 0.180423], [0.212671, 0.715160, 0.072169],
                    [0.019334, 0.119193, 0.950227]])
#: a realistic XYZ → camera matrix (the Canon EOS D30's, as LibRaw has it)
CAMERA_MATRIX = np.array([[0.9900, -0.2771, -0.1324], [-0.7072, 1.4229, 0.3140], [-0.2790, 0.3344, 0.8861]])
SHOT_K = 4500.0  # the light the synthetic DNGs are "shot" under (as-shot neutral)


def _srgb_decode(v: np.ndarray) -> np.ndarray:
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)


def neutral_of(temperature: float, tint: float = 0.0, matrix: np.ndarray = CAMERA_MATRIX) -> np.ndarray:
    """The camera's response to a light (its AsShotNeutral, G = 1)."""
    x, y = cct_tint_to_xy(temperature, tint)
    c = matrix @ np.array([x / y, 1.0, (1 - x - y) / y])
    return c / c[1]


def make_dng(path: Path, rgb: np.ndarray, *, cfa: str = "RGGB", black: int = 512, white: int = 16383,
             matrix: np.ndarray = CAMERA_MATRIX, neutral: np.ndarray | None = None, exposure: float = 1.0,
             make: str = "Kolors", model: str = "Test Camera", shutter: float = 1 / 125, fnumber: float = 5.6,
             focal: float = 50.0, lens: str = "Test 50mm F1.8", orientation: int = 1, iso: int | None = 200) -> Path:
    """Write an uncompressed 16-bit CFA DNG (pidng) of the sRGB-encoded photo ``rgb``.

    The mosaic is what a camera with ColorMatrix1 ``matrix`` (XYZ → camera, D65) records
    of the scene under the light whose camera response is ``neutral``, so that LibRaw
    — camera white balance from AsShotNeutral, then its camera → sRGB matrix built from
    ColorMatrix1 the way it does (rows normalised on dcraw's sRGB → XYZ) — gives back
    ``rgb`` × ``exposure`` in linear light: linearise, go to white-balanced camera RGB,
    undo the as-shot multipliers (scaled so the smallest is 1, as LibRaw scales), sample
    the CFA, map [0, 1] onto [black, white], clip at the white level. ``iso`` goes into
    IFD0 (PhotographicSensitivity), where pidng writes its EXIF tags."""
    from pidng.core import RAW2DNG, DNGTags, Tag
    from pidng.defs import CalibrationIlluminant, DNGVersion, PhotometricInterpretation

    rgb = np.asarray(rgb)
    h, w = rgb.shape[0] & ~1, rgb.shape[1] & ~1
    lin = _srgb_decode(rgb[:h, :w].astype(np.float64) / (255.0 if rgb.dtype == np.uint8 else 65535.0)) * exposure
    cam_rgb = matrix @ XYZ_RGB
    cam_n = cam_rgb / cam_rgb.sum(1, keepdims=True)
    neutral = np.asarray(cam_rgb.sum(1) if neutral is None else neutral, np.float64)
    neutral = neutral / neutral[1]
    mul = 1.0 / neutral
    cam = np.einsum("ij,hwj->hwi", cam_n, lin) * (mul.min() / mul)
    idx = {"R": 0, "G": 1, "B": 2}
    mosaic = np.empty((h, w))
    for k, ch in enumerate(cfa):
        y, x = divmod(k, 2)
        mosaic[y::2, x::2] = cam[y::2, x::2, idx[ch]]
    data = np.clip(np.rint(black + mosaic * (white - black)), 0, white).astype(np.uint16)

    def rat(v: float, den: int = 10000) -> list[int]:
        f = Fraction(float(v)).limit_denominator(den)
        return [f.numerator, f.denominator]

    t = DNGTags()
    for tag, v in ((Tag.ImageWidth, w), (Tag.ImageLength, h), (Tag.TileWidth, w), (Tag.TileLength, h),
                   (Tag.Orientation, orientation), (Tag.PhotometricInterpretation, PhotometricInterpretation.Color_Filter_Array),
                   (Tag.SamplesPerPixel, 1), (Tag.BitsPerSample, 16), (Tag.CFARepeatPatternDim, [2, 2]),
                   (Tag.CFAPattern, [idx[c] for c in cfa]), (Tag.BlackLevel, black), (Tag.WhiteLevel, white),
                   (Tag.ColorMatrix1, [rat(v) for v in np.asarray(matrix).ravel()]),
                   (Tag.CalibrationIlluminant1, CalibrationIlluminant.D65),
                   (Tag.AsShotNeutral, [rat(v) for v in neutral]), (Tag.BaselineExposure, [[0, 100]]),
                   (Tag.Make, make), (Tag.Model, model), (Tag.UniqueCameraModel, f"{make} {model}"),
                   (Tag.ExposureTime, [rat(shutter, 100000)]), (Tag.FNumber, [rat(fnumber, 100)]),
                   (Tag.FocalLength, [rat(focal, 100)]), (Tag.EXIFPhotoLensModel, lens),
                   (Tag.DNGVersion, DNGVersion.V1_4), (Tag.DNGBackwardVersion, DNGVersion.V1_2)):
        t.set(tag, v)
    if iso is not None:
        t.set(Tag.PhotographicSensitivity, iso)
    conv = RAW2DNG()
    conv.options(t, path="", compress=False)
    path = Path(path)
    path.write_bytes(bytes(conv.convert(data)))
    return path
