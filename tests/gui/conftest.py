"""GUI test helpers. Waiting runs a real QEventLoop (which releases the GIL while idle):
``QTest.qWait`` — and so pytest-qt's ``waitUntil`` — keeps the GIL while it sleeps in
PySide6, which starves the render worker thread 30-60×."""
from __future__ import annotations

import shutil

import pytest

pytest.importorskip("PySide6")


@pytest.fixture
def photos(tmp_path):
    """Kodak photos 1-3 (768×512) copied into a folder of their own (sidecars go next to
    them): from ../shared/data where present, else tests/data."""
    from testdata import kodak_photo
    d = tmp_path / "photos"
    d.mkdir()
    for n in (1, 2, 3):
        p = kodak_photo(n)
        shutil.copy(p, d / p.name)
    return sorted(d.iterdir())


@pytest.fixture
def window(qtbot):
    from kolors.engine.enhancer import Enhancer
    from kolors.gui.main_window import MainWindow
    w = MainWindow(enhancer_factory=lambda: Enhancer(model_type="general", device="cpu",
                                                     mem_optim={"tile_size": 128}))
    qtbot.addWidget(w)
    from kolors.gui.app import prepare_process
    prepare_process()          # as run_gui does once the window is built (GIL switch interval, frozen heap)
    w.resize(1200, 800)
    w.show()
    yield w
    w._force_close = True      # never ask (a failed test may leave an export running)
    w.close()
