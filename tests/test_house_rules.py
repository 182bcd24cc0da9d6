"""House rules of the test suite that a reviewer would otherwise have to remember.

No test module imports another test module: what several modules share lives in a module that is not a test
(`factories.py` or `helpers.py` of the context, `tests/browser.py`, `tests/routes.py`, ...) or, for fixtures, in a
`conftest.py`. Importing a test module runs its module-level set-up and registers its fixtures a second time, and
ties the importer to a file whose tests may move.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def suite_modules() -> dict[str, Path]:
    """Every test module of the suite by its dotted name."""
    return {module_name(path): path for path in sorted(TESTS.rglob("test_*.py"))}


def imported_modules(source: str, package: str) -> Iterator[tuple[int, str]]:
    """(line, dotted name) of everything `source` imports, at any depth, relative imports resolved against
    `package`. `from x import y` gives both `x` and `x.y`, as `y` may be a module."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            yield node.lineno, module
            for alias in node.names:
                yield node.lineno, f"{module}.{alias.name}"


def imports_of_test_modules(source: str, package: str, tests: set[str]) -> list[tuple[int, str]]:
    return [(line, name) for line, name in imported_modules(source, package) if name in tests]


def _package(name: str) -> str:
    return name.rsplit(".", 1)[0]


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ("from tests.web.test_browser import PHONE\n", [(1, "tests.web.test_browser")]),
        ("import tests.web.test_browser\n", [(1, "tests.web.test_browser")]),
        ("from tests.web import test_browser\n", [(1, "tests.web.test_browser")]),
        ("from . import test_browser\n", [(1, "tests.web.test_browser")]),
        ("from .test_browser import PHONE\n", [(1, "tests.web.test_browser")]),
        ("from ..web.test_browser import PHONE\n", [(1, "tests.web.test_browser")]),
        ("def test_x():\n    from tests.web.test_browser import PHONE\n", [(2, "tests.web.test_browser")]),
        ("from tests.browser import PHONE, new_page\n", []),
        ("from tests.web.factories import test_data\n", []),  # a helper named test_*, not a module
        ("from tests.web.test_browser_helpers import x\n", []),  # not a test module of this suite
        ("import pytest\nfrom forecourt.core import clock\n", []),
    ],
)
def test_the_check_finds_every_way_of_importing_a_test_module(source: str, found: list[tuple[int, str]]) -> None:
    tests = {"tests.web.test_browser", "tests.web.test_pages"}
    assert imports_of_test_modules(source, "tests.web", tests) == found


def test_the_check_knows_the_suites_test_modules() -> None:
    modules = suite_modules()
    assert "tests.test_house_rules" in modules and "tests.backoffice.test_access_matrix" in modules
    assert not any(name.endswith((".factories", ".helpers", ".conftest", "tests.browser")) for name in modules)


def test_no_test_module_imports_another() -> None:
    modules = suite_modules()
    found = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for module, path in modules.items()
        for line, name in imports_of_test_modules(path.read_text(encoding="utf-8"), _package(module), set(modules))
    ]
    assert not found, (
        "a test module imports another; move what they share to a factories.py / helpers.py of the context, or to a "
        "conftest.py if it is a fixture:\n" + "\n".join(found)
    )
