"""Filmstrip of the open folder: thumbnails loaded by the worker (rendered with each photo's
edit; unedited ones from the file, a RAW's from its embedded preview), multi-selection for
batch export and pasting settings, and each photo's rating (stars under the thumbnail, ✕ for
rejected) and colour label (the text's colour), read from and written to its XMP sidecar
(:mod:`kolors.io.xmp`), so Lightroom, darktable and digiKam see the culling done here."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QImage, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QListWidget, QListWidgetItem

__all__ = ["Filmstrip", "stars"]

#: how a colour label shows in the filmstrip
LABEL_COLOURS = {"Red": QColor(230, 70, 60), "Yellow": QColor(235, 200, 50), "Green": QColor(90, 190, 90),
                 "Blue": QColor(80, 140, 235), "Purple": QColor(170, 100, 220)}


def stars(rating: int | None) -> str:
    """The filmstrip's text of a rating: ★ per star, ✕ rejected, '' none."""
    if rating is None or rating == 0:
        return ""
    return "✕" if rating < 0 else "★" * int(rating)


class Filmstrip(QListWidget):
    photoActivated = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setViewMode(QListWidget.ViewMode.IconMode)
        self.setFlow(QListWidget.Flow.LeftToRight)
        self.setWrapping(False)
        self.setIconSize(QSize(96, 72))
        self.setFixedHeight(100)
        self.setGridSize(QSize(104, 80))
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.setMovement(QListWidget.Movement.Static)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.items: dict[str, QListWidgetItem] = {}
        self.thumbs: set[str] = set()        # paths whose thumbnail has arrived
        self.ratings: dict[str, tuple[int | None, str | None]] = {}   # path → (rating, label)
        self.itemClicked.connect(self._clicked)

    def _clicked(self, it: QListWidgetItem) -> None:
        if len(self.selectedItems()) <= 1:
            self.photoActivated.emit(it.data(Qt.ItemDataRole.UserRole))

    def set_paths(self, paths: list[Path]) -> None:
        self.clear()
        self.items = {}
        self.thumbs = set()
        for p in paths:
            it = QListWidgetItem()      # the name is the tooltip: thumbnails only, like a filmstrip
            it.setData(Qt.ItemDataRole.UserRole, str(p))
            it.setToolTip(str(p))
            blank = QPixmap(96, 72)
            blank.fill(Qt.GlobalColor.darkGray)
            it.setIcon(QIcon(blank))
            self.addItem(it)
            self.items[str(p)] = it
            self._read_rating(str(p))

    def _read_rating(self, path: str) -> None:
        from ..errors import InputError
        from ..io.xmp import read_xmp, sidecar_xmp_path
        x = sidecar_xmp_path(path)
        rating = label = None
        if x.is_file():
            try:
                doc = read_xmp(x)
                rating, label = doc.rating, doc.label
            except InputError:
                pass                  # an unreadable sidecar: no rating shown, the file left alone
        self.show_rating(path, rating, label)

    def show_rating(self, path: str, rating: int | None, label: str | None) -> None:
        """Show ``rating`` and ``label`` on ``path``'s thumbnail."""
        it = self.items.get(path)
        if it is None:
            return
        self.ratings[path] = (rating, label)
        it.setText(stars(rating))
        it.setForeground(LABEL_COLOURS.get(label or "", QColor(230, 200, 80)))
        it.setToolTip(path + (f"\n{label}" if label else ""))

    def rating(self, path: str) -> tuple[int | None, str | None]:
        return self.ratings.get(path, (None, None))

    def set_thumbnail(self, path: str, image: QImage) -> None:
        it = self.items.get(path)
        if it is not None:
            it.setIcon(QIcon(QPixmap.fromImage(image)))
            self.thumbs.add(path)

    def paths(self) -> list[str]:
        """The listed photos, in order."""
        return [self.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.count())]

    def missing(self) -> list[str]:
        """Listed photos still without a thumbnail."""
        return [p for p in self.paths() if p not in self.thumbs]

    def set_current(self, path: str) -> None:
        it = self.items.get(path)
        if it is not None:
            self.blockSignals(True)
            self.setCurrentItem(it)
            self.blockSignals(False)

    def selected_paths(self) -> list[str]:
        return [it.data(Qt.ItemDataRole.UserRole) for it in self.selectedItems()]
