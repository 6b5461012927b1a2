"""The task table: every task's name and its label in the app, in the order the app shows
them. Imports nothing (no numpy, no torch), so ``kolors --help`` lists the tasks at no cost; :data:`kolors.engine.tasks.TASKS` gives each task its classical method (checked
against this table when it is imported), the desktop app's buttons and the CLI's help
are made from it."""
from __future__ import annotations

__all__ = ["TASK_LABELS", "TASK_NAMES"]

#: task name → label of its button in the app
TASK_LABELS: dict[str, str] = {
    "color_correction": "Auto",
    "color_enhance": "Enhance",
    "white_balance": "White balance",
    "style_transfer": "Style transfer",
    "old_photo_restoration": "Old photo",
    "hdr_enhance": "HDR",
    "low_light": "Low light",
    "industrial": "Industrial",
}
TASK_NAMES: tuple[str, ...] = tuple(TASK_LABELS)
