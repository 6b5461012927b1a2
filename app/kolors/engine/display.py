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

__all__ = ["to_display", "profile_description"]


@functools.lru_cache(maxsize=4)
def _transform(digest: str, icc: bytes):
    from PIL import ImageCms
    src = ImageCms.createProfile("sRGB")
    dst = ImageCms.ImageCmsProfile(io.BytesIO(icc))
    return ImageCms.buildTransform(src, dst, "RGB", "RGB", renderingIntent=ImageCms.Intent.PERCEPTUAL)


def profile_description(icc: bytes) -> str:
    """The profile's description ('' when it has none); ``ValueError`` when not ICC."""
    from PIL import ImageCms
    try:
        return ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(icc))).strip()
    except (OSError, ImageCms.PyCMSError) as e:
        raise ValueError(f"not a usable ICC profile: {e}") from e


def to_display(rgb: np.ndarray, icc: bytes | None) -> np.ndarray:
    """``H×W×3`` uint8 sRGB → the same in the display profile ``icc`` (unchanged without one)."""
    if not icc:
        return rgb
    from PIL import Image, ImageCms
    t = _transform(hashlib.sha1(icc).hexdigest(), icc)
    im = Image.fromarray(np.ascontiguousarray(rgb), "RGB")
    return np.asarray(ImageCms.applyTransform(im, t))
