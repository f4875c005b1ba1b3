"""The layout is the architecture: imports follow the flow seeds -> corpus -> labeling / baselines."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import corpus

ROOT = Path(__file__).resolve().parents[1]
# package -> packages of this project it must never import
FORBIDDEN = {
    "corpus": {"labeling", "baselines", "stance_corpus"},
    "labeling": {"baselines", "stance_corpus"},
    "baselines": {"labeling", "stance_corpus"},
}


def imported_top_level_names(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_imports_follow_the_flow(package: str) -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_top_level_names(path) & FORBIDDEN[package])
        for path in sorted((ROOT / package).rglob("*.py"))
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_public_surface_is_sorted_and_importable() -> None:
    assert corpus.__all__ == sorted(corpus.__all__)
    for name in corpus.__all__:
        assert getattr(corpus, name) is not None
