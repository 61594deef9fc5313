"""Imports point one way: tracklog → certificates → partnerships → serverless_as2 (DESIGN.md).

Every app may use `as2`; `as2` uses nothing of ours and no Django. Each module's imports are
read with `ast`, function-level ones included, so a lazy import cannot slip past.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# app -> the apps of ours it must not import (the ones above it)
FORBIDDEN = {
    "serverless_as2": {"partnerships", "certificates", "tracklog"},
    "partnerships": {"certificates", "tracklog"},
    "certificates": {"tracklog"},
    "tracklog": set(),
    "as2": {"serverless_as2", "partnerships", "certificates", "tracklog", "django"},
}


def imported_modules(source: str) -> set[str]:
    """Every module an `import` or `from … import` names, at any depth of the code."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def offences(app: str) -> list[str]:
    found = []
    for path in sorted((ROOT / app).rglob("*.py")):
        for module in imported_modules(path.read_text()):
            if module.split(".")[0] in FORBIDDEN[app]:
                found.append(f"{path.relative_to(ROOT)} imports {module}")
    return found


@pytest.mark.parametrize("app", sorted(FORBIDDEN))
def test_no_app_imports_an_app_above_it(app):
    assert offences(app) == []


def test_the_check_sees_every_kind_of_import():
    source = (
        "import tracklog.models\n"
        "from certificates import services\n"
        "def later():\n"
        "    from tracklog.services import message_send\n"
        "from . import sibling\n"
    )
    assert imported_modules(source) == {"tracklog.models", "certificates", "tracklog.services"}


def test_every_app_is_in_the_table():
    apps = {path.parent.name for path in ROOT.glob("*/apps.py")} | {"as2"}
    assert apps == set(FORBIDDEN)
