"""The house rules of dcnn's package, checked from its syntax trees: no module over 300 lines, no
function over 50, no class over 150, and no import circle between its modules.

    python tools/house_rules.py          # prints each breach; exit 1 when there is one
"""
from __future__ import annotations

import ast
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "dcnn"
LIMITS = {"module": 300, "function": 50, "class": 150}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def sizes() -> list[str]:
    """Every module, function and class over its limit."""
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text()
        lines = len(text.splitlines())
        if lines > LIMITS["module"]:
            out.append(f"{path.relative_to(PACKAGE.parent)}: module of {lines} lines (limit {LIMITS['module']})")
        for node in ast.walk(ast.parse(text)):
            kind = "class" if isinstance(node, ast.ClassDef) else \
                "function" if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) else None
            if kind and node.end_lineno - node.lineno + 1 > LIMITS[kind]:
                out.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: {kind} {node.name} of "
                           f"{node.end_lineno - node.lineno + 1} lines (limit {LIMITS[kind]})")
    return out


def imports() -> dict[str, set[str]]:
    """{module: the package modules it imports at its top level (not inside functions)}."""
    graph: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = _module_name(path)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        deps = set()
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.ImportFrom) and node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
                for alias in node.names:
                    sub = f"{target}.{alias.name}"
                    deps.add(sub if (PACKAGE.parent / sub.replace(".", "/")).with_suffix(".py").exists()
                             or (PACKAGE.parent / sub.replace(".", "/")).is_dir() else target)
            elif isinstance(node, ast.Import):
                deps |= {a.name for a in node.names if a.name.startswith("dcnn")}
        graph[name] = {d for d in deps if d != name}
    return graph


def cycles() -> list[list[str]]:
    """Import circles between the package's modules (a package's __init__ importing its own modules is not one)."""
    graph = imports()
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


def main() -> int:
    breaches = sizes() + [" → ".join(c) + ": an import circle" for c in cycles()]
    for b in breaches:
        print(b)
    return 1 if breaches else 0


if __name__ == "__main__":
    sys.exit(main())
