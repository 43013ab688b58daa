"""Cost-sharing's entry points stay thin (issue 15): a view parses, calls one use case and
returns its answer. So no view module commits a unit of work or reads the database itself
(a session, SQLAlchemy): the use case does both."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "services" / "costsharing"
VIEW_MODULES = sorted(ROOT.glob("api*.py"))


def test_the_view_modules_are_found() -> None:
    assert {p.name for p in VIEW_MODULES} >= {
        "api.py",
        "api_agreements.py",
        "api_allocations.py",
        "api_figures.py",
        "api_statements.py",
    }


@pytest.mark.parametrize("module", VIEW_MODULES, ids=lambda p: p.name)
def test_a_view_module_neither_commits_nor_reads_the_database(module: Path) -> None:
    tree = ast.parse(module.read_text(encoding="utf-8"))
    commits = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr in ("commit", "session")
    ]
    assert commits == [], f"{module.name} commits or uses a session at lines {commits}"
    imported = {
        node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
    } | {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    assert not {m for m in imported if m.startswith("sqlalchemy")}, module.name
