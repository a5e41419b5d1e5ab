"""The basement every app may use imports none of them, so no import can run in a circle through it."""

import ast
import pathlib

import common

APPS = {"portal", "suggestions", "review", "reports"}


def imported_modules(path: pathlib.Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def test_the_basement_imports_no_app():
    root = pathlib.Path(common.__file__).parent
    reaching_up = [
        f"{path.relative_to(root.parent)} imports {name}"
        for path in sorted(root.rglob("*.py"))
        for name in imported_modules(path)
        if name.split(".")[0] in APPS
    ]
    assert reaching_up == []
