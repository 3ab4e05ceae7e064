"""The modules of replica/ import each other without a cycle and never upward across its layers,
lazy imports inside functions counted.

A cycle hidden in a function-level import still ties two modules into one: neither can be read,
tested or moved alone (reset and spare were such a pair). The layers, bottom up (README, Layout):
core, then the model (stack) and the two libraries (data, gate) over a URL and a settings object,
the engine over the model, the commands over all of them, and thin invoke tasks on top.
"""
from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "replica"
# layer -> the layers its modules may import (a module's layer: the longest prefix that names one)
MAY_IMPORT = {
    "core": {"core"},
    "stack": {"core", "stack"},
    "engine": {"core", "stack", "engine"},
    "data": {"core", "data"},
    "data.db": {"core", "data", "data.db"},
    "data.dumps": {"core", "data", "data.db", "data.dumps"},
    "gate": {"core", "data", "data.db", "gate"},
    "reporting": {"core", "gate", "reporting"},  # history and announcements, over a results folder
    "k8s": {"core", "stack", "gate", "k8s"},  # renderings of the model for Kubernetes
    "commands": {"core", "stack", "engine", "data", "data.db", "data.dumps", "gate", "reporting",
                 "k8s", "commands"},
    "deploy": {"core", "stack", "gate", "reporting", "commands", "deploy"},  # push-to-deploy, promote
    "tasks": {"core", "stack", "commands", "deploy", "tasks"},
    "pytest_plugin": {"core", "stack", "data", "data.db", "gate", "commands"},  # a face, like tasks
}


def module_names(package_dir: Path) -> dict[str, Path]:
    names = {}
    for path in package_dir.rglob("*.py"):
        parts = path.relative_to(package_dir.parent).with_suffix("").parts
        names[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return names


def imported(module: str, path: Path, node: ast.AST, known: dict[str, Path]) -> list[str]:
    """The modules of known that one import statement of module reaches."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names if alias.name in known]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    base = node.module or ""
    if node.level:
        anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
        base = ".".join(anchor + ([node.module] if node.module else []))
    reached = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
               for alias in node.names]
    return [name for name in reached if name in known]


def import_graph(package_dir: Path) -> dict[str, set[str]]:
    """Each module and the modules of the same package it imports."""
    known = module_names(package_dir)
    graph: dict[str, set[str]] = {module: set() for module in known}
    for module, path in known.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                graph[module].update(target for target in imported(module, path, node, known)
                                     if target not in (module, PACKAGE))
    return graph


def a_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle (its modules in order), or [] when there is none."""
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as error:
        return error.args[1]
    return []


def test_no_module_of_replica_is_in_an_import_cycle():
    assert a_cycle(import_graph(ROOT / PACKAGE)) == []


def test_the_check_sees_a_cycle_made_by_a_lazy_import(tmp_path):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from . import b\n")
    (package / "b.py").write_text("def late():\n    from .a import thing\n")
    assert sorted(set(a_cycle(import_graph(package)))) == ["pkg.a", "pkg.b"]


def layer_of(module: str, package: str = PACKAGE) -> str | None:
    rest = module.removeprefix(package + ".")
    named = [layer for layer in MAY_IMPORT if rest == layer or rest.startswith(layer + ".")]
    return max(named, key=len) if named else None


def upward_imports(graph: dict[str, set[str]], package: str = PACKAGE) -> list[str]:
    """Every import from a module to one of a layer it may not import, as "a -> b"."""
    found = []
    for module, targets in sorted(graph.items()):
        layer = layer_of(module, package)
        for target in sorted(targets):
            reached = layer_of(target, package)
            if layer and reached and reached not in MAY_IMPORT[layer]:
                found.append(f"{module} -> {target}")
    return found


def test_every_module_of_replica_is_in_a_layer():
    unplaced = [m for m in import_graph(ROOT / PACKAGE) if m != PACKAGE and layer_of(m) is None]
    assert unplaced == []


def test_no_module_imports_upward_across_the_layers():
    assert upward_imports(import_graph(ROOT / PACKAGE)) == []


def test_the_check_sees_an_upward_import_made_lazily(tmp_path):
    package = tmp_path / "replica"
    for folder in ("", "stack", "engine"):
        (package / folder).mkdir(exist_ok=True)
        (package / folder / "__init__.py").write_text("")
    (package / "engine" / "compose.py").write_text("X = 1\n")
    (package / "stack" / "plan.py").write_text("def late():\n    from ..engine.compose import X\n")
    assert upward_imports(import_graph(package)) == ["replica.stack.plan -> replica.engine.compose"]


def test_a_gate_without_k6_shards_does_not_import_numpy():
    """The cached verdict and every gate import replica.commands.gate: numpy (~0.13 s) is only
    for merging k6 shards' samples."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", "import sys, replica.commands.gate; "
                           "print('numpy' in sys.modules)"], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "False", done.stderr
