"""The layout is the architecture: imports only go down the layers, no cycles, small modules.

A ratchet: today's exceptions are listed explicitly; each list may only shrink.
Layer order (docs/architecture.md, HELPERS.md): cli -> service -> {engine, providers,
agents, broker, report} -> {config, state} -> {model, secret, errors, redact, fsutil,
project, clock, marker, gitcmd}. Imports inside functions count too: a lazy import up a
layer is still a dependency up a layer.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "agentauth"
MAX_LINES = 400

RANK = {
    "model": 0, "secret": 0, "errors": 0, "redact": 0, "fsutil": 0, "project": 0, "clock": 0,
    "marker": 0, "gitcmd": 0,
    "config": 1, "state": 1,
    "engine": 2, "providers": 2, "agents": 2, "broker": 2, "report": 2,
    "service": 3,
    "cli": 4, "launch": 4, "__main__": 4,
}  # fmt: skip

# (importing module, imported module) pairs that run up a layer today; may only shrink.
UPWARD_ALLOWED: set[tuple[str, str]] = set()
# Modules over MAX_LINES (with their size when listed); the list may only shrink.
LONG_ALLOWED: dict[str, int] = {}
# Import cycles (as sorted tuples of modules) that exist today; may only shrink.
CYCLES_ALLOWED: set[tuple[str, ...]] = set()


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(SRC.rglob("*.py")):
        parts = path.relative_to(SRC.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for target in names:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target.startswith("agentauth.") and target != name:
                targets.add(target)
    return targets


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {name: _imports(name, path, known) for name, path in modules.items()}


def _layer(module: str) -> tuple[str, int]:
    top = module.split(".")[1] if "." in module else ""
    return top, RANK.get(top, -1)


def test_every_top_level_name_has_a_layer() -> None:
    missing = sorted({_layer(m)[0] for m in _graph() if m != "agentauth"} - set(RANK))
    assert not missing, f"give these a layer in RANK and docs/architecture.md: {missing}"


def test_no_import_runs_up_a_layer() -> None:
    upward = set()
    for module, targets in _graph().items():
        top, rank = _layer(module)
        for target in targets:
            other, other_rank = _layer(target)
            if other != top and other_rank > rank:
                upward.add((module, target))
    new = sorted(upward - UPWARD_ALLOWED)
    assert not new, f"imports up the layer order: {new}"
    gone = sorted(UPWARD_ALLOWED - upward)
    assert not gone, f"fixed, remove from UPWARD_ALLOWED: {gone}"


def _cycles(graph: dict[str, set[str]]) -> set[tuple[str, ...]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: set[tuple[str, ...]] = set()
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                component.append(item)
                if item == node:
                    break
            if len(component) > 1:
                found.add(tuple(sorted(component)))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle() -> None:
    # NOTE: a package's __init__ importing its own submodules is not a cycle of design.
    graph = {
        m: {t for t in ts if not (m.startswith(t + ".") and _modules_is_package(t))}
        for m, ts in _graph().items()
    }
    cycles = _cycles(graph)
    new = sorted(cycles - CYCLES_ALLOWED)
    assert not new, f"import cycles: {new}"
    gone = sorted(CYCLES_ALLOWED - cycles)
    assert not gone, f"fixed, remove from CYCLES_ALLOWED: {gone}"


def _modules_is_package(name: str) -> bool:
    path = _modules().get(name)
    return path is not None and path.name == "__init__.py"


def test_no_module_over_400_lines() -> None:
    sizes = {
        name: len(path.read_text(encoding="utf-8").splitlines())
        for name, path in _modules().items()
    }
    long = {name: n for name, n in sizes.items() if n > MAX_LINES}
    new = sorted(name for name in long if name not in LONG_ALLOWED)
    assert not new, f"modules over {MAX_LINES} lines: {[(n, long[n]) for n in new]}"
    gone = sorted(name for name in LONG_ALLOWED if name not in long)
    assert not gone, f"now short enough, remove from LONG_ALLOWED: {gone}"
