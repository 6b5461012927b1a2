"""Adobe XMP: Lightroom / Camera Raw settings (the ``crs:`` namespace), ratings, labels and
keywords.

:func:`parse_xmp` reads an XMP packet — a Lightroom or Camera Raw preset (``.xmp``) or a
sidecar beside a photo — in either form Adobe writes: properties as attributes of
``rdf:Description`` (Lightroom 6 and older, Camera Raw presets) or as child elements
(newer), with ``rdf:Seq``/``rdf:Bag``/``rdf:Alt`` arrays and nested structures (tone curves,
masks). :func:`crs_to_settings` maps the ``crs:`` values onto Kolors' registry settings
(:data:`MAPPING` is the table, the README prints it) and names everything without a
counterpart in one warning; :func:`write_rating` writes ``xmp:Rating`` and ``xmp:Label``
into a photo's sidecar (``PHOTO.xmp``, as Lightroom, darktable and digiKam read it),
atomically, keeping everything else in it.

Values are Adobe's: exposure in EV, most sliders −100…100, tone curves as ``"x, y"`` pairs
in 0…255, local (mask) sliders −1…1 (local exposure ±1 = ±4 EV); mask coordinates are
fractions of the photo (x right, y down).
"""
from __future__ import annotations

import io
import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ..errors import InputError
from .atomic import atomic_write

__all__ = ["CRS", "XmpDoc", "parse_xmp", "read_xmp", "crs_to_settings", "preset_name", "sidecar_xmp_path",
           "write_rating", "MAPPING", "LABELS"]

CRS = "http://ns.adobe.com/camera-raw-settings/1.0/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
XMP = "http://ns.adobe.com/xap/1.0/"
DC = "http://purl.org/dc/elements/1.1/"
TIFF = "http://ns.adobe.com/tiff/1.0/"
X = "adobe:ns:meta/"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
#: the colour labels Lightroom writes in ``xmp:Label``
LABELS = ("Red", "Yellow", "Green", "Blue", "Purple")


@dataclass
class XmpDoc:
    """What an XMP packet holds that Kolors reads: ``crs`` (local name → text, list of texts
    for arrays, ``{lang: text}`` for language alternatives, dicts for structures), the
    rating (−1 rejected … 5, None when absent), the colour label and the keywords."""

    crs: dict[str, Any] = field(default_factory=dict)
    rating: int | None = None
    label: str | None = None
    keywords: list[str] = field(default_factory=list)
    orientation: float | None = None         # tiff:Orientation of the photo the settings are for


# ---------------------------------------------------------------------- parsing
def _local(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        ns, _, name = tag[1:].partition("}")
        return ns, name
    return "", tag


#: deepest nesting of structures read (Lightroom's masks nest about 8 deep)
MAX_DEPTH = 64


class _TooDeep(Exception):
    pass


def _value(el: ET.Element, depth: int = 0) -> Any:
    """The value of a property element: text, an array, a language alternative or a structure."""
    if depth > MAX_DEPTH:
        raise _TooDeep()
    for child in el:
        ns, name = _local(child.tag)
        if ns == RDF and name in ("Seq", "Bag"):
            return [_li(li, depth + 1) for li in child if _local(li.tag) == (RDF, "li")]
        if ns == RDF and name == "Alt":
            return {li.get(XML_LANG, "x-default"): (li.text or "").strip() for li in child}
        if ns == RDF and name == "Description":
            return _struct(child, depth + 1)
    attrs = [k for k in el.attrib if _local(k)[0] not in (RDF, "") and k != XML_LANG]
    if el.get(f"{{{RDF}}}parseType") == "Resource" or len(el) or attrs:   # attrs: the struct shorthand
        return _struct(el, depth + 1)
    return (el.text or "").strip()


def _li(li: ET.Element, depth: int = 0) -> Any:
    attrs = {k: v for k, v in li.attrib.items() if _local(k)[0] not in (RDF, "") and k != XML_LANG}
    if len(li) == 0 and not attrs:
        return (li.text or "").strip()
    return _struct(li, depth + 1)


def _struct(node: ET.Element, depth: int = 0) -> dict[str, Any]:
    if depth > MAX_DEPTH:
        raise _TooDeep()
    out: dict[str, Any] = {}
    for k, v in node.attrib.items():
        ns, name = _local(k)
        if ns not in (RDF, "") and k != XML_LANG:
            out[name] = v
    for child in node:
        ns, name = _local(child.tag)
        if ns == RDF and name == "Description":
            out.update(_struct(child, depth + 1))
        elif ns != RDF:
            out[name] = _value(child, depth + 1)
    return out


def _descriptions(root: ET.Element) -> list[ET.Element]:
    """The top-level ``rdf:Description`` elements of an XMP packet (``root``: x:xmpmeta or rdf:RDF)."""
    rdf = root if root.tag == f"{{{RDF}}}RDF" else root.find(f"{{{RDF}}}RDF")
    return rdf.findall(f"{{{RDF}}}Description") if rdf is not None else []


def parse_xmp(data: bytes | str, where: str = "XMP") -> XmpDoc:
    """Parse an XMP packet (``where`` names it in errors: one ``InputError``)."""
    if isinstance(data, bytes):
        data = data.decode("utf-8", errors="replace")
    data = data.lstrip("\ufeff")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as e:
        raise InputError(f"{where}: not an XMP file ({e})") from None
    descs = _descriptions(root)
    if not descs:
        raise InputError(f"{where}: no rdf:RDF/rdf:Description in it: not an XMP packet")
    doc = XmpDoc()
    try:
        for d in descs:
            for k, v in d.attrib.items():
                ns, name = _local(k)
                if ns == CRS:
                    doc.crs[name] = v
                elif ns == XMP:
                    _meta(doc, name, v)
                elif (ns, name) == (TIFF, "Orientation"):
                    doc.orientation = _f(v)
            for child in d:
                ns, name = _local(child.tag)
                if ns == CRS:
                    doc.crs[name] = _value(child)
                elif ns == XMP:
                    _meta(doc, name, _value(child))
                elif (ns, name) == (DC, "subject"):
                    v = _value(child)
                    doc.keywords = [str(k) for k in (v if isinstance(v, list) else [v]) if str(k)]
                elif (ns, name) == (TIFF, "Orientation"):
                    doc.orientation = _f(_value(child))
    except (_TooDeep, RecursionError):
        raise InputError(f"{where}: structures nested more than {MAX_DEPTH} deep: not a Lightroom XMP") from None
    return doc


def _meta(doc: XmpDoc, name: str, v: Any) -> None:
    if name == "Rating":
        try:
            doc.rating = max(-1, min(5, int(round(float(v)))))
        except (TypeError, ValueError):
            pass
    elif name == "Label" and isinstance(v, str):
        doc.label = v or None


def read_xmp(path: str | Path) -> XmpDoc:
    """Read and parse an XMP file (``InputError`` naming it when it cannot be read)."""
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        raise InputError(f"{path}: cannot be read ({e.strerror or e})") from None
    return parse_xmp(data, str(path))


def preset_name(doc: XmpDoc, path: str | Path) -> str:
    """The preset's own name (``crs:Name``, the default language), else the file's stem,
    made a Kolors preset name (lower case, letters, digits, ``_`` and ``-``)."""
    n = doc.crs.get("Name")
    if isinstance(n, dict):
        n = n.get("x-default") or next(iter(n.values()), "")
    import unicodedata

    def slug(t: str) -> str:
        t = unicodedata.normalize("NFKD", t).encode("ascii", "ignore").decode("ascii")   # "Été" → "ete"
        return re.sub(r"[^a-z0-9_\-]+", "_", t.lower()).strip("_-")[:64]
    return slug(str(n or "").strip()) or slug(Path(path).stem) or "imported"


# ---------------------------------------------------------------------- mapping
def _f(v: Any) -> float | None:
    try:
        x = float(str(v).strip())
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def _clip(x: float, lo: float, hi: float) -> float:
    return float(min(hi, max(lo, x)))


def _div(k: float, lo: float = -1.0, hi: float = 1.0, offset: float = 0.0) -> Callable[[float], float]:
    return lambda v: _clip(offset + v / k, lo, hi)


BANDS = ("Red", "Orange", "Yellow", "Green", "Aqua", "Blue", "Purple", "Magenta")

#: crs: name → (Kolors parameter, value map, the Adobe value that is the identity). The
#: README's mapping table is this table.
MAPPING: dict[str, tuple[str, Callable[[float], Any], float]] = {
    "Exposure2012": ("exposure", lambda v: _clip(v, -5, 5), 0.0),
    "Contrast2012": ("contrast", _div(100), 0.0),
    "Highlights2012": ("highlights", _div(100), 0.0),
    "Shadows2012": ("shadows", _div(100), 0.0),
    "Whites2012": ("whites", _div(100), 0.0),
    "Blacks2012": ("blacks", _div(100), 0.0),
    "Vibrance": ("vibrance", _div(100), 0.0),
    "Saturation": ("chroma_boost", _div(100, 0.0, 2.0, 1.0), 0.0),
    "Dehaze": ("dehaze", _div(100), 0.0),
    "SplitToningShadowHue": ("split_shadow_hue", lambda v: _clip(v, 0, 360), None),
    "SplitToningShadowSaturation": ("split_shadow_sat", _div(100, 0.0, 1.0), 0.0),
    "SplitToningHighlightHue": ("split_highlight_hue", lambda v: _clip(v, 0, 360), None),
    "SplitToningHighlightSaturation": ("split_highlight_sat", _div(100, 0.0, 1.0), 0.0),
    "SplitToningBalance": ("split_balance", _div(100), 0.0),
    "PostCropVignetteAmount": ("vignette", _div(100), 0.0),
    "PostCropVignetteMidpoint": ("vignette_midpoint", _div(100, 0.0, 1.0), None),
    "Sharpness": ("sharpen_amount", _div(50, 0.0, 3.0), 0.0),
    "SharpenRadius": ("sharpen_radius", lambda v: _clip(v, 0.5, 3.0), None),
    "SharpenDetail": ("sharpen_detail", _div(100, 0.0, 1.0), None),
    "SharpenEdgeMasking": ("sharpen_masking", _div(100, 0.0, 1.0), 0.0),
    "LuminanceSmoothing": ("luma_denoise", _div(100, 0.0, 1.0), 0.0),
    "ColorNoiseReduction": ("chroma_denoise", _div(100, 0.0, 1.0), 0.0),
    **{f"HueAdjustment{b}": (f"hsl_{b.lower()}_hue", _div(100), 0.0) for b in BANDS},
    **{f"SaturationAdjustment{b}": (f"hsl_{b.lower()}_sat", _div(100), 0.0) for b in BANDS},
    **{f"LuminanceAdjustment{b}": (f"hsl_{b.lower()}_lum", _div(100), 0.0) for b in BANDS},
}
#: handled by code of their own below (the README table lists them too)
SPECIAL = ("Temperature", "Tint", "IncrementalTemperature", "IncrementalTint", "WhiteBalance", "Clarity2012",
           "Texture", "ToneCurvePV2012", "ToneCurvePV2012Red", "ToneCurvePV2012Green", "ToneCurvePV2012Blue",
           "ParametricShadows", "ParametricDarks", "ParametricLights", "ParametricHighlights",
           "ParametricShadowSplit", "ParametricMidtoneSplit", "ParametricHighlightSplit", "HasCrop", "CropTop",
           "CropLeft", "CropBottom", "CropRight", "CropAngle", "GradientBasedCorrections",
           "CircularGradientBasedCorrections", "MaskGroupBasedCorrections", "PaintBasedCorrections")
#: descriptive keys of a preset or sidecar, not settings
META = {"PresetType", "Cluster", "UUID", "SupportsAmount", "SupportsAmount2", "SupportsColor", "SupportsMonochrome",
        "SupportsHighDynamicRange", "SupportsNormalDynamicRange", "SupportsSceneReferredProfiles",
        "SupportsOutputReferred", "RequiresRGBTables", "CameraModelRestriction", "Copyright", "ContactInfo",
        "Version", "ProcessVersion", "CompatibleVersion", "HasSettings", "Name", "ShortName", "SortName", "Group",
        "Description", "RawFileName", "AlreadyApplied", "CropConstrainToWarp", "CropConstrainToUnitSquare",
        "CropUnit", "CropWidth", "CropHeight", "ToneCurveName2012", "ToneCurveName", "OverrideLookVignette",
        "CameraProfileDigest", "HasSettings2", "PresetName"}
#: Adobe's own defaults of settings Kolors does not map: at these values nothing is lost
UNMAPPED_DEFAULTS = {"ToneCurvePV2012": None, "ToneCurve": "0, 0 255, 255", "PostCropVignetteFeather": 50.0,
                     "PostCropVignetteRoundness": 0.0, "PostCropVignetteStyle": 1.0,
                     "PostCropVignetteHighlightContrast": 0.0, "GrainSize": 25.0, "GrainFrequency": 50.0,
                     "ColorGradeBlending": 50.0, "ColorNoiseReductionDetail": 50.0,
                     "ColorNoiseReductionSmoothness": 50.0, "LuminanceNoiseReductionDetail": 50.0,
                     "LuminanceNoiseReductionContrast": 0.0, "PerspectiveScale": 100.0, "DefringePurpleHueLo": 30.0,
                     "DefringePurpleHueHi": 70.0, "DefringeGreenHueLo": 40.0, "DefringeGreenHueHi": 60.0,
                     "LensProfileSetup": "LensDefaults", "ToneMapStrength": 0.0, "CameraProfile": "Adobe Standard",
                     "AutoLateralCA": 0.0, "LensProfileEnable": 0.0, "UprightVersion": None,
                     "UprightCenterMode": 0.0, "UprightCenterNormX": 0.5, "UprightCenterNormY": 0.5,
                     "UprightFocalMode": 0.0, "UprightFocalLength35mm": 35.0, "UprightPreview": None,
                     "UprightTransformCount": 6.0, "UprightFourSegmentsCount": 0.0, "PerspectiveAspect": 0.0,
                     "PerspectiveUpright": 0.0, "CurveRefineSaturation": 100.0, "OverrideLookVignette": None}

#: the incremental white balance of Adobe (±100) as a shift of the assumed light, in kelvin
INCREMENTAL_KELVIN = 40.0
#: mask sliders: crs: local name → (Kolors parameter, value map)
LOCAL: dict[str, tuple[str, Callable[[float], float]]] = {
    "LocalExposure2012": ("exposure", lambda v: _clip(4 * v, -5, 5)),
    "LocalExposure": ("exposure", lambda v: _clip(4 * v, -5, 5)),
    "LocalContrast2012": ("contrast", lambda v: _clip(v, -1, 1)),
    "LocalHighlights2012": ("highlights", lambda v: _clip(v, -1, 1)),
    "LocalShadows2012": ("shadows", lambda v: _clip(v, -1, 1)),
    "LocalWhites2012": ("whites", lambda v: _clip(v, -1, 1)),
    "LocalBlacks2012": ("blacks", lambda v: _clip(v, -1, 1)),
    "LocalSaturation": ("chroma_boost", lambda v: _clip(1 + v, 0, 2)),
    "LocalTemperature": ("temperature", lambda v: _clip(6504 + 100 * INCREMENTAL_KELVIN * v, 2000, 15000)),
    "LocalTint": ("tint", lambda v: _clip(100 * v, -100, 100)),
    "LocalSharpness": ("sharpen_amount", lambda v: _clip(3 * v, 0, 3)),
}


def _curve(v: Any) -> list[list[float]] | None:
    """``["x, y", ...]`` in 0…255 → Kolors curve points (x strictly increasing, 0 and 1 included)."""
    if not isinstance(v, list):
        return None
    pts = []
    for item in v:
        nums = [_f(t) for t in re.split(r"[,\s]+", str(item).strip()) if t]
        if len(nums) != 2 or None in nums:
            return None
        pts.append([_clip(nums[0] / 255, 0, 1), _clip(nums[1] / 255, 0, 1)])
    pts.sort()
    out: list[list[float]] = []
    for p in pts:
        if not out or p[0] > out[-1][0] + 1e-9:
            out.append(p)
    if len(out) < 2:
        return None
    if out[0][0] > 0:
        out.insert(0, [0.0, out[0][1]])
    if out[-1][0] < 1:
        out.append([1.0, out[-1][1]])
    if len(out) > 32:                 # Kolors takes 32 points: the curve resampled at 32 inputs
        xs = [i / 31 for i in range(32)]
        out = [[x, _interp(x, [p[0] for p in out], [p[1] for p in out])] for x in xs]
    return out


def _parametric(c: dict[str, Any], base: list[list[float]] | None) -> list[list[float]] | None:
    """Adobe's parametric curve (four region amounts −100…100 split at three inputs) as
    points: each region lifts or lowers its part of the tones by up to 0.15 with a smooth
    bump between its neighbouring splits; the point curve ``base`` (if any) comes after."""
    amounts = [_f(c.get(k, 0)) or 0.0 for k in ("ParametricShadows", "ParametricDarks", "ParametricLights",
                                                "ParametricHighlights")]
    if not any(amounts):
        return base
    s = [(_f(c.get(k, d)) or d) / 100 for k, d in (("ParametricShadowSplit", 25), ("ParametricMidtoneSplit", 50),
                                                    ("ParametricHighlightSplit", 75))]
    edges = [0.0, *sorted(min(0.99, max(0.01, x)) for x in s), 1.0]
    xs = [i / 16 for i in range(17)]

    def bump(x: float, a: float, b: float) -> float:
        lo, hi = max(0.0, a - (b - a) / 2), min(1.0, b + (b - a) / 2)
        if not lo < x < hi:
            return 0.0
        return math.sin(math.pi * (x - lo) / (hi - lo)) ** 2

    ys = []
    for x in xs:
        y = x + sum(0.15 * a / 100 * bump(x, edges[i], edges[i + 1]) for i, a in enumerate(amounts))
        ys.append(_clip(y, 0, 1))
    for i in range(1, len(ys)):                 # keep it monotone
        ys[i] = max(ys[i], ys[i - 1])
    if base is not None:
        bx = [p[0] for p in base]
        by = [p[1] for p in base]
        ys = [_interp(y, bx, by) for y in ys]
    return [[x, y] for x, y in zip(xs, ys)]


def _interp(x: float, xs: list[float], ys: list[float]) -> float:
    for i in range(1, len(xs)):
        if x <= xs[i]:
            t = (x - xs[i - 1]) / max(1e-12, xs[i] - xs[i - 1])
            return ys[i - 1] + t * (ys[i] - ys[i - 1])
    return ys[-1]


def _is_identity(name: str, v: Any) -> bool:
    """True when an unmapped value changes nothing (zero, false, empty, or Adobe's default)."""
    if name in UNMAPPED_DEFAULTS:
        d = UNMAPPED_DEFAULTS[name]
        if isinstance(v, list) and isinstance(d, str):      # an array value against its default's text
            v = " ".join(str(x) for x in v)
        if d is None or str(v).strip() == str(d):
            return True
        fv = _f(v)
        return fv is not None and isinstance(d, float) and abs(fv - d) < 1e-9
    if name == "Look" and isinstance(v, dict):              # a profile: only "none" changes nothing
        return not str(v.get("Name", "")).strip()
    if name == "CameraProfile":
        return str(v).strip() in ("", "Embedded", "Adobe Standard")
    if isinstance(v, (list, dict)):
        return not v
    s = str(v).strip().lower()
    return s in ("", "false", "0", "0.0", "+0", "-0", "none") or _f(s) == 0.0


def crs_to_settings(crs: dict[str, Any], orientation: float | None = None) -> tuple[dict[str, Any], list[str]]:
    """Kolors settings (unvalidated registry values) for Adobe ``crs:`` values, and the
    names (with their values) of what has no counterpart, in the order found.
    ``orientation``: the sidecar's ``tiff:Orientation`` (a crop of a turned photo is not
    imported)."""
    out: dict[str, Any] = {}
    lost: list[str] = []
    for k, v in crs.items():
        if k in META or k in SPECIAL:
            continue
        if k in MAPPING:
            name, fn, ident = MAPPING[k]
            x = _f(v)
            if x is None:
                lost.append(f"{k}={v!r} (not a number)")
            elif ident is None or x != ident:
                out[name] = fn(x)
            continue
        if not _is_identity(k, v):
            lost.append(f"{k}={_short(v)}")
    # split-toning hues mean something only with their saturation
    for h, s in (("split_shadow_hue", "split_shadow_sat"), ("split_highlight_hue", "split_highlight_sat")):
        if h in out and s not in out:
            del out[h]
    if "vignette_midpoint" in out and "vignette" not in out:
        del out["vignette_midpoint"]
    if "sharpen_amount" not in out:
        for k in ("sharpen_radius", "sharpen_detail", "sharpen_masking"):
            out.pop(k, None)
    if str(crs.get("ConvertToGrayscale", "")).strip().lower() == "true":
        out["chroma_boost"] = 0.0       # black and white (the channel mix, GrayMixer…, is warned below)
    lost[:] = [x for x in lost if not x.startswith("ConvertToGrayscale=")]
    _white_balance(crs, out, lost)
    _presence(crs, out, lost)
    _curves(crs, out, lost)
    _crop(crs, out, lost, orientation)
    masks = _masks(crs, out, lost)
    if masks:
        out["masks"] = masks
    return out, lost


def _short(v: Any) -> str:
    s = repr(v) if not isinstance(v, str) else v
    return s if len(s) <= 40 else s[:37] + "…"


def _white_balance(crs: dict[str, Any], out: dict[str, Any], lost: list[str]) -> None:
    wb = str(crs.get("WhiteBalance", "")).strip()
    inc_t, inc_g = _f(crs.get("IncrementalTemperature")), _f(crs.get("IncrementalTint"))
    if inc_t or inc_g:                      # an offset from the photo's own white
        if inc_t:
            out["temperature"] = _clip(6504 + INCREMENTAL_KELVIN * inc_t, 2000, 15000)
        if inc_g:
            out["tint"] = _clip(inc_g, -100, 100)
        return
    t, g = _f(crs.get("Temperature")), _f(crs.get("Tint"))
    if wb.lower() in ("", "as shot") and t is None:
        return
    if wb.lower() == "auto":
        lost.append("WhiteBalance=Auto (use the White balance task)")
        return
    if wb.lower() != "as shot":
        # a kelvin value belongs to the photo it was set on (its camera white); Kolors' white
        # balance is relative to each photo's own white, so an absolute one is not carried over
        lost.append(f"WhiteBalance={wb or 'Custom'} {t:g} K / tint {g if g is not None else 0:+g} (an absolute white "
                    "balance of one photo; presets for any photo carry IncrementalTemperature/Tint)"
                    if t is not None else f"WhiteBalance={wb}")


def _presence(crs: dict[str, Any], out: dict[str, Any], lost: list[str]) -> None:
    c = _f(crs.get("Clarity2012", 0)) or 0.0
    if c > 0:
        out["local_contrast"] = True
        out["local_contrast_amount"] = _clip(c / 100, 0, 2)
    elif c < 0:
        lost.append(f"Clarity2012={c:+g} (Kolors' local contrast only adds)")
    t = _f(crs.get("Texture", 0)) or 0.0
    if t > 0:
        out["detail_recovery"] = _clip(t / 100, 0, 1)
    elif t < 0:
        lost.append(f"Texture={t:+g} (Kolors' detail recovery only adds)")


def _curves(crs: dict[str, Any], out: dict[str, Any], lost: list[str]) -> None:
    for k, name in (("ToneCurvePV2012", "tone_curve"), ("ToneCurvePV2012Red", "tone_curve_red"),
                    ("ToneCurvePV2012Green", "tone_curve_green"), ("ToneCurvePV2012Blue", "tone_curve_blue")):
        if k not in crs:
            continue
        pts = _curve(crs[k])
        if pts is None:
            lost.append(f"{k}={_short(crs[k])} (not a point curve)")
        elif any(abs(x - y) > 1e-9 for x, y in pts):
            out[name] = pts
    par = _parametric(crs, out.get("tone_curve"))
    if par is not None:
        out["tone_curve"] = par


def _crop(crs: dict[str, Any], out: dict[str, Any], lost: list[str], orientation: float | None = None) -> None:
    if str(crs.get("HasCrop", "")).strip().lower() != "true":
        return
    a = _f(crs.get("CropAngle", 0)) or 0.0
    if a or orientation not in (None, 1.0):
        # Lightroom's crop corners are in the unturned sensor frame, and with an angle they are
        # corners of a turned rectangle: only a plain crop of an upright photo maps one to one
        lost.append(f"crop (CropAngle={a:g}, tiff:Orientation={orientation or 1:g}: only plain crops of "
                    "upright photos are imported)")
        return
    box = [_f(crs.get(k)) for k in ("CropLeft", "CropTop", "CropRight", "CropBottom")]
    if None in box:
        lost.append("crop (incomplete CropLeft/Top/Right/Bottom)")
        return
    x0, y0, x1, y1 = (_clip(b, 0, 1) for b in box)
    if x1 - x0 >= 0.01 and y1 - y0 >= 0.01 and [x0, y0, x1, y1] != [0.0, 0.0, 1.0, 1.0]:
        out["crop"] = [x0, y0, x1, y1]


# ---------------------------------------------------------------------- masks
def _items(v: Any) -> list[dict[str, Any]]:
    if isinstance(v, dict):
        return [v]
    return [x for x in v if isinstance(x, dict)] if isinstance(v, list) else []


def _masks(crs: dict[str, Any], out: dict[str, Any], lost: list[str]) -> list[dict[str, Any]]:
    masks: list[dict[str, Any]] = []
    crop = out.get("crop")
    for container, legacy in (("GradientBasedCorrections", True), ("CircularGradientBasedCorrections", True),
                              ("PaintBasedCorrections", True), ("MaskGroupBasedCorrections", False)):
        for n, corr in enumerate(_items(crs.get(container)), 1):
            if str(corr.get("CorrectionActive", "true")).strip().lower() == "false":
                continue
            adj: dict[str, Any] = {}
            for k, v in corr.items():
                if k in LOCAL:
                    x = _f(v)
                    if x:
                        name, fn = LOCAL[k]
                        adj[name] = fn(x)
                elif k.startswith("Local") and not _is_identity(k, v):
                    lost.append(f"{container}[{n}].{k}={_short(v)}")
            if adj.get("local_contrast_amount"):
                adj["local_contrast"] = True
            comps = []
            for m in _items(corr.get("CorrectionMasks")):
                c = _component(m, legacy, crop, f"{container}[{n}]", lost)
                if c is not None:
                    comps.append(c)
            if not comps:
                continue
            mask = dict(comps[0])
            mask.pop("mode", None)
            mask["combine"] = comps[1:]
            mask["name"] = str(corr.get("CorrectionName") or f"{container.replace('BasedCorrections', '')} {n}")
            amount = _f(corr.get("CorrectionAmount", 1))
            mask["opacity"] = _clip(1.0 if amount is None else amount, 0, 1)
            mask["adjustments"] = adj
            masks.append(mask)
    return masks


def _frame(x: float, y: float, crop: list[float] | None) -> list[float]:
    """A point in fractions of the whole photo → fractions of the cropped photo."""
    if not crop:
        return [x, y]
    x0, y0, x1, y1 = crop
    return [(x - x0) / (x1 - x0), (y - y0) / (y1 - y0)]


def _component(m: dict[str, Any], legacy: bool, crop, where: str, lost: list[str]) -> dict[str, Any] | None:
    what = str(m.get("What", ""))
    if str(m.get("MaskActive", "true")).strip().lower() == "false":
        return None
    blend = _f(m.get("MaskBlendMode", 0))
    mode = {0: "add", 1: "subtract", 2: "intersect"}.get(int(blend or 0), "add")
    inv = str(m.get("MaskInverted", "false")).strip().lower() == "true"
    g = {k: _f(v) for k, v in m.items() if isinstance(v, str)}

    def num(k: str, default: float) -> float:
        v = g.get(k)
        return default if v is None else v
    if what == "Mask/Gradient":
        if None in (g.get("ZeroX"), g.get("ZeroY"), g.get("FullX"), g.get("FullY")):
            lost.append(f"{where}: a gradient without its points")
            return None
        start, end = _frame(g["FullX"], g["FullY"], crop), _frame(g["ZeroX"], g["ZeroY"], crop)
        if start == end:
            return None
        c = {"kind": "linear", "start": start, "end": end}
    elif what == "Mask/CircularGradient":
        if None in (g.get("Top"), g.get("Left"), g.get("Bottom"), g.get("Right")):
            lost.append(f"{where}: a radial gradient without its box")
            return None
        cx, cy = _frame((g["Left"] + g["Right"]) / 2, (g["Top"] + g["Bottom"]) / 2, crop)
        sx = (crop[2] - crop[0]) if crop else 1.0
        sy = (crop[3] - crop[1]) if crop else 1.0
        rx, ry = abs(g["Right"] - g["Left"]) / 2 / sx, abs(g["Bottom"] - g["Top"]) / 2 / sy
        if rx <= 0 or ry <= 0:
            return None
        c = {"kind": "radial", "center": [cx, cy], "radius": [rx, ry],
             "feather": _clip(num("Feather", 50.0) / 100, 0, 1), "angle": _clip(num("Angle", 0.0), -360, 360)}
        # Lightroom 5's radial filter applied outside the ellipse unless flipped (inverted);
        # masks of Lightroom 11 and later apply inside unless MaskInverted
        flipped = str(m.get("Flipped", "false")).strip().lower() == "true"
        if legacy and not flipped:
            inv = not inv
    elif what in ("Mask/Paint", "Mask/Aggregate"):
        # Lightroom 5-10: one Paint per stroke (MaskValue 0: the eraser); Lightroom 11+: an
        # Aggregate of Paint strokes, an eraser stroke subtracting (blend mode 1)
        paints = [m] if what == "Mask/Paint" else [x for x in _items(m.get("Masks")) if x.get("What") == "Mask/Paint"]
        strokes = [s for s in (_stroke(p, crop, legacy) for p in paints) if s is not None]
        if not strokes:
            if what == "Mask/Aggregate":
                lost.append(f"{where}: an aggregate mask without brush strokes")
            return None
        if what == "Mask/Paint" and not legacy and mode == "subtract":
            strokes[0]["erase"], mode = True, "add"
        c = {"kind": "brush", "strokes": strokes}
    elif what == "Mask/RangeMask":
        rm = m.get("CorrectionRangeMask") or {}
        if str(rm.get("Type", "")) == "2" and rm.get("LumRange"):
            nums = [_f(t) for t in str(rm["LumRange"]).split()]
            if len(nums) == 4 and None not in nums:
                a, b, cc, d = (_clip(x, 0, 1) for x in nums)
                c = {"kind": "luminance", "range": [b, max(b, cc)],
                     "soft": _clip(((b - a) + (d - cc)) / 2, 0, 1), "mode": "intersect"}
                return c
        lost.append(f"{where}: a colour range mask (only luminance ranges are imported)")
        return None
    else:
        lost.append(f"{where}: mask {what or '?'} (no counterpart: AI subject/sky/person masks are not imported)")
        return None
    if inv:
        c["invert"] = True
    c["mode"] = mode
    return c


def _stroke(m: dict[str, Any], crop, legacy: bool) -> dict[str, Any] | None:
    """One Lightroom ``Mask/Paint`` (its dabs: ``"d x y"`` fractions of the photo) as a brush stroke."""
    if str(m.get("MaskActive", "true")).strip().lower() == "false":
        return None
    pts = []
    for d in m.get("Dabs") or []:
        nums = [_f(t) for t in str(d).split()[1:]]
        if len(nums) >= 2 and None not in nums[:2]:
            pts.append(_frame(nums[0], nums[1], crop))
    if not pts:
        return None

    def num(k: str, default: float) -> float:
        v = _f(m.get(k))
        return default if v is None else v
    erase = num("MaskValue", 1.0) == 0.0 or (not legacy and num("MaskBlendMode", 0.0) == 1.0)
    return {"points": pts[:20000], "size": _clip(2 * num("Radius", 0.025), 1e-4, 2.0),
            "feather": _clip(1 - num("CenterWeight", 0.5), 0, 1), "flow": _clip(num("Flow", 1.0), 1e-3, 1.0),
            "erase": erase}


# ---------------------------------------------------------------------- ratings and labels
def sidecar_xmp_path(photo: str | Path) -> Path:
    """Where Lightroom and darktable look for a photo's XMP: ``NAME.xmp`` beside it when it
    exists (Lightroom), else ``NAME.EXT.xmp`` when that exists (darktable), else ``NAME.xmp``."""
    p = Path(photo)
    a, b = p.with_suffix(".xmp"), p.with_name(p.name + ".xmp")
    return a if a.exists() or not b.exists() else b


_EMPTY = ('<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
          '<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="Kolors">\n'
          ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
          '  <rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/"/>\n'
          ' </rdf:RDF>\n</x:xmpmeta>\n<?xpacket end="w"?>\n')


def write_rating(photo: str | Path, rating: int | None = None, label: str | None = None, *,
                 set_label: bool = False, keywords: list[str] | None = None) -> Path:
    """Set ``xmp:Rating`` (−1 rejected, 0 none … 5; None leaves it), with ``set_label``
    ``xmp:Label`` (one of :data:`LABELS` or None to remove it) and, when ``keywords`` is given,
    the keywords (``dc:subject``, an ``rdf:Bag``; [] removes them) in the photo's XMP sidecar,
    atomically; everything else in the file is kept. Returns the sidecar's path."""
    if rating is not None and (isinstance(rating, bool) or not isinstance(rating, int) or not -1 <= rating <= 5):
        raise ValueError(f"rating must be a whole number from -1 to 5, got {rating!r}")
    if set_label and label is not None and label not in LABELS:
        raise ValueError(f"label must be one of {', '.join(LABELS)} or none, got {label!r}")
    path = sidecar_xmp_path(photo)
    try:
        text = path.read_bytes().decode("utf-8") if path.exists() else _EMPTY
    except UnicodeDecodeError:
        raise InputError(f"{path}: the XMP sidecar is not UTF-8; it is left as it is") from None
    except OSError as e:
        raise InputError(f"{path}: the XMP sidecar cannot be read ({e.strerror or e})") from None
    head, body, tail = _split_packet(text)
    # the file's own prefixes are kept (other programs look for tiff:, lr:, darktable: …)
    for pfx, uri in (("x", X), ("rdf", RDF), ("xmp", XMP), ("crs", CRS), ("dc", DC)):
        ET.register_namespace(pfx, uri)
    try:
        for _, (pfx, uri) in ET.iterparse(io.StringIO(body), events=("start-ns",)):
            if pfx and not re.match(r"ns\d+$", pfx):
                ET.register_namespace(pfx, uri)
        root = ET.fromstring(body, parser=ET.XMLParser(target=ET.TreeBuilder(insert_comments=True,
                                                                             insert_pis=True)))
    except ET.ParseError as e:
        raise InputError(f"{path}: the XMP sidecar cannot be parsed ({e}); it is left as it is") from None
    descs = _descriptions(root)
    if not descs:
        raise InputError(f"{path}: no rdf:RDF/rdf:Description in the XMP sidecar; it is left as it is")

    def holder(tag: str) -> ET.Element:
        """The Description that holds ``tag`` (an attribute or an element), else the first."""
        for d in descs:
            if tag in d.attrib or d.find(tag) is not None:
                return d
        return descs[0]

    for name, value, on in (("Rating", None if rating is None else str(rating), rating is not None),
                            ("Label", label, set_label)):
        if not on:
            continue
        key = f"{{{XMP}}}{name}"
        for d in descs:                        # one property in one place (Adobe refuses duplicates)
            for child in d.findall(key):
                d.remove(child)
        desc = holder(key)
        for d in descs:
            if d is not desc:
                d.attrib.pop(key, None)
        if value is None:
            desc.attrib.pop(key, None)
        else:
            desc.set(key, value)
    if keywords is not None:
        kws = [str(k).strip() for k in keywords if str(k).strip()]
        key = f"{{{DC}}}subject"
        desc = holder(key)
        for d in descs:
            for child in d.findall(key):
                d.remove(child)
        if kws:
            subj = ET.SubElement(desc, key)
            bag = ET.SubElement(subj, f"{{{RDF}}}Bag")
            for k in kws:
                ET.SubElement(bag, f"{{{RDF}}}li").text = k
    data = (head + ET.tostring(root, encoding="unicode") + tail).encode("utf-8")
    atomic_write(path, lambda f: f.write(data), protect=photo)
    return path


def _split_packet(text: str) -> tuple[str, str, str]:
    """The ``<?xpacket?>`` wrapper (kept as it was) and the XML between."""
    text = text.lstrip("\ufeff")
    head = tail = ""
    m = re.match(r"\s*(<\?xml[^>]*\?>\s*)?(<\?xpacket[^>]*\?>\s*)?", text)
    if m:
        head, text = text[:m.end()], text[m.end():]
    m = re.search(r"\s*<\?xpacket end[^>]*\?>\s*$", text)
    if m:
        text, tail = text[:m.start()], text[m.start():]
    return head, text, tail
