"""The layer rule: core imports nothing else of the package; io knows no engine/gui;
nothing but gui imports Qt; nothing imports gui. And no import cycles between modules.

Imports are read from the source (the AST of every file under app/kolors), so an import
inside a function counts as much as one at the top: a lazy import only postpones a cycle
to the first call, and the modules still cannot be understood or tested apart. The only
imports that do not count are those listed in :data:`CYCLE_EXCEPTIONS`, each with the
reason it is harmless (empty, and it should stay so)."""
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
    # cli_common: what every command shares (CliError, --set, path checks, common flags)
    "cli_common": {"core", "io", "errors", "paths", "cli_common"},
    "cli": {"core", "io", "model", "engine", "gui", "errors", "paths", "cli", "cli_common", "cli_model",
            "cli_video"},
    "cli_model": {"core", "io", "model", "engine", "errors", "paths", "cli_model", "cli_common"},
    "cli_video": {"core", "io", "engine", "errors", "paths", "cli_video", "cli_common"},
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


# ---------------------------------------------------------------------------------- cycles
#: (importing module, imported module) edges left out of the cycle check, each with its
#: reason. Keep it empty: break a cycle by moving the shared code down a layer instead.
CYCLE_EXCEPTIONS: dict[tuple[str, str], str] = {}


def _module_name(path: Path) -> str:
    rel = path.relative_to(PKG).with_suffix("")
    parts = ("kolors",) + rel.parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _module_graph() -> dict[str, set[str]]:
    """kolors module → the kolors modules it imports (anywhere in the file). ``from X import
    name`` imports the submodule ``X.name`` when there is one, else ``X``; importing a
    package's submodule does not count as importing the package's ``__init__`` (that runs
    first but imports nothing back)."""
    files = {_module_name(p): p for p in PKG.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for mod, path in files.items():
        is_pkg = path.name == "__init__.py"
        pkg = mod if is_pkg else mod.rsplit(".", 1)[0]
        out: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = pkg.split(".")[: len(pkg.split(".")) - node.level + 1]
                    base_name = ".".join(base + ([node.module] if node.module else []))
                else:
                    base_name = node.module or ""
                targets = [f"{base_name}.{a.name}" if f"{base_name}.{a.name}" in files else base_name
                           for a in node.names]
            else:
                continue
            for t in targets:
                while t and t not in files and "." in t:   # `import kolors.x.y` of a name inside
                    t = t.rsplit(".", 1)[0]
                if t in files and t != mod and (mod, t) not in CYCLE_EXCEPTIONS:
                    out.add(t)
        graph[mod] = out
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle (a → b → … → a) per strongly connected component of more than one module
    (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    comps: list[set[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(graph[w]))))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = set()
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.add(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    comps.append(comp)
    out = []
    for comp in comps:   # a shortest way back to the start, inside the component
        start = min(comp)
        prev: dict[str, str] = {}
        frontier, seen = [start], {start}
        found = None
        while frontier and found is None:
            nxt = []
            for v in frontier:
                for w in sorted(graph[v] & comp):
                    if w == start:
                        found = v
                        break
                    if w not in seen:
                        seen.add(w)
                        prev[w] = v
                        nxt.append(w)
                if found is not None:
                    break
            frontier = nxt
        path = [found]
        while path[-1] != start:
            path.append(prev[path[-1]])
        out.append(path[::-1] + [start])
    return out


def test_the_cycle_finder_finds_cycles():
    g = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"e"}}
    assert _cycles(g) == [["a", "b", "c", "a"]]


def test_no_import_cycles():
    """No module imports, directly or through others, a module that imports it back (lazy
    imports inside functions included; see the module docstring)."""
    cycles = _cycles(_module_graph())
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)
