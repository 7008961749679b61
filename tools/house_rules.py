"""The house rules of dcnn's package, checked from its syntax trees: no module over 300 lines, no
function over 50, no class over 150; no import circle between its modules, counting the imports
inside functions (a lazy import that saves a second of torch is welcome, one that closes a loop is
not); and every import points down the layers below, or stays in its own layer.

    python tools/house_rules.py            # prints each breach; exit 1 when there is one
    python tools/house_rules.py --graph    # the layers, and which layer imports which
"""
from __future__ import annotations

import ast
import sys
from pathlib import Path
from typing import Optional

PACKAGE = Path(__file__).resolve().parent.parent / "dcnn"
LIMITS = {"module": 300, "function": 50, "class": 150}

# The layers, top to bottom, each named by the modules (or packages) in it. A module may import its
# own layer's modules and those of the layers below, never those above.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("cli", ("dcnn.cli", "dcnn.arguments", "dcnn.__main__", "dcnn")),
    ("report", ("dcnn.report",)),                  # results → HTML, PDF, LaTeX
    ("results", ("dcnn.results",)),                # the cache → results.json (and calibrate, decide, diff)
    ("run", ("dcnn.run",)),                        # plan, schedule, execute, executors, progress
    ("train", ("dcnn.train",)),                    # the numerics: models, freezing, fit, steps
    ("study", ("dcnn.study",)),                    # the study file → resolved runs (no torch)
    ("registry", ("dcnn.registry",)),              # models, data sources, report parts: names, checks, words
    ("data", ("dcnn.data",)),                      # decoding, caching and transforming images
    ("analysis", ("dcnn.analysis",)),              # statistics and their sentences (pure)
    ("store", ("dcnn.store", "dcnn.errors")),      # the build's files, faults, the error kinds
]


def _module_name(path: Path, package: Path = PACKAGE) -> str:
    parts = path.relative_to(package.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def sizes(package: Path = PACKAGE) -> list[str]:
    """Every module, function and class over its limit."""
    out = []
    for path in sorted(package.rglob("*.py")):
        text = path.read_text()
        lines = len(text.splitlines())
        where = path.relative_to(package.parent)
        if lines > LIMITS["module"]:
            out.append(f"{where}: module of {lines} lines (limit {LIMITS['module']})")
        for node in ast.walk(ast.parse(text)):
            kind = "class" if isinstance(node, ast.ClassDef) else \
                "function" if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) else None
            if kind and node.end_lineno - node.lineno + 1 > LIMITS[kind]:
                out.append(f"{where}:{node.lineno}: {kind} {node.name} of "
                           f"{node.end_lineno - node.lineno + 1} lines (limit {LIMITS[kind]})")
    return out


def imports(package: Path = PACKAGE) -> dict[str, dict[str, int]]:
    """{module: {package module it imports: the line}}, every import statement counted, at the top
    level or inside a function."""
    root = package.parent
    graph: dict[str, dict[str, int]] = {}

    def known(name: str) -> bool:
        p = root / name.replace(".", "/")
        return p.with_suffix(".py").exists() or p.is_dir()
    for path in sorted(package.rglob("*.py")):
        name = _module_name(path, package)
        here = name if path.name == "__init__.py" else name.rpartition(".")[0]
        deps: dict[str, int] = {}
        for node in ast.walk(ast.parse(path.read_text())):
            targets: list[str] = []
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = here.split(".")
                    base = base[:len(base) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                if target.split(".")[0] == package.name:
                    targets = [f"{target}.{a.name}" if known(f"{target}.{a.name}") else target for a in node.names]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names if a.name.split(".")[0] == package.name]
            for t in targets:
                if t != name:
                    deps.setdefault(t, node.lineno)
        graph[name] = deps
    return graph


def cycles(graph: Optional[dict[str, dict[str, int]]] = None) -> list[list[str]]:
    """Import circles between the package's modules (a package's __init__ importing its own modules is not one)."""
    graph = imports() if graph is None else graph
    found, state = [], {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = "open"
        for dep in sorted(graph.get(node, ())):
            if dep.startswith(node + "."):
                continue
            if state.get(dep) == "open":
                found.append(stack[stack.index(dep):] + [dep])
            elif dep not in state:
                visit(dep, stack + [dep])
        state[node] = "done"
    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    return found


def layer_of(module: str) -> Optional[int]:
    """The index of the module's layer in LAYERS (0 = the top), by the longest name that holds it."""
    best, index = -1, None
    for i, (_, names) in enumerate(LAYERS):
        for n in names:
            if (module == n or module.startswith(n + ".")) and len(n) > best:
                best, index = len(n), i
    return index


def upward(graph: Optional[dict[str, dict[str, int]]] = None) -> list[str]:
    """Every import from a lower layer to a higher one, and every module in no layer."""
    graph = imports() if graph is None else graph
    out = []
    for module, deps in sorted(graph.items()):
        mine = layer_of(module)
        if mine is None:
            out.append(f"{module}: in no layer (add it to LAYERS in tools/house_rules.py)")
            continue
        for dep, line in sorted(deps.items()):
            theirs = layer_of(dep)
            if theirs is not None and theirs < mine:
                out.append(f"{module}:{line} imports {dep}: layer '{LAYERS[mine][0]}' may not import "
                           f"layer '{LAYERS[theirs][0]}' above it")
    return out


def layer_graph(graph: Optional[dict[str, dict[str, int]]] = None) -> str:
    """The layers, top to bottom, and the layers each one imports."""
    graph = imports() if graph is None else graph
    uses: dict[int, set[int]] = {i: set() for i in range(len(LAYERS))}
    for module, deps in graph.items():
        for dep in deps:
            a, b = layer_of(module), layer_of(dep)
            if a is not None and b is not None and a != b:
                uses[a].add(b)
    return "\n".join(f"{name:<9} → {', '.join(LAYERS[j][0] for j in sorted(uses[i])) or '—'}"
                     for i, (name, _) in enumerate(LAYERS))


def breaches(package: Path = PACKAGE) -> list[str]:
    graph = imports(package)
    return sizes(package) + [" → ".join(c) + ": an import circle" for c in cycles(graph)] + upward(graph)


def main(argv: list[str]) -> int:
    if "--graph" in argv:
        print(layer_graph())
        return 0
    found = breaches()
    for b in found:
        print(b)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
