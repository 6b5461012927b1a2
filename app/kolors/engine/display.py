"""Conversion of previews to the display's colour profile (LittleCMS through Pillow).

Previews are sRGB. Where the system provides a display profile (an ICC file), the viewer
shows ``to_display(rgb, profile)``; without one (or when it *is* sRGB) the pixels are
shown as they are. Transforms are cached per profile.
"""
from __future__ import annotations

import functools
import hashlib
import io

import numpy as np

__all__ = ["to_display", "profile_description", "soft_proof", "check_proof_profile", "GAMUT_WARNING_RGB", "GAMUT_DELTA_E"]


@functools.lru_cache(maxsize=4)
def _transform(digest: str, icc: bytes):
    from PIL import ImageCms
    src = ImageCms.createProfile("sRGB")
    dst = ImageCms.ImageCmsProfile(io.BytesIO(icc))
    return ImageCms.buildTransform(src, dst, "RGB", "RGB", renderingIntent=ImageCms.Intent.PERCEPTUAL)


def profile_description(icc: bytes) -> str:
    """The profile's description ('' when it has none); ``ValueError`` when not ICC."""
    from PIL import ImageCms
    return ImageCms.getProfileDescription(_profile(icc)).strip()


def to_display(rgb: np.ndarray, icc: bytes | None) -> np.ndarray:
    """``H×W×3`` uint8 sRGB → the same in the display profile ``icc`` (unchanged without one)."""
    if not icc:
        return rgb
    from PIL import Image, ImageCms
    t = _transform(hashlib.sha1(icc).hexdigest(), icc)
    im = Image.fromarray(np.ascontiguousarray(rgb), "RGB")
    return np.asarray(ImageCms.applyTransform(im, t))


#: what the gamut warning paints: colours the proof profile cannot hold
GAMUT_WARNING_RGB = (255, 0, 255)
#: a colour counts as out of the proof's gamut when its round trip moves it more than this (CIE ΔE76)
GAMUT_DELTA_E = 3.0


def _profile(icc: bytes):
    """The LittleCMS profile of ``icc`` (``ValueError`` when it is not one)."""
    from PIL import ImageCms
    try:
        return ImageCms.ImageCmsProfile(io.BytesIO(icc))
    except (OSError, ImageCms.PyCMSError) as e:
        raise ValueError(f"not a usable ICC profile: {e}") from e


@functools.lru_cache(maxsize=4)
def _proof_transforms(digest: str, icc: bytes):
    from PIL import ImageCms
    srgb = ImageCms.createProfile("sRGB")
    prof = _profile(icc)
    mode = {"CMYK": "CMYK", "GRAY": "L", "RGB": "RGB"}.get(_space(icc))
    if mode is None or icc[12:16] == b"link":
        raise ValueError(f"a {_space(icc) or '?'} {icc[12:16].decode('ascii', 'replace')} profile cannot be "
                         "soft-proofed: choose an RGB, CMYK or grey output profile")
    relative = ImageCms.Intent.RELATIVE_COLORIMETRIC
    bpc = ImageCms.Flags.BLACKPOINTCOMPENSATION     # as print proofing does: the paper's black is black
    try:
        there = ImageCms.buildTransform(srgb, prof, "RGB", mode, renderingIntent=relative, flags=bpc)
        back = ImageCms.buildTransform(prof, srgb, mode, "RGB", renderingIntent=relative, flags=bpc)
    except ImageCms.PyCMSError as e:
        raise ValueError(f"this profile cannot be used for soft proofing ({e})") from None
    return there, back


def check_proof_profile(icc: bytes) -> str:
    """The description of ``icc`` when it can be soft-proofed against, else ``ValueError``."""
    _proof_transforms(hashlib.sha1(icc).hexdigest(), icc)
    return profile_description(icc)


def _space(icc: bytes) -> str:
    return icc[16:20].decode("ascii", "replace").strip()


def soft_proof(rgb: np.ndarray, icc: bytes, gamut_warning: bool = False) -> tuple[np.ndarray, float]:
    """How ``rgb`` (``H×W×3`` uint8 sRGB, a preview) looks when printed or written in the
    profile ``icc`` (any ICC output profile LittleCMS reads: a printer's CMYK, an RGB space):
    the colours taken there and back, relative colorimetric (what cannot be held is moved
    to the nearest colour the profile has). With ``gamut_warning`` the colours that move
    more than :data:`GAMUT_DELTA_E` (CIE ΔE76) are painted :data:`GAMUT_WARNING_RGB`.
    Returns the proof (uint8 sRGB, then shown through :func:`to_display`) and the share of
    pixels out of the profile's gamut."""
    from PIL import Image, ImageCms

    from ..core.color import rgb_to_lab
    from ..core.colorimetry import srgb_to_linear
    there, back = _proof_transforms(hashlib.sha1(icc).hexdigest(), icc)
    im = Image.fromarray(np.ascontiguousarray(rgb), "RGB")
    proof = np.asarray(ImageCms.applyTransform(ImageCms.applyTransform(im, there), back).convert("RGB")).copy()
    import torch
    lab0 = rgb_to_lab(torch.from_numpy(srgb_to_linear(rgb.astype(np.float32) / 255)), dim=-1)
    lab1 = rgb_to_lab(torch.from_numpy(srgb_to_linear(proof.astype(np.float32) / 255)), dim=-1)
    out = ((lab0 - lab1) ** 2).sum(-1).sqrt().numpy() > GAMUT_DELTA_E
    if gamut_warning:
        proof[out] = GAMUT_WARNING_RGB
    return proof, float(out.mean()) if out.size else 0.0
