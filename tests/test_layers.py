"""The layer rule: core imports nothing else of the package; io knows no engine/gui;
nothing but gui imports Qt; nothing imports gui."""
from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "app" / "kolors"

ALLOWED = {
    "core": {"core"},
    "io": {"core", "io", "errors", "paths"},
    # model reads training photos and writes checkpoints atomically through io (io is
    # below it: io imports only core), a change from DESIGN.md's "may import core"
    "model": {"core", "io", "model", "errors", "paths"},
    "engine": {"core", "io", "model", "engine", "errors", "paths"},
    "cli": {"core", "io", "model", "engine", "gui", "errors", "paths", "cli", "cli_model", "cli_video"},
    "cli_model": {"core", "io", "model", "engine", "errors", "paths", "cli_model"},
    "cli_video": {"core", "io", "engine", "errors", "paths", "cli", "cli_video"},
    "gui": {"core", "io", "model", "engine", "gui", "errors", "paths"},
}


def _imports(path: Path) -> set[str]:
    """Top-level kolors subpackages and third-party roots a module imports."""
    tree = ast.parse(path.read_text())
    rel = path.relative_to(PKG)
    depth = len(rel.parts) - 1
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                up = rel.parts[: max(0, depth - node.level + 1)]
                base = ".".join(("kolors",) + tuple(up) + ((node.module,) if node.module else ()))
                out.add(base if node.module else base + "." + node.names[0].name)
            elif node.module:
                out.add(node.module)
    return out


def _layer(path: Path) -> str:
    rel = path.relative_to(PKG)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def test_layer_rule():
    bad = []
    for path in PKG.rglob("*.py"):
        layer = _layer(path)
        for mod in _imports(path):
            parts = mod.split(".")
            if parts[0] in ("PySide6", "pyqtgraph", "shiboken6") and layer != "gui":
                bad.append(f"{path.relative_to(PKG)} imports {mod} (Qt only in gui)")
            if parts[0] == "kolors" and len(parts) > 1 and layer in ALLOWED:
                target = parts[1]
                if target not in ALLOWED[layer] and target not in ("__init__",):
                    bad.append(f"{path.relative_to(PKG)} ({layer}) imports kolors.{target}")
    assert not bad, "\n".join(bad)


def test_importing_the_engine_loads_no_qt():
    import subprocess
    import sys
    code = ("import sys, kolors; from kolors import Enhancer; import kolors.cli, kolors.io.presets;"
            "from kolors.core import registry; registry.ops();"
            "bad=[m for m in sys.modules if m.startswith(('PySide6','kolors.gui'))]; print(bad); assert not bad")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
