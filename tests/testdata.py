"""Where the tests find their photos and LUTs.

``../shared/data`` (or ``$KOLORS_DATA``) is the full collection (all 24 Kodak photos, the
BSDS/CBSD sets, camera RAWs); ``tests/data`` ships with the repository and holds the few
files the tests need (seven Kodak photos, five .cube LUTs; see tests/data/SOURCES.md), so a
fresh clone runs every test that does not need the big collection."""
from __future__ import annotations

import os
from pathlib import Path

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
SHARED = Path(os.environ.get("KOLORS_DATA", REPO.parent / "shared" / "data"))
SHIPPED = TESTS / "data"
#: the full collection where present, else the files shipped in tests/data
DATA = SHARED if SHARED.is_dir() else SHIPPED
KODAK_DIR = DATA / "kodak"
LUT_DIR = DATA / "luts"


def kodak_photo(n: int | str) -> Path:
    """Kodak photo ``n`` (``23`` or ``"kodim23.png"``): from the full collection where
    present, else from tests/data (which has every photo a test names)."""
    name = n if isinstance(n, str) else f"kodim{n:02d}.png"
    for d in (KODAK_DIR, SHIPPED / "kodak"):
        if (d / name).is_file():
            return d / name
    raise FileNotFoundError(f"{name} is neither in {KODAK_DIR} nor in {SHIPPED / 'kodak'}")


def lut_file(name: str) -> Path:
    for d in (LUT_DIR, SHIPPED / "luts"):
        if (d / name).is_file():
            return d / name
    raise FileNotFoundError(f"{name} is neither in {LUT_DIR} nor in {SHIPPED / 'luts'}")
