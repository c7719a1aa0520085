"""The Python package's layout rules (issue 13): no module imports another
that imports it back, directly or around a loop, counting the imports inside
functions too (a deferred import is still a cycle in the design); package
``__init__`` files, the facades that gather their modules, are the one
exception. And ``nn.functional``'s ``__all__`` names only what it has."""

import ast
import pathlib

import autorust
import autorust.nn.functional as F

PACKAGE = pathlib.Path(autorust.__file__).resolve().parent


def _modules():
    """Dotted name -> path of every module of the package."""
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _imports(name, path, modules):
    """The package modules that `name` imports, anywhere in its body."""
    is_package = path.name == "__init__.py"
    here = name.split(".") if is_package else name.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = here[: len(here) - node.level + 1] if node.level else []
            target = ".".join(base + ([node.module] if node.module else []))
            for alias in node.names:
                candidate = f"{target}.{alias.name}"
                found.add(candidate if candidate in modules else target)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {m for m in found if m in modules and m != name and modules[m].name != "__init__.py"}


def _cycles(graph):
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, components = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return components


def test_no_import_cycles():
    modules = _modules()
    graph = {name: _imports(name, path, modules) for name, path in modules.items()}
    assert _cycles(graph) == []


def test_cycle_finder_finds_a_loop():
    # the check above must be able to fail
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_functional_all_is_what_it_has():
    assert len(F.__all__) == len(set(F.__all__)) > 100
    assert all(callable(getattr(F, name)) for name in F.__all__)
    assert not [name for name in F.__all__ if name.startswith("_")]


# ---- the Rust crate: the layers below the autograd core (see the top of
# src/graph.rs) import nothing from it ----

SRC = pathlib.Path(__file__).resolve().parent.parent / "src"
CORE = ("tensor", "graph", "grad_rules", "saved", "saved_hooks", "node_hooks", "autograd", "composite", "forward_ad", "python")
BELOW_CORE = ["dtype.rs", "shape.rs", "layout.rs", "error.rs", "grad_mode.rs", "op.rs", "activation.rs", "storage.rs", "random.rs", "backend"]


def _core_references(path):
    """`crate::<core module>` paths in a file's code (comments left out)."""
    found = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        code = line.split("//")[0]
        for module in CORE:
            if f"crate::{module}::" in code or f"crate::{module};" in code:
                found.append(f"{path.relative_to(SRC)}:{number}: crate::{module}")
    return found


def test_rust_layers_below_the_core_do_not_import_it():
    files = []
    for entry in BELOW_CORE:
        path = SRC / entry
        files += sorted(path.rglob("*.rs")) if path.is_dir() else [path]
    assert len(files) > 20
    assert [ref for f in files for ref in _core_references(f)] == []
