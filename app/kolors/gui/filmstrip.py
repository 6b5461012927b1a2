"""Filmstrip of the open folder: thumbnails loaded by the worker (rendered with each photo's
edit; unedited ones from the file, a RAW's from its embedded preview), multi-selection for
batch export and pasting settings."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QImage, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QListWidget, QListWidgetItem

__all__ = ["Filmstrip"]


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
