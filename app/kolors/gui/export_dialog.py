"""Export dialog: format, quality, bit depth, colour space, size, output sharpening, folder
and a name template."""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout,
                               QLineEdit, QPushButton, QSpinBox, QWidget)

from ..core.colorimetry import OUTPUT_SPACES

__all__ = ["ExportOptions", "ExportDialog", "output_name"]

FORMATS = {"JPEG": ".jpg", "PNG": ".png", "TIFF": ".tif", "AVIF": ".avif", "JPEG XL": ".jxl"}
BITS = {"JPEG": (8,), "PNG": (8, 16), "TIFF": (8, 16, 32), "AVIF": (8,), "JPEG XL": (8,)}
#: output sharpening choices: amount for :meth:`Enhancer.export_graded` (0–2), for the size written
SHARPENING = {"None": 0.0, "Screen, low": 0.5, "Screen, standard": 1.0, "High": 1.5}
#: colour spaces: the dialog's label → the engine's name (:data:`kolors.core.colorimetry.OUTPUT_SPACES`)
PROFILES = {label.split(" IEC")[0].replace(" compatible", ""): name
            for name, (label, *_rest) in OUTPUT_SPACES.items()}


@dataclass
class ExportOptions:
    folder: Path
    template: str = "{name}_kolors"
    format: str = "JPEG"
    quality: int = 95
    bits: int = 8
    long_side: int | None = None      # None: full resolution
    output_sharpening: float = 0.0    # 0–2, for the size written (see SHARPENING)
    profile: str = "srgb"             # the colour space written (see PROFILES)

    def destination(self, src: str | Path, n: int = 1, preset: str | None = None, task: str | None = None) -> Path:
        return self.folder / (output_name(self.template, Path(src), n, preset, task) + FORMATS[self.format])


def output_name(template: str, src: Path, n: int = 1, preset: str | None = None, task: str | None = None) -> str:
    """``{name}`` (the photo's name without suffix), ``{n}`` (running number), ``{preset}``,
    ``{task}``, ``{date}`` (YYYY-MM-DD). ``ValueError`` for an unknown field or an empty
    or path-like result."""
    try:
        out = template.format(name=src.stem, n=n, preset=preset or "none", task=task or "none",
                              date=time.strftime("%Y-%m-%d"))
    except (KeyError, IndexError, ValueError) as e:
        raise ValueError(f"name template {template!r}: unknown field {e}; use {{name}} {{n}} {{preset}} "
                         "{task} {date}") from e
    if not out.strip() or "/" in out or "\\" in out or out in (".", ".."):
        raise ValueError(f"name template {template!r} gives an unusable file name {out!r}")
    return out


class ExportDialog(QDialog):
    def __init__(self, parent: QWidget | None, folder: Path, count: int = 1, options: ExportOptions | None = None):
        super().__init__(parent)
        self.setWindowTitle("Export" if count == 1 else f"Export {count} photos")
        o = options or ExportOptions(folder)
        form = QFormLayout(self)
        self.format = QComboBox()
        self.format.addItems(list(FORMATS))
        self.format.setCurrentText(o.format)
        self.quality = QSpinBox()
        self.quality.setRange(1, 100)
        self.quality.setValue(o.quality)
        self.bits = QComboBox()
        self.size = QComboBox()
        self.size.setEditable(True)
        self.size.addItems(["Full resolution", "3840", "2560", "2048", "1600", "1080"])
        self.size.setCurrentText("Full resolution" if o.long_side is None else str(o.long_side))
        self.sharpening = QComboBox()
        self.sharpening.addItems(list(SHARPENING))
        self.sharpening.setToolTip("Sharpening for the size written (screen or print), after every other step")
        self.sharpening.setCurrentText(next((k for k, v in SHARPENING.items() if v == o.output_sharpening), "None"))
        self.profile = QComboBox()
        self.profile.addItems(list(PROFILES))
        self.profile.setToolTip("The colour space written, with its ICC profile; the wide-gamut spaces are "
                                "best at 16 bits")
        self.profile.setCurrentText(next((k for k, v in PROFILES.items() if v == o.profile), "sRGB"))
        self.folder = QLineEdit(str(o.folder))
        browse = QPushButton("…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.folder, 1)
        row.addWidget(browse)
        self.template = QLineEdit(o.template)
        self.template.setToolTip("{name} {n} {preset} {task} {date}")
        form.addRow("Format", self.format)
        form.addRow("Quality", self.quality)
        form.addRow("Bit depth", self.bits)
        form.addRow("Colour space", self.profile)
        form.addRow("Long side", self.size)
        form.addRow("Output sharpening", self.sharpening)
        form.addRow("Folder", row)
        form.addRow("File name", self.template)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.format.currentTextChanged.connect(self._format_changed)
        self._format_changed(o.format)
        self.bits.setCurrentText(str(o.bits))

    def _format_changed(self, fmt: str) -> None:
        cur = self.bits.currentText()
        self.bits.clear()
        self.bits.addItems([str(b) for b in BITS[fmt]])
        if cur in [str(b) for b in BITS[fmt]]:
            self.bits.setCurrentText(cur)
        self.quality.setEnabled(fmt in ("JPEG", "AVIF", "JPEG XL"))

    def _browse(self) -> None:
        d = QFileDialog.getExistingDirectory(self, "Export folder", self.folder.text())
        if d:
            self.folder.setText(d)

    def options(self) -> ExportOptions:
        """The chosen options (``ValueError`` for a bad size or template)."""
        size = self.size.currentText().strip()
        long_side = None
        if size and not size.lower().startswith("full"):
            try:
                long_side = int(size)
            except ValueError:
                raise ValueError(f"long side must be a number of pixels, got {size!r}") from None
            if long_side < 16:
                raise ValueError("long side must be at least 16 pixels")
        o = ExportOptions(Path(self.folder.text()).expanduser(), self.template.text() or "{name}_kolors",
                          self.format.currentText(), self.quality.value(), int(self.bits.currentText()), long_side,
                          SHARPENING[self.sharpening.currentText()], PROFILES[self.profile.currentText()])
        output_name(o.template, Path("photo.jpg"))
        return o
