"""Lightroom / Camera Raw presets and XMP sidecars: both forms Adobe writes (attributes, as
Lightroom 6 and Camera Raw presets; elements, as newer Lightroom), mapped onto Kolors'
settings with expected values; what has no counterpart named in one warning; ratings and
labels written so other programs read them, everything else in the file kept."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kolors.core import registry
from kolors.io.xmp import crs_to_settings, parse_xmp, read_xmp, write_rating

REPO = Path(__file__).resolve().parents[2]

HEAD = ('<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="Adobe XMP Core 5.6-c140">\n'
        ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n')
TAIL = ' </rdf:RDF>\n</x:xmpmeta>\n'

# Lightroom 6 / Camera Raw: every simple value an attribute
ATTRIBUTE_FORM = HEAD + '''  <rdf:Description rdf:about=""
    xmlns:crs="http://ns.adobe.com/camera-raw-settings/1.0/"
   crs:PresetType="Normal" crs:UUID="6B6E0C2B" crs:SupportsAmount="False" crs:Version="9.1"
   crs:ProcessVersion="6.7" crs:HasSettings="True"
   crs:Exposure2012="+0.50" crs:Contrast2012="+25" crs:Highlights2012="-40" crs:Shadows2012="+30"
   crs:Whites2012="+10" crs:Blacks2012="-15" crs:Vibrance="+20" crs:Saturation="-10"
   crs:Clarity2012="+35" crs:Dehaze="+12" crs:IncrementalTemperature="+15" crs:IncrementalTint="-8"
   crs:HueAdjustmentOrange="-6" crs:SaturationAdjustmentBlue="+22" crs:LuminanceAdjustmentGreen="-18"
   crs:SplitToningShadowHue="210" crs:SplitToningShadowSaturation="20" crs:SplitToningHighlightHue="45"
   crs:SplitToningHighlightSaturation="15" crs:SplitToningBalance="+30"
   crs:PostCropVignetteAmount="-25" crs:PostCropVignetteMidpoint="40"
   crs:GrainAmount="30" crs:GrainSize="25" crs:ColorGradeMidtoneHue="30" crs:ColorGradeMidtoneSat="12"
   crs:ParametricShadows="0" crs:ParametricDarks="0" crs:ParametricLights="0" crs:ParametricHighlights="0"
   crs:ConvertToGrayscale="False" crs:LensProfileEnable="0" crs:ToneCurveName2012="Custom">
   <crs:Name><rdf:Alt><rdf:li xml:lang="x-default">Warm Fade 2</rdf:li></rdf:Alt></crs:Name>
   <crs:ToneCurvePV2012>
    <rdf:Seq><rdf:li>0, 20</rdf:li><rdf:li>64, 60</rdf:li><rdf:li>192, 200</rdf:li><rdf:li>255, 245</rdf:li></rdf:Seq>
   </crs:ToneCurvePV2012>
   <crs:ToneCurvePV2012Red>
    <rdf:Seq><rdf:li>0, 0</rdf:li><rdf:li>128, 140</rdf:li><rdf:li>255, 255</rdf:li></rdf:Seq>
   </crs:ToneCurvePV2012Red>
  </rdf:Description>
''' + TAIL

# newer Lightroom: simple values as elements too, masks as nested structures
ELEMENT_FORM = HEAD + '''  <rdf:Description rdf:about="" xmlns:crs="http://ns.adobe.com/camera-raw-settings/1.0/"
    xmlns:xmp="http://ns.adobe.com/xap/1.0/">
   <crs:Version>15.4</crs:Version>
   <crs:ProcessVersion>11.0</crs:ProcessVersion>
   <crs:Exposure2012>-0.35</crs:Exposure2012>
   <crs:Contrast2012>+15</crs:Contrast2012>
   <crs:Texture>+20</crs:Texture>
   <crs:Clarity2012>-10</crs:Clarity2012>
   <crs:WhiteBalance>Custom</crs:WhiteBalance>
   <crs:Temperature>5200</crs:Temperature>
   <crs:Tint>+15</crs:Tint>
   <crs:ParametricShadows>+40</crs:ParametricShadows>
   <crs:ParametricHighlights>-30</crs:ParametricHighlights>
   <crs:HasCrop>True</crs:HasCrop>
   <crs:CropLeft>0.1</crs:CropLeft>
   <crs:CropTop>0.05</crs:CropTop>
   <crs:CropRight>0.9</crs:CropRight>
   <crs:CropBottom>0.85</crs:CropBottom>
   <xmp:Rating>3</xmp:Rating>
   <crs:MaskGroupBasedCorrections>
    <rdf:Seq>
     <rdf:li>
      <rdf:Description crs:What="Correction" crs:CorrectionAmount="0.8" crs:CorrectionActive="true"
        crs:CorrectionName="Sky" crs:LocalExposure2012="-0.25" crs:LocalSaturation="0.2" crs:LocalDehaze="0.3">
       <crs:CorrectionMasks>
        <rdf:Seq>
         <rdf:li crs:What="Mask/Gradient" crs:MaskValue="1" crs:ZeroX="0.5" crs:ZeroY="0.45"
           crs:FullX="0.5" crs:FullY="0.05"/>
         <rdf:li crs:What="Mask/CircularGradient" crs:MaskBlendMode="1" crs:Top="0.25" crs:Left="0.3"
           crs:Bottom="0.45" crs:Right="0.7" crs:Angle="0" crs:Feather="60" crs:Flipped="false"/>
        </rdf:Seq>
       </crs:CorrectionMasks>
      </rdf:Description>
     </rdf:li>
     <rdf:li>
      <rdf:Description crs:What="Correction" crs:CorrectionAmount="1" crs:LocalExposure2012="0.1">
       <crs:CorrectionMasks>
        <rdf:Seq>
         <rdf:li crs:What="Mask/Image" crs:MaskSubType="1"/>
        </rdf:Seq>
       </crs:CorrectionMasks>
      </rdf:Description>
     </rdf:li>
    </rdf:Seq>
   </crs:MaskGroupBasedCorrections>
  </rdf:Description>
''' + TAIL


def test_attribute_form_maps_onto_kolors_settings():
    doc = parse_xmp(ATTRIBUTE_FORM)
    s, lost = crs_to_settings(doc.crs)
    assert s["exposure"] == 0.5
    assert s["contrast"] == pytest.approx(0.25) and s["highlights"] == pytest.approx(-0.4)
    assert s["shadows"] == pytest.approx(0.3) and s["whites"] == pytest.approx(0.1)
    assert s["blacks"] == pytest.approx(-0.15)
    assert s["vibrance"] == pytest.approx(0.2) and s["chroma_boost"] == pytest.approx(0.9)
    assert s["local_contrast"] is True and s["local_contrast_amount"] == pytest.approx(0.35)
    assert s["dehaze"] == pytest.approx(0.12)
    assert s["temperature"] == pytest.approx(6504 + 15 * 40) and s["tint"] == -8     # an offset, not kelvin
    assert s["hsl_orange_hue"] == pytest.approx(-0.06) and s["hsl_blue_sat"] == pytest.approx(0.22)
    assert s["hsl_green_lum"] == pytest.approx(-0.18)
    assert (s["split_shadow_hue"], s["split_shadow_sat"]) == (210, pytest.approx(0.2))
    assert (s["split_highlight_hue"], s["split_highlight_sat"]) == (45, pytest.approx(0.15))
    assert s["split_balance"] == pytest.approx(0.3)
    assert s["vignette"] == pytest.approx(-0.25) and s["vignette_midpoint"] == pytest.approx(0.4)
    assert s["tone_curve"] == [[0, 20 / 255], [64 / 255, 60 / 255], [192 / 255, 200 / 255], [1, 245 / 255]]
    assert s["tone_curve_red"] == [[0, 0], [128 / 255, 140 / 255], [1, 1]]
    # what has no counterpart is named, once each; zeros and Adobe's defaults are not
    assert [x.split("=")[0] for x in lost] == ["GrainAmount", "ColorGradeMidtoneHue", "ColorGradeMidtoneSat"]
    registry.validate_settings(s, allow_hidden=False)          # every value within its range


def test_element_form_with_white_balance_crop_parametric_and_masks():
    doc = parse_xmp(ELEMENT_FORM)
    assert doc.rating == 3
    s, lost = crs_to_settings(doc.crs)
    assert s["exposure"] == -0.35 and s["contrast"] == pytest.approx(0.15)
    assert s["detail_recovery"] == pytest.approx(0.2)
    assert "local_contrast" not in s and any(x.startswith("Clarity2012=-10") for x in lost)
    # an absolute white balance belongs to one photo: not carried over, and said so
    assert "temperature" not in s and any(x.startswith("WhiteBalance=Custom 5200 K") for x in lost)
    assert s["crop"] == [0.1, 0.05, 0.9, 0.85] and "straighten" not in s
    curve = s["tone_curve"]                                  # the parametric curve as points
    assert curve[0] == [0.0, 0.0] and curve[-1] == [1.0, 1.0]
    y = dict((round(x, 4), v) for x, v in curve)
    assert y[0.125] > 0.125 + 0.02 and y[0.875] < 0.875 - 0.01      # shadows lifted, highlights lowered
    (sky,) = s["masks"]                                      # the AI mask is not imported, and said so
    assert any("Mask/Image" in x for x in lost) and any("LocalDehaze" in x for x in lost)
    assert sky["name"] == "Sky" and sky["opacity"] == pytest.approx(0.8)
    assert sky["adjustments"] == {"exposure": pytest.approx(-1.0), "chroma_boost": pytest.approx(1.2)}
    # the crop moves the points: fractions of the whole photo → of the cropped one
    assert sky["kind"] == "linear"
    assert sky["start"] == pytest.approx([0.5, 0.0]) and sky["end"] == pytest.approx([0.5, 0.5])
    (rad,) = sky["combine"]
    assert rad["kind"] == "radial" and rad["mode"] == "subtract" and rad.get("invert", False) is False
    assert rad["center"] == pytest.approx([0.5, 0.375]) and rad["radius"] == pytest.approx([0.25, 0.125])
    assert rad["feather"] == pytest.approx(0.6)
    registry.validate_settings(s, allow_hidden=False)


def test_a_legacy_radial_filter_applies_outside_unless_flipped():
    def radial(flipped: str) -> dict:
        xmp = HEAD + f'''<rdf:Description rdf:about="" xmlns:crs="http://ns.adobe.com/camera-raw-settings/1.0/">
          <crs:CircularGradientBasedCorrections><rdf:Seq><rdf:li><rdf:Description crs:What="Correction"
            crs:CorrectionAmount="1" crs:LocalExposure2012="0.5"><crs:CorrectionMasks><rdf:Seq>
            <rdf:li crs:What="Mask/CircularGradient" crs:Top="0.2" crs:Left="0.2" crs:Bottom="0.8" crs:Right="0.8"
              crs:Angle="0" crs:Feather="50" crs:Flipped="{flipped}"/></rdf:Seq></crs:CorrectionMasks>
          </rdf:Description></rdf:li></rdf:Seq></crs:CircularGradientBasedCorrections></rdf:Description>''' + TAIL
        (m,) = crs_to_settings(parse_xmp(xmp).crs)[0]["masks"]
        return m
    assert radial("false")["invert"] is True
    assert radial("true").get("invert", False) is False
    assert radial("true")["adjustments"] == {"exposure": 2.0}


def test_bad_xmp_is_one_clear_error(tmp_path):
    from kolors.errors import InputError
    f = tmp_path / "broken.xmp"
    f.write_text("<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF")
    with pytest.raises(InputError, match="broken.xmp: not an XMP file"):
        read_xmp(f)


def kolors(*args, env_extra=None):
    env = dict(os.environ, PYTHONPATH=str(REPO / "app"), **(env_extra or {}))
    return subprocess.run([sys.executable, "-m", "kolors", *map(str, args)], capture_output=True, text=True,
                          env=env, timeout=300)


def test_cli_imports_a_folder_and_the_preset_is_used_like_any_other(tmp_path, sample_png):
    d = tmp_path / "Lightroom presets" / "Mine"
    d.mkdir(parents=True)
    (d / "warm.xmp").write_text(ATTRIBUTE_FORM)
    (d / "Sky Fix.xmp").write_text(ELEMENT_FORM)
    env = {"KOLORS_USER_DIR": str(tmp_path / "user")}
    r = kolors("presets", "import", tmp_path / "Lightroom presets", env_extra=env)
    assert r.returncode == 0, r.stderr
    assert "imported sky_fix from" in r.stdout and "imported warm_fade_2 from" in r.stdout   # its own name
    warnings = [ln for ln in r.stderr.splitlines() if "warning" in ln]
    assert len(warnings) == 2 and "GrainAmount=30" in r.stderr and "Mask/Image" in r.stderr
    shown = json.loads(kolors("presets", "show", "warm_fade_2", env_extra=env).stdout)
    assert shown["settings"]["exposure"] == 0.5
    out = tmp_path / "out.jpg"
    r = kolors("enhance", sample_png, "-o", out, "--preset", "warm_fade_2", env_extra=env)
    assert r.returncode == 0 and out.stat().st_size > 0, r.stderr
    (tmp_path / "bad.xmp").write_text("not xml")
    r = kolors("presets", "import", tmp_path / "bad.xmp", env_extra=env)
    assert r.returncode == 2 and "bad.xmp" in r.stderr and r.stderr.count("\n") == 1, r.stderr


def test_rating_and_label_written_beside_the_photo_and_the_rest_kept(tmp_path, sample_png):
    xmp = sample_png.with_suffix(".xmp")
    xmp.write_text(ELEMENT_FORM)
    before = sample_png.read_bytes()
    write_rating(sample_png, 5, "Green", set_label=True)
    doc = read_xmp(xmp)
    assert (doc.rating, doc.label) == (5, "Green")
    assert doc.crs["Exposure2012"] == "-0.35" and doc.crs["MaskGroupBasedCorrections"]   # kept
    write_rating(sample_png, -1)
    assert read_xmp(xmp).rating == -1 and read_xmp(xmp).label == "Green"
    write_rating(sample_png, None, None, set_label=True)
    assert read_xmp(xmp).label is None
    assert sample_png.read_bytes() == before
    other = tmp_path / "new.png"
    other.write_bytes(before)
    p = write_rating(other, 2)
    assert p == tmp_path / "new.xmp" and read_xmp(p).rating == 2
    with pytest.raises(ValueError, match="rating"):
        write_rating(other, 7)
    write_rating(other, keywords=["harbour", "dusk", " "])
    doc = read_xmp(p)
    assert doc.keywords == ["harbour", "dusk"] and doc.rating == 2
    write_rating(other, keywords=[])
    assert read_xmp(p).keywords == []


def test_a_photo_with_a_lightroom_sidecar_opens_with_its_settings(tmp_path, sample_png):
    from kolors.engine.edit import load_edit, save_edit
    sample_png.with_suffix(".xmp").write_text(ELEMENT_FORM)
    res = load_edit(sample_png)
    assert res.edit.params["exposure"] == -0.35 and res.edit.params["crop"] == [0.1, 0.05, 0.9, 0.85]
    assert "Lightroom settings imported" in res.warning and "Mask/Image" in res.warning
    save_edit(sample_png, res.edit.copy())               # once Kolors has its own sidecar, that one counts
    assert load_edit(sample_png).warning == ""
    other = tmp_path / "rated.png"
    other.write_bytes(sample_png.read_bytes())
    write_rating(other, 4)                                # a rating alone is not an edit
    assert load_edit(other).edit.is_unedited() and load_edit(other).warning == ""


def test_what_lightroom_means_but_kolors_cannot_map_one_to_one_is_warned():
    crs = {"HasCrop": "True", "CropLeft": "0.1", "CropTop": "0.1", "CropRight": "0.9", "CropBottom": "0.9",
           "CropAngle": "2.5", "ConvertToGrayscale": "True", "GrayMixerRed": "+20", "CameraProfile": "Adobe Portrait",
           "Look": {"Name": "Adobe Vivid", "Amount": "1"}, "ToneCurve": ["0, 0", "255, 255"], "Tint": "+30",
           "WhiteBalance": "As Shot"}
    s, lost = crs_to_settings(crs)
    assert s == {"chroma_boost": 0.0}                                  # black and white; no angled crop
    names = [x.split("=")[0].split(" ")[0] for x in lost]
    assert names == ["GrayMixerRed", "CameraProfile", "Look", "crop"], lost   # the identity ToneCurve is not
    s, lost = crs_to_settings({"HasCrop": "True", "CropLeft": "0.2", "CropTop": "0", "CropRight": "1",
                               "CropBottom": "1"}, orientation=6)       # a turned photo's crop
    assert "crop" not in s and lost[0].startswith("crop")


def test_lightroom_11_brush_strokes_and_their_eraser():
    xmp = HEAD + '''<rdf:Description rdf:about="" xmlns:crs="http://ns.adobe.com/camera-raw-settings/1.0/">
      <crs:MaskGroupBasedCorrections><rdf:Seq><rdf:li><rdf:Description crs:What="Correction"
        crs:CorrectionAmount="1" crs:LocalExposure2012="0.25"><crs:CorrectionMasks><rdf:Seq>
        <rdf:li crs:What="Mask/Aggregate"><crs:Masks><rdf:Seq>
          <rdf:li crs:What="Mask/Paint" crs:MaskValue="1" crs:Radius="0.05" crs:Flow="0" crs:CenterWeight="0">
            <crs:Dabs><rdf:Seq><rdf:li>d 0.2 0.5</rdf:li><rdf:li>d 0.4 0.5</rdf:li></rdf:Seq></crs:Dabs></rdf:li>
          <rdf:li crs:What="Mask/Paint" crs:MaskValue="0" crs:MaskBlendMode="1" crs:Radius="0.02">
            <crs:Dabs><rdf:Seq><rdf:li>d 0.3 0.5</rdf:li></rdf:Seq></crs:Dabs></rdf:li>
          <rdf:li crs:What="Mask/Paint" crs:MaskActive="false" crs:Radius="0.02">
            <crs:Dabs><rdf:Seq><rdf:li>d 0.9 0.9</rdf:li></rdf:Seq></crs:Dabs></rdf:li>
        </rdf:Seq></crs:Masks></rdf:li>
        <rdf:li crs:What="Mask/CircularGradient" crs:MaskActive="false" crs:Top="0" crs:Left="0" crs:Bottom="1"
          crs:Right="1"/>
      </rdf:Seq></crs:CorrectionMasks></rdf:Description></rdf:li></rdf:Seq></crs:MaskGroupBasedCorrections>
    </rdf:Description>''' + TAIL
    s, lost = crs_to_settings(parse_xmp(xmp).crs)
    (m,) = s["masks"]
    assert m["kind"] == "brush" and m["combine"] == [] and m["adjustments"] == {"exposure": 1.0}
    paint, erase = m["strokes"]               # the inactive stroke is left out
    assert paint["points"] == [[0.2, 0.5], [0.4, 0.5]] and paint["size"] == pytest.approx(0.1)
    assert paint["flow"] == pytest.approx(1e-3) and paint["feather"] == 1.0 and not paint["erase"]  # zeros kept
    assert erase["erase"] is True
    registry.validate_settings(s, allow_hidden=False)


def test_deeply_nested_xmp_is_one_clear_error():
    from kolors.errors import InputError
    inner = "<rdf:li>x</rdf:li>"
    for _ in range(400):
        inner = f"<rdf:li><crs:A><rdf:Seq>{inner}</rdf:Seq></crs:A></rdf:li>"
    xmp = HEAD + ('<rdf:Description rdf:about="" xmlns:crs="http://ns.adobe.com/camera-raw-settings/1.0/">'
                  f"<crs:B><rdf:Seq>{inner}</rdf:Seq></crs:B></rdf:Description>") + TAIL
    with pytest.raises(InputError, match="nested"):
        parse_xmp(xmp, "deep.xmp")


def test_rating_goes_where_the_file_has_it_and_prefixes_survive(tmp_path, sample_png):
    """An exiftool/digiKam-style sidecar: the rating in a second rdf:Description, other
    namespaces, a comment and the XML declaration. The rating is changed in place (never two),
    the prefixes and everything else are kept."""
    xmp = sample_png.with_suffix(".xmp")
    xmp.write_text('<?xml version="1.0" encoding="UTF-8"?>\n<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
                   '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
                   '<!-- written by a camera -->'
                   '<rdf:Description rdf:about="" xmlns:tiff="http://ns.adobe.com/tiff/1.0/" tiff:Make="ACME"/>'
                   '<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/" '
                   'xmlns:lr="http://ns.adobe.com/lightroom/1.0/" xmp:Rating="2">'
                   '<lr:hierarchicalSubject><rdf:Bag><rdf:li>Places|Harbour</rdf:li></rdf:Bag></lr:hierarchicalSubject>'
                   '</rdf:Description></rdf:RDF></x:xmpmeta>\n<?xpacket end="w"?>')
    write_rating(sample_png, 5, keywords=["harbour"])
    text = xmp.read_text()
    assert read_xmp(xmp).rating == 5 and text.count("Rating") == 1
    assert text.startswith('<?xml version="1.0"') and "<?xpacket begin" in text and text.rstrip().endswith("?>")
    assert 'tiff:Make="ACME"' in text and "lr:hierarchicalSubject" in text and "written by a camera" in text
    assert read_xmp(xmp).keywords == ["harbour"]
    xmp.write_bytes(b"\xff\xfe not utf-8")
    from kolors.errors import InputError
    with pytest.raises(InputError, match="not UTF-8"):
        write_rating(sample_png, 1)
    assert xmp.read_bytes() == b"\xff\xfe not utf-8"          # left as it was


def test_import_keeps_other_presets_and_names_apart(tmp_path, monkeypatch):
    from kolors.io.presets import import_xmp_presets, save_user_preset
    monkeypatch.setenv("KOLORS_USER_DIR", str(tmp_path / "user"))
    save_user_preset("warm_fade_2", {"exposure": 1.0}, "my own")           # not an import: kept
    d = tmp_path / "p"
    (d / "a").mkdir(parents=True)
    (d / "b").mkdir()
    (d / "a" / "x.xmp").write_text(ATTRIBUTE_FORM)                      # both named "Warm Fade 2"
    (d / "b" / "y.xmp").write_text(ATTRIBUTE_FORM.replace('crs:Exposure2012="+0.50"', 'crs:Exposure2012="+0.25"'))
    (d / "b" / "été.xmp").write_text(ELEMENT_FORM)
    names = sorted(i.name for i in import_xmp_presets(d))
    assert names == ["ete", "warm_fade_2_2", "warm_fade_2_3"]
    from kolors.io.presets import get_preset
    assert get_preset("warm_fade_2").settings == {"exposure": 1.0}
    again = sorted(i.name for i in import_xmp_presets(d / "a"))            # re-import updates its own
    assert again == ["warm_fade_2_2"]
