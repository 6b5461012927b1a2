"""``python -m kolors`` and the entry script of the desktop bundle (``kolors.spec``)."""
import os
import sys

if getattr(sys, "frozen", False):
    # bundle: numba's cache=True kernels need a writable cache (the bundle may be read-only)
    if not os.environ.get("NUMBA_CACHE_DIR"):
        import platformdirs

        os.environ["NUMBA_CACHE_DIR"] = os.path.join(platformdirs.user_cache_dir("kolors", appauthor=False), "numba")

from kolors.cli import main  # absolute: PyInstaller runs this file as a script, not as kolors.__main__

raise SystemExit(main())
