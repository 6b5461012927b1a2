"""Working with other photo tools in the window: ratings and colour labels in the filmstrip,
kept in each photo's XMP sidecar."""
from __future__ import annotations

import pytest

from gui_helpers import open_photo

pytestmark = pytest.mark.slow


def test_ratings_and_labels_in_the_filmstrip_go_to_the_xmp_sidecar(window, photos):
    """Ctrl+3 rates the open photo (1 stays 100 %), Ctrl+8 labels it green and again
    removes the label; selected filmstrip photos are rated together; other programs read
    it from NAME.xmp; a folder opened again shows the stars."""
    from kolors.io.xmp import read_xmp
    open_photo(window, photos[0].parent)
    window.rating_actions[3].trigger()
    xmp = photos[0].with_suffix(".xmp")
    assert read_xmp(xmp).rating == 3
    fs = window.filmstrip
    assert fs.items[str(photos[0])].text() == "★★★"
    label = next(a for a in window.findChildren(type(window.rating_actions[0])) if a.text() == "Label green")
    assert label.shortcut().toString() == "Ctrl+8"
    label.trigger()
    assert read_xmp(xmp).label == "Green" and read_xmp(xmp).rating == 3
    label.trigger()
    assert read_xmp(xmp).label is None
    fs.clearSelection()
    fs.items[str(photos[1])].setSelected(True)
    fs.items[str(photos[2])].setSelected(True)
    window.rating_actions[5].trigger()
    assert [read_xmp(p.with_suffix(".xmp")).rating for p in photos[1:]] == [5, 5]
    window.edit_keywords(["harbour", "boats"])              # Ctrl+K asks; here given
    assert read_xmp(xmp).keywords == ["harbour", "boats"] and read_xmp(xmp).rating == 3
    fs.set_paths(sorted(photos))                            # the folder read again
    assert [fs.items[str(p)].text() for p in photos] == ["★★★", "★★★★★", "★★★★★"]


def test_export_in_display_p3_from_the_dialog(window, photos, tmp_path, qtbot):
    """The export dialog's colour space reaches the file: the Display P3 profile embedded,
    the pixels those of the engine's P3 export."""
    import io

    import numpy as np
    from PIL import ImageCms

    from gui_helpers import idle, wait_until
    from kolors.engine.enhancer import Enhancer
    from kolors.engine.session import PhotoSession
    from kolors.gui.export_dialog import ExportDialog
    from kolors.io.images import read_image
    open_photo(window, photos[0])
    window._on_param("exposure", 0.2, False)
    idle(window)
    dlg = ExportDialog(window, tmp_path / "out")
    qtbot.addWidget(dlg)
    dlg.format.setCurrentText("PNG")
    dlg.bits.setCurrentText("16")
    dlg.profile.setCurrentText("Display P3")
    opts = dlg.options()
    assert opts.profile == "display-p3"
    job = window.export(opts)
    wait_until(lambda: window.last_export[0] == job, 120, "the export")
    got = read_image(window.last_export[1][0])
    assert "Display P3" in ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(got.icc)))
    session = PhotoSession(Enhancer(model_type="general", device="cpu"), photos[0])
    ref = session.export(tmp_path / "ref.png", window.edit.settings(), bits=16, profile="display-p3")
    assert np.array_equal(got.data, read_image(ref).data)


def test_soft_proof_and_gamut_warning(window, photos, tmp_path):
    """S shows the photo as a small-gamut output profile holds it (an ICC file, as a printer's
    would be chosen); Shift+S paints what it cannot hold magenta; off, the edit is back."""
    import numpy as np

    from gui_helpers import idle, wait_until
    from kolors.engine.display import GAMUT_WARNING_RGB
    from kolors.io.images.icc import matrix_icc
    open_photo(window, photos[0])
    window.viewer.set_mode("toggle")
    idle(window)
    narrow = tmp_path / "narrow.icc"
    narrow.write_bytes(matrix_icc("Narrow test press", ((0.55, 0.33), (0.33, 0.52), (0.2, 0.15)), (0.3127, 0.329),
                                  (0, (2.2,))))
    window.set_proof_profile(str(narrow), narrow.read_bytes())
    window.proof_action.trigger()
    idle(window)
    wait_until(lambda: window.viewer.proof_after is not None, 60, "the soft proof")
    assert "Narrow test press" in window.proof_label.text()
    plain = window.viewer.proof_after
    window.gamut_action.trigger()
    idle(window)
    wait_until(lambda: window.viewer.proof_after is not plain, 60, "the gamut warning")
    img = window.viewer.proof_after.convertToFormat(window.viewer.proof_after.Format.Format_RGB888)
    w, h, bpl = img.width(), img.height(), img.bytesPerLine()
    a = np.frombuffer(img.constBits(), np.uint8, count=bpl * h).reshape(h, bpl)[:, :3 * w].reshape(h, w, 3)
    warned = (a == np.array(GAMUT_WARNING_RGB)).all(2).mean()
    share = float(window.proof_label.text().rsplit("gamut", 1)[1].strip(" %")) / 100
    assert warned > 0.005 and abs(warned - share) < 0.02
    window.proof_action.trigger()
    idle(window)
    assert window.viewer.proof_after is None and window.proof_label.text() == ""


def test_a_photo_with_a_lightroom_sidecar_opens_with_its_settings(window, photos):
    from gui_helpers import idle
    photos[1].with_suffix(".xmp").write_text(
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:crs="http://ns.adobe.com/camera-raw-settings/1.0/" '
        'crs:Exposure2012="+0.70" crs:Vibrance="+25" crs:GrainAmount="20"/></rdf:RDF></x:xmpmeta>')
    open_photo(window, photos[1])
    idle(window)
    assert window.edit.params["exposure"] == 0.7 and window.edit.params["vibrance"] == 0.25
    assert "GrainAmount" in window.last_error or any("GrainAmount" in d.text() for d in window.dialogs)
