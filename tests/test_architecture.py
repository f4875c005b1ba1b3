"""The layout is the architecture: imports follow the flow seeds -> corpus -> labeling / baselines."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from stance_corpus import corpus

ROOT = Path(__file__).resolve().parents[1]
# package -> packages of this project it must never import (`stance_corpus.cli` is the command that mounts them all)
FORBIDDEN = {
    "corpus": {"labeling", "baselines", "pool", "cli"},
    "labeling": {"baselines", "pool", "cli"},
    "baselines": {"labeling", "pool", "cli"},
    "pool": {"cli"},
}


def imported_project_packages(path: Path) -> set[str]:
    """The `stance_corpus.<package>` names a file imports."""
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
            if node.module == "stance_corpus":
                modules.update(f"stance_corpus.{alias.name}" for alias in node.names)
    return {module.split(".")[1] for module in modules if module.startswith("stance_corpus.")}


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_imports_follow_the_flow(package: str) -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_project_packages(path) & FORBIDDEN[package])
        for path in sorted((ROOT / package).rglob("*.py"))
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_public_surface_is_sorted_and_importable() -> None:
    assert corpus.__all__ == sorted(corpus.__all__)
    for name in corpus.__all__:
        assert getattr(corpus, name) is not None


def undocumented(path: Path) -> list[str]:
    """The public functions, classes and methods of a module without a docstring ("module" if it has none)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    missing = [] if ast.get_docstring(tree) else ["module"]
    scopes: list[tuple[str, list[ast.stmt]]] = [("", tree.body)]
    while scopes:
        prefix, body = scopes.pop()
        for node in body:
            definition = isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
            if definition and not node.name.startswith("_"):
                if not ast.get_docstring(node):
                    missing.append(f"{prefix}{node.name}")
                if isinstance(node, ast.ClassDef):
                    scopes.append((f"{prefix}{node.name}.", node.body))
    return missing


@pytest.mark.parametrize("package", ["corpus", "pool", "stance_corpus"])
def test_every_public_definition_has_a_docstring(package: str) -> None:
    missing = {
        str(path.relative_to(ROOT)): undocumented(path) for path in sorted((ROOT / package).rglob("*.py"))
    }
    assert {path: names for path, names in missing.items() if names} == {}
