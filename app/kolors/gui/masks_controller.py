"""Local adjustments in the window: the masks panel, the on-canvas tool and the overlay.

:class:`MasksController` connects the :class:`~kolors.gui.masks_panel.MasksPanel` (in the
controls), the :class:`~kolors.gui.mask_tool.MaskTool` (an overlay of the viewer while a
mask is selected and the crop tool is not active) and the worker's mask overlay (``O``).
Every change becomes an undoable edit of the ``masks`` parameter through the window, so
undo/redo, copy/paste, sidecars and exports carry masks like any other setting; a drag or
a brush stroke is one undo step.
"""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject

from .mask_tool import MaskTool

__all__ = ["MasksController"]


class MasksController(QObject):
    def __init__(self, window: Any):
        super().__init__(window)
        self.w = window
        self.panel = window.controls.masks_panel
        self.tool = MaskTool(window.viewer)
        self._overlay_job = 0
        p = self.panel
        p.masksChanged.connect(self._on_masks)
        p.selectionChanged.connect(self._on_selected)
        p.overlayToggled.connect(self.set_overlay)
        p.brushChanged.connect(self._on_brush)
        p.dragFinished.connect(window._on_drag_finished)
        self.tool.changed.connect(self._on_tool_change)
        self.tool.finished.connect(window._on_drag_finished)
        window.worker.maskOverlay.connect(self._on_overlay)

    # ------------------------------------------------------------------ state
    @property
    def overlay_on(self) -> bool:
        return self.panel.overlay_button.isChecked()

    def overlay_index(self) -> int | None:
        """The mask whose overlay the next preview should bring (None: no overlay)."""
        i = self.panel.selected()
        return i if self.overlay_on and i >= 0 and not self.w.crop.active else None

    def sync(self, settings: dict[str, Any]) -> None:
        """Show the edit's effective masks (a preset's included) and put the tool on the
        viewer while one is selected (the crop tool has it while active)."""
        before = self.panel.selected()
        self.panel.show_masks(settings.get("masks") or [])
        if self.panel.selected() != before:
            self.tool.overlay = None            # the overlay shown is another mask's
        self._place_tool()

    def _place_tool(self) -> None:
        self.tool.set_state(self.panel.masks, self.panel.selected())
        v = self.w.viewer
        if self.w.crop.active:
            return
        if self.tool.index >= 0:
            v.overlay = self.tool
        elif v.overlay is self.tool:
            v.overlay = None
        v.update()

    # ------------------------------------------------------------------ changes
    def _on_masks(self, masks: list, dragging: bool, label: str) -> None:
        # a drag (a handle, a stroke, a slider) is one undo step; every other change
        # (add, delete, rename, a typed value) is a step of its own
        self.w.set_param("masks", masks, dragging, label, merge=False)

    def _on_tool_change(self, index: int, mask: dict, dragging: bool, label: str) -> None:
        if 0 <= index < len(self.panel.masks):
            self.panel.set_mask(index, mask, label, dragging)

    def _on_selected(self, index: int) -> None:
        self.tool.overlay = None
        self._place_tool()
        if self.overlay_on:
            self.w.request_preview()

    def _on_brush(self) -> None:
        self.tool.brush = dict(self.panel.brush)
        self.w.viewer.update()

    def set_overlay(self, on: bool) -> None:
        """The selected mask in red on the photo (``O``)."""
        if self.panel.overlay_button.isChecked() != bool(on):
            self.panel.overlay_button.setChecked(bool(on))    # comes back here through the signal
            return
        self.tool.show_overlay = bool(on)
        if not on:
            self.tool.overlay = None
            self.w.viewer.update()
        else:
            self.w.request_preview()

    def toggle_overlay(self) -> None:
        self.set_overlay(not self.overlay_on)

    def resize_brush(self, factor: float) -> None:
        """``[`` and ``]``: the brush smaller or larger."""
        self.tool.resize_brush(factor)
        self.panel.brush["size"] = self.tool.brush["size"]
        self.panel.shape_sliders["brush_size"].set_value(self.tool.brush["size"])

    def _on_overlay(self, job: int, img, side: int, index: int) -> None:
        if (job < self._overlay_job or side != self.w._proxy_side or not self.overlay_on
                or index != self.panel.selected()):
            return
        self._overlay_job = job
        self.tool.overlay = img
        self.w.viewer.update()
