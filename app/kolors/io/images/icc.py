"""ICC profiles: LittleCMS's sRGB profile that every written image embeds, a parser for
the parts of a profile conversion needs, and the conversion of decoded pixels to sRGB
(relative colorimetric).

* 8-bit images — LittleCMS through ``PIL.ImageCms`` (any profile, incl. CMYK JPEGs):
  :func:`_lcms_8bit`, a Pillow image in, ``H×W×3`` uint8 sRGB-encoded out.
* 16-bit and float images with a matrix/TRC profile (Adobe RGB, Display P3, ProPhoto,
  grey TRC profiles …: the profiles photos carry) — the profile's own curves and
  colorant matrix evaluated in float64 (the same maths LittleCMS does; the sRGB side
  uses LittleCMS's built-in sRGB colorants and :func:`kolors.core.colorimetry.linear_to_srgb`),
  so 16-bit precision is kept and float data keeps values outside [0, 1] (curves are
  extended by odd symmetry / their formula): :func:`_convert_hi`, ``H×W×C`` (C = 1 or 3)
  uint16 codes or float32 encoded values in, ``H×W×3`` of the same dtype out.
* 16-bit/float with a LUT-based profile (``A2B0``) — LittleCMS evaluated on an 86³ grid
  of exact 8-bit inputs (8-bit outputs), applied with :func:`kolors.core.lut.apply_lut`
  (tetrahedral): roughly 8-bit precision (up to ~2 levels off in gamut, more at the
  gamut boundary), with a warning. Rare in photos.

Profiles equivalent to sRGB (colorants and curves within 1e-3 of LittleCMS's sRGB,
:func:`_is_srgb`) are not converted, so files Kolors writes read back bit-exactly.
Alpha channels never pass through here: conversion is of the colour channels only.
"""
from __future__ import annotations

import io
import struct
import warnings
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageCms

_RELATIVE = getattr(getattr(ImageCms, "Intent", None), "RELATIVE_COLORIMETRIC", 1)
_TAG_ICC = 34675  # the TIFF tag holding a profile


@lru_cache(maxsize=1)
def srgb_icc() -> bytes:
    """LittleCMS's built-in sRGB profile (v4, 588 bytes); embedded in every written
    image. Its creation date is fixed (2024-01-01) and its profile ID left uncomputed
    (zero, which ICC allows), so every file written by any process carries the same bytes:
    the same grade gives byte-identical files from the app, the CLI and the bundle."""
    b = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    b[24:36] = struct.pack(">6H", 2024, 1, 1, 0, 0, 0)
    b[84:100] = bytes(16)
    return bytes(b)


def _s15f16(v: float) -> bytes:
    return struct.pack(">i", int(round(v * 65536)))


def _mluc(text: str) -> bytes:
    u = text.encode("utf-16-be")
    return b"mluc" + bytes(4) + struct.pack(">II", 1, 12) + b"enUS" + struct.pack(">II", len(u), 28) + u


def _tag_xyz(xyz) -> bytes:
    return b"XYZ " + bytes(4) + b"".join(_s15f16(v) for v in xyz)


@lru_cache(maxsize=None)
def output_icc(space: str) -> bytes:
    """The ICC profile embedded in an export in ``space`` (one of
    :data:`kolors.core.colorimetry.OUTPUT_SPACES`): LittleCMS's own sRGB (:func:`srgb_icc`)
    for ``srgb``, else a v4 matrix/TRC display profile built from the space's primaries, white
    and parametric curve (D50 PCS; the white adapted by Bradford, recorded in ``chad``),
    with a fixed date and no profile ID, so the same export gives the same bytes. LittleCMS
    reads them back (the tests convert through them)."""
    from ...core import colorimetry as C
    if C.check_space(space) == "srgb":
        return srgb_icc()
    label, prim, white, _ = C.OUTPUT_SPACES[space]
    return matrix_icc(f"Kolors {label}", prim, white, C.transfer_params(space))


def matrix_icc(description: str, primaries, white, transfer: tuple[int, tuple[float, ...]]) -> bytes:
    """A v4 matrix/TRC RGB display profile: ``primaries`` ((x, y) of r, g, b), ``white`` (x, y),
    ``transfer`` an ICC parametric curve (function type, parameters) for all three channels."""
    from ...core import colorimetry as C
    d50 = np.array([0.9642, 1.0, 0.8249])            # the ICC PCS illuminant, exactly as the spec writes it
    chad = C.bradford_cat(C.xy_to_xyz(*white), d50)
    cols = chad @ C.primaries_to_xyz(primaries, white)   # colorants in the D50 PCS
    kind, params = transfer
    para = b"para" + bytes(4) + struct.pack(">HH", kind, 0) + b"".join(_s15f16(v) for v in params)
    tags = [(b"desc", _mluc(description)), (b"cprt", _mluc("No copyright, use freely")),
            (b"wtpt", _tag_xyz(d50)), (b"chad", b"sf32" + bytes(4) + b"".join(_s15f16(v) for v in chad.ravel())),
            (b"rXYZ", _tag_xyz(cols[:, 0])), (b"gXYZ", _tag_xyz(cols[:, 1])), (b"bXYZ", _tag_xyz(cols[:, 2])),
            (b"rTRC", para), (b"gTRC", para), (b"bTRC", para)]
    table = struct.pack(">I", len(tags))
    body = b""
    offsets: dict[bytes, tuple[int, int]] = {}
    start = 128 + 4 + 12 * len(tags)
    for sig, data in tags:
        if data in [d for _, d in tags[: [t for t, _ in tags].index(sig)]]:   # shared data (the TRCs)
            first = next(t for t, d in tags if d == data)
            offsets[sig] = offsets[first]
            continue
        offsets[sig] = (start + len(body), len(data))
        body += data + bytes(-len(data) % 4)
    for sig, _ in tags:
        table += sig + struct.pack(">II", *offsets[sig])
    size = start + len(body)
    header = (struct.pack(">I", size) + bytes(4) + bytes([4, 0x30, 0, 0]) + b"mntrRGB XYZ "
              + struct.pack(">6H", 2024, 1, 1, 0, 0, 0) + b"acsp" + bytes(4) + bytes(4) + bytes(8) + bytes(8)
              + struct.pack(">I", 0) + b"".join(_s15f16(v) for v in d50) + b"KLRS" + bytes(16) + bytes(28))
    assert len(header) == 128
    return header + table + body


class _Curve:
    """An ICC tone curve (``curv`` or ``para``) evaluated in float64."""

    def __init__(self, kind: str, params: tuple = (), table: np.ndarray | None = None):
        self.kind, self.params, self.table = kind, params, table

    def __call__(self, x: np.ndarray) -> np.ndarray:
        if self.kind == "identity":
            return x
        if self.kind == "table":
            t = self.table
            return np.interp(np.clip(x, 0.0, 1.0), np.linspace(0.0, 1.0, t.size), t)
        # parametric (incl. plain gamma): odd extension below 0, formula above 1
        a_x = np.abs(x)
        g, *p = self.params
        with np.errstate(invalid="ignore", divide="ignore"):
            if self.kind == "gamma" or len(p) == 0:
                y = a_x ** g
            elif len(p) == 2:  # type 1
                a, b = p
                y = np.where(a_x >= -b / a, np.maximum(a * a_x + b, 0) ** g, 0.0)
            elif len(p) == 3:  # type 2
                a, b, c = p
                y = np.where(a_x >= -b / a, np.maximum(a * a_x + b, 0) ** g + c, c)
            elif len(p) == 4:  # type 3
                a, b, c, d = p
                y = np.where(a_x >= d, np.maximum(a * a_x + b, 0) ** g, c * a_x)
            else:  # type 4
                a, b, c, d, e, f = p[:6]
                y = np.where(a_x >= d, np.maximum(a * a_x + b, 0) ** g + e, c * a_x + f)
        return np.copysign(y, x)


@dataclass
class _Icc:
    space: str  # 'RGB', 'GRAY', 'CMYK', ...
    description: str
    matrix: np.ndarray | None = None  # 3×3, columns = r, g, b colorants (PCS XYZ, D50)
    curves: list[_Curve] = field(default_factory=list)  # 3 (RGB) or 1 (GRAY)
    lut_based: bool = False  # has A2B0: LittleCMS uses the LUT, not the matrix

    @property
    def matrix_trc(self) -> bool:
        if self.lut_based:
            return False
        return (self.space == "RGB" and self.matrix is not None and len(self.curves) == 3) or (
            self.space == "GRAY" and len(self.curves) == 1)


def _s15(b: bytes) -> float:
    return struct.unpack(">i", b)[0] / 65536.0


def _parse_curve(data: bytes) -> _Curve:
    sig = data[:4]
    if sig == b"curv":
        n = struct.unpack(">I", data[8:12])[0]
        if n == 0:
            return _Curve("identity")
        if n == 1:
            return _Curve("gamma", (struct.unpack(">H", data[12:14])[0] / 256.0,))
        tab = np.frombuffer(data[12:12 + 2 * n], ">u2").astype(np.float64) / 65535.0
        if tab.size != n:
            raise ValueError("short curv")
        return _Curve("table", table=tab)
    if sig == b"para":
        ftype = struct.unpack(">H", data[8:10])[0]
        npar = {0: 1, 1: 3, 2: 4, 3: 5, 4: 7}[ftype]
        pars = tuple(_s15(data[12 + 4 * i:16 + 4 * i]) for i in range(npar))
        if len(pars) != npar:
            raise ValueError("short para")
        return _Curve("para", pars)
    raise ValueError(f"unknown curve type {sig!r}")


def _parse_icc(data: bytes) -> _Icc:
    """The parts of an ICC profile this module needs (raises ValueError if malformed)."""
    if len(data) < 132 or data[36:40] != b"acsp":
        raise ValueError("not an ICC profile")
    space = data[16:20].decode("latin-1").strip()
    n = struct.unpack(">I", data[128:132])[0]
    tags: dict[bytes, bytes] = {}
    for i in range(min(n, 200)):
        sig, off, size = struct.unpack(">4sII", data[132 + 12 * i:144 + 12 * i])
        tags[sig] = data[off:off + size]
    try:
        desc = ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(data))).strip()
    except Exception:  # noqa: BLE001 - description is cosmetic
        desc = ""
    icc = _Icc(space, desc or "(unnamed profile)", lut_based=b"A2B0" in tags)
    if space == "RGB" and all(k in tags for k in (b"rXYZ", b"gXYZ", b"bXYZ", b"rTRC", b"gTRC", b"bTRC")):
        cols = []
        for k in (b"rXYZ", b"gXYZ", b"bXYZ"):
            t = tags[k]
            cols.append([_s15(t[8 + 4 * i:12 + 4 * i]) for i in range(3)])
        icc.matrix = np.array(cols, np.float64).T
        icc.curves = [_parse_curve(tags[k]) for k in (b"rTRC", b"gTRC", b"bTRC")]
    elif space == "GRAY" and b"kTRC" in tags:
        icc.curves = [_parse_curve(tags[b"kTRC"])]
    return icc


@lru_cache(maxsize=1)
def _srgb_parsed() -> _Icc:
    return _parse_icc(srgb_icc())


def _is_srgb(icc: _Icc) -> bool:
    """True for profiles equivalent to sRGB (RGB: the colorants and curves of LittleCMS's
    sRGB within 1e-3; grey: its curve), which need no conversion."""
    if not icc.matrix_trc:
        return False
    srgb = _srgb_parsed()
    if icc.space == "RGB" and np.abs(icc.matrix - srgb.matrix).max() > 1e-3:
        return False
    x = np.linspace(0.0, 1.0, 1024)
    want = srgb.curves[0](x)
    return all(np.abs(c(x) - want).max() < 1e-3 for c in icc.curves)


def _float_to_srgb(icc: _Icc, x: np.ndarray) -> np.ndarray:
    """Matrix/TRC conversion of float64 data ``(…, C)`` (encoded, [0, 1] nominal) to
    sRGB-encoded float64 ``(…, 3)``."""
    if icc.space == "GRAY":
        y = icc.curves[0](x[..., 0])
        lin = np.repeat(y[..., None], 3, -1)  # D50 grey maps to sRGB grey
    else:
        lin = np.stack([icc.curves[c](x[..., c]) for c in range(3)], -1)
        m = np.linalg.solve(_srgb_parsed().matrix, icc.matrix)  # src RGB → sRGB linear
        lin = lin @ m.T
    from ...core.colorimetry import linear_to_srgb
    return linear_to_srgb(lin)


def _lcms_grid(icc_bytes: bytes, path: Path):
    """LittleCMS transform sampled on an 86³ grid of exact 8-bit inputs, as a Lut3D."""
    from ...core.lut import Lut3D, Shaper

    n = 86  # 255 = 85 · 3: every node is an exact 8-bit code
    u = (np.arange(n) * 3).astype(np.uint8)
    r, g, b = np.meshgrid(u, u, u, indexing="ij")
    grid = np.stack([r, g, b], -1).reshape(n * n, n, 3)
    src = ImageCms.ImageCmsProfile(io.BytesIO(icc_bytes))
    dst = ImageCms.ImageCmsProfile(io.BytesIO(srgb_icc()))
    out = ImageCms.profileToProfile(Image.fromarray(grid, "RGB"), src, dst,
                                    renderingIntent=_RELATIVE,
                                    outputMode="RGB")
    table = (np.asarray(out, np.float32) / 255.0).reshape(n, n, n, 3)
    return Lut3D(table, Shaper("linear"), f"{Path(path).name} ICC")


def _convert_hi(path: Path, icc_bytes: bytes, icc: _Icc, data: np.ndarray) -> np.ndarray:
    """ICC → sRGB for 16-bit / float ``data`` (H×W×C, C = 1 or 3)."""
    is_float = data.dtype == np.float32
    scale = 1.0 if is_float else 65535.0
    if icc.matrix_trc:
        out = np.empty(data.shape[:2] + (3,), np.float32 if is_float else np.uint16)
        rows = max(1, 2_000_000 // max(1, data.shape[1]))  # bounded float64 temporaries
        for y0 in range(0, data.shape[0], rows):
            x = data[y0:y0 + rows].astype(np.float64) / scale
            v = _float_to_srgb(icc, x)
            if is_float:
                out[y0:y0 + rows] = v
            else:
                out[y0:y0 + rows] = np.rint(np.clip(v, 0.0, 1.0) * 65535.0)
        return out
    if icc.space != "RGB" or data.shape[2] != 3:
        warnings.warn(f"{path}: cannot apply its {icc.space} ICC profile "
                      f"'{icc.description}' to {data.shape[2]}-channel data; taken as sRGB",
                      stacklevel=4)
        return data
    import torch

    from ...core.lut import apply_lut

    warnings.warn(f"{path}: LUT-based ICC profile '{icc.description}' converted through an "
                  "8-bit LittleCMS grid (about 8-bit precision)", stacklevel=4)
    lut = _lcms_grid(icc_bytes, path)
    x = torch.from_numpy(np.ascontiguousarray(data.transpose(2, 0, 1), np.float32) / scale)[None]
    y = apply_lut(x, lut)[0].numpy().transpose(1, 2, 0)
    if is_float:
        return np.ascontiguousarray(y, np.float32)
    return np.rint(np.clip(y, 0, 1) * 65535.0).astype(np.uint16)


def _lcms_8bit(path: Path, icc_bytes: bytes | None, im: Image.Image, icc: _Icc | None) -> tuple[np.ndarray, str]:
    """8-bit conversion of the Pillow image ``im`` (RGB, L or CMYK; profile ``icc_bytes``,
    parsed as ``icc``) to ``H×W×3`` uint8 sRGB with LittleCMS (CMYK without a profile:
    Pillow's conversion), and the description of the profile converted from."""
    if icc is None:  # CMYK without a profile
        return np.asarray(im.convert("RGB")), ""
    try:
        src = ImageCms.ImageCmsProfile(io.BytesIO(icc_bytes))
        dst = ImageCms.ImageCmsProfile(io.BytesIO(srgb_icc()))
        out = ImageCms.profileToProfile(im, src, dst,
                                        renderingIntent=_RELATIVE,
                                        outputMode="RGB")
        return np.asarray(out), icc.description
    except (ImageCms.PyCMSError, OSError, ValueError) as e:
        warnings.warn(f"{path}: ICC profile '{icc.description}' could not be applied "
                      f"({e}); taken as sRGB", stacklevel=4)
        return np.asarray(im.convert("RGB") if im.mode == "CMYK" else im), ""


