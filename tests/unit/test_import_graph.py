"""The package's structure, read from its source with ``ast``: imports flow one way.

An import cycle makes a module's meaning depend on import order and hides which
part depends on which; these tests name the cycle when one appears.
"""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import pytest

import woowup_contract

ROOT = Path(woowup_contract.__file__).parent
PACKAGE = ROOT.name


def _modules() -> dict[str, tuple[Path, bool]]:
    """Dotted name → (file, is a package ``__init__``) for every module of the package."""
    out = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        is_package = parts[-1] == "__init__"
        out[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return out


MODULES = _modules()


def _import_nodes(tree: ast.Module, *, lazy: bool) -> list[ast.Import | ast.ImportFrom]:
    """The import statements of a module: those run at import time (module and class bodies,
    ``if TYPE_CHECKING:`` blocks included), and with ``lazy`` those inside functions too."""
    found: list[ast.Import | ast.ImportFrom] = []
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        elif not lazy and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        stack.extend(ast.iter_child_nodes(node))
    return found


def _targets(module: str, is_package: bool, node: ast.Import | ast.ImportFrom) -> set[str]:
    """The package's modules one import statement names."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names if alias.name in MODULES}
    base = node.module or ""
    if node.level:
        anchor = module if is_package else module.rpartition(".")[0]
        for _ in range(node.level - 1):
            anchor = anchor.rpartition(".")[0]
        base = anchor + ("." + node.module if node.module else "")
    out = set()
    for alias in node.names:
        sub = f"{base}.{alias.name}"
        out.add(sub if sub in MODULES else base)  # ``from . import x`` names the module x
    return out & MODULES.keys()


def import_graph(*, lazy: bool, within: str = PACKAGE) -> dict[str, set[str]]:
    """Module → the modules of ``within`` it imports."""
    graph: dict[str, set[str]] = {}
    for module, (path, is_package) in MODULES.items():
        if module != within and not module.startswith(within + "."):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names: set[str] = set()
        for node in _import_nodes(tree, lazy=lazy):
            names |= _targets(module, is_package, node)
        graph[module] = {n for n in names if n != module and (n == within or n.startswith(within + "."))}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as exc:
        return list(exc.args[1])
    return None


def test_the_graph_sees_the_imports_it_must_see() -> None:
    """The reader resolves relative imports both ways (``from . import x``, ``from .x import y``)."""
    graph = import_graph(lazy=True)
    assert "woowup_contract.model" in graph["woowup_contract.checker"]
    assert "woowup_contract.strategies._engines" in graph["woowup_contract.strategies._from_contract"]
    assert "woowup_contract" in graph["woowup_contract.cli"]  # from . import __version__
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) is not None


def test_no_module_of_the_package_imports_itself_back_at_import_time() -> None:
    cycle = _cycle(import_graph(lazy=False))
    assert cycle is None, "import cycle: " + " -> ".join(cycle or ())


@pytest.mark.parametrize("package", ["woowup_contract.strategies"])
def test_no_cycle_inside_a_package_even_through_imports_in_functions(package: str) -> None:
    cycle = _cycle(import_graph(lazy=True, within=package))
    assert cycle is None, "import cycle: " + " -> ".join(cycle or ())


@pytest.mark.parametrize("package", ["woowup_contract"])
def test_privacy_is_marked_once_at_the_module(package: str) -> None:
    """Private modules hold plain names: no ``_name`` is imported from a sibling module."""
    crossing = []
    for module, (path, _) in MODULES.items():
        if module != package and not module.startswith(package + "."):
            continue
        for node in _import_nodes(ast.parse(path.read_text(encoding="utf-8")), lazy=True):
            if isinstance(node, ast.ImportFrom) and node.level:
                crossing += [f"{module}: {alias.name}" for alias in node.names
                             if alias.name.startswith("_") and not alias.name.startswith("__")]
    assert crossing == []


def test_the_strategies_package_only_re_exports() -> None:
    """Like hypothesis-jsonschema's: the docstring, imports and ``__all__``; the code lives in private modules."""
    path, _ = MODULES["woowup_contract.strategies"]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    kinds = {type(node).__name__ for node in tree.body[1:]}
    assert kinds <= {"ImportFrom", "Assign"}, kinds
    assigned = [t.id for node in tree.body if isinstance(node, ast.Assign) for t in node.targets
                if isinstance(t, ast.Name)]
    assert assigned == ["__all__"]


def test_only_main_imports_the_command_line() -> None:
    """cli.py only parses and dispatches: the sub-commands share ``cli_common``, never the CLI."""
    importers = sorted(m for m, names in import_graph(lazy=True).items() if "woowup_contract.cli" in names)
    assert importers == ["woowup_contract.__main__"]


def test_every_module_is_on_the_architecture_map() -> None:
    """ARCHITECTURE.md names every module of the package, and no module that is gone."""
    import re

    text = (Path(__file__).resolve().parents[2] / "ARCHITECTURE.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| `([\w/]+\.py)` \|", text, flags=re.M))
    on_disk = {str(path.relative_to(ROOT)) for path, _ in MODULES.values()}
    assert on_disk - listed == set(), "not on the map"
    assert listed - on_disk == set(), "on the map but gone"
