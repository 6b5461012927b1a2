"""Preset browser: shipped and user presets with thumbnails rendered on the current photo
by the worker. One click applies a preset; "Save…" stores the current settings as a user
preset."""
from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QImage, QPixmap
from PySide6.QtWidgets import QHBoxLayout, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget

__all__ = ["PresetBrowser"]

THUMB = 120


class PresetBrowser(QWidget):
    presetChosen = Signal(str)
    saveRequested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.list = QListWidget()
        self.list.setViewMode(QListWidget.ViewMode.IconMode)
        self.list.setIconSize(QSize(THUMB, THUMB * 2 // 3))
        self.list.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.list.setMovement(QListWidget.Movement.Static)
        self.list.setSpacing(4)
        self.list.setUniformItemSizes(True)
        self.list.itemClicked.connect(lambda it: self.presetChosen.emit(it.data(Qt.ItemDataRole.UserRole)))
        lay.addWidget(self.list)
        row = QHBoxLayout()
        self.save = QPushButton("Save current as preset…")
        self.save.clicked.connect(self.saveRequested.emit)
        row.addWidget(self.save)
        lay.addLayout(row)
        self.items: dict[str, QListWidgetItem] = {}

    def set_presets(self, names: list[str], user: set[str]) -> None:
        self.list.clear()
        self.items = {}
        for n in names:
            it = QListWidgetItem(n + (" ★" if n in user else ""))
            it.setData(Qt.ItemDataRole.UserRole, n)
            it.setToolTip(("user preset " if n in user else "preset ") + n)
            blank = QPixmap(THUMB, THUMB * 2 // 3)
            blank.fill(Qt.GlobalColor.darkGray)
            it.setIcon(QIcon(blank))
            self.list.addItem(it)
            self.items[n] = it

    def set_thumbnail(self, name: str, image: QImage) -> None:
        it = self.items.get(name)
        if it is not None:
            it.setIcon(QIcon(QPixmap.fromImage(image)))

    def select(self, name: str | None) -> None:
        self.list.blockSignals(True)
        self.list.clearSelection()
        if name in self.items:
            self.items[name].setSelected(True)
        self.list.blockSignals(False)
