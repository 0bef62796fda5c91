"""SQL lives in the query modules, with bound parameters: no statement elsewhere, no value formatted into one."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STATEMENT = re.compile(r"\b(SELECT\s|INSERT\s+INTO\b|UPDATE\s+\S+\s+SET\b|DELETE\s+FROM\b)")
# Where SQL belongs: the query modules, and the machinery that runs statements (migrations live outside registry/).
QUERY_MODULES = sorted(path.relative_to(ROOT).as_posix() for path in (ROOT / "registry" / "services").glob("**/queries.py"))
MACHINERY = {"registry/services/sql.py", "registry/db.py"}
# Modules whose SQL is being moved into query modules by changes made at the same time as this guard.
# Remove a line once its module holds no SQL (test_not_yet_converted_modules_still_need_their_exemption says when).
NOT_YET_CONVERTED: dict[str, str] = {}
# In a query module an f-string may interpolate only these helpers' results: `?` marks, never values.
PLACEHOLDER_HELPERS = {"marks"}


def _modules() -> list[str]:
    return sorted(path.relative_to(ROOT).as_posix() for path in (ROOT / "registry").rglob("*.py"))


def _tree(module: str) -> ast.Module:
    return ast.parse((ROOT / module).read_text(encoding="utf-8"), module)


def _docstrings(tree: ast.Module) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                found.add(id(first.value))
    return found


def statements_in(module: str) -> list[tuple[int, str]]:
    """Line and text of every string (docstrings aside) that reads like a SQL statement."""
    tree = _tree(module)
    docstrings = _docstrings(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            if STATEMENT.search(node.value):
                found.append((node.lineno, node.value[:80]))
    return found


def _is_constant_name(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and node.id.isupper()


def _elements_of_constants(tree: ast.Module) -> set[str]:
    """Names bound by comprehensions over a constant, as in `{table: ... for table in TABLES}`."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.comprehension) and _is_constant_name(node.iter) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names


def _constant_part(node: ast.expr, elements: set[str]) -> bool:
    if _is_constant_name(node) or isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Name):
        return node.id in elements
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in PLACEHOLDER_HELPERS:
        return all(_constant_part(argument, elements) for argument in node.args) and not node.keywords
    return False


def formatting_problems(module: str) -> list[str]:
    """Every place a query module formats something other than a constant into a string."""
    tree = _tree(module)
    elements = _elements_of_constants(tree)
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FormattedValue) and not _constant_part(node.value, elements):
            problems.append(f"{module}:{node.lineno}: f-string interpolates {ast.unparse(node.value)}")
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and isinstance(node.left, ast.Constant):
            problems.append(f"{module}:{node.lineno}: % formatting")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
            problems.append(f"{module}:{node.lineno}: str.format")
    return problems


def test_the_query_modules_are_found():
    assert {"registry/services/queries.py", "registry/services/staff/queries.py",
            "registry/services/verification/queries.py"} <= set(QUERY_MODULES)


def test_no_sql_outside_the_query_modules():
    allowed = {*QUERY_MODULES, *MACHINERY, *NOT_YET_CONVERTED}
    found = [f"{module}:{line}: {text!r}" for module in _modules() if module not in allowed for line, text in statements_in(module)]
    assert found == [], "SQL belongs in a services/.../queries.py module:\n" + "\n".join(found)


def test_handlers_are_never_exempt():
    web = ("registry/api/", "registry/public/", "registry/admin/", "registry/auth/")
    exempt = [module for module in NOT_YET_CONVERTED if module.startswith(web)]
    assert exempt == [], "a handler calls a service; the service runs the SQL"


def test_query_modules_format_only_constants_into_sql():
    problems = [problem for module in QUERY_MODULES for problem in formatting_problems(module)]
    assert problems == [], "bind values as `?` parameters; format only constants:\n" + "\n".join(problems)


def test_not_yet_converted_modules_still_need_their_exemption():
    stale = [module for module in NOT_YET_CONVERTED if (ROOT / module).exists() and not statements_in(module)]
    assert stale == [], f"no SQL left in {stale}: remove them from NOT_YET_CONVERTED"


def test_the_guard_sees_what_it_guards_against():
    """The checks themselves catch a value in an f-string and a statement in a string."""
    tree = ast.parse('X = 1\ndef f(kind):\n    return f"SELECT a FROM t WHERE k = \'{kind}\' AND n = {X}"\n')
    elements = _elements_of_constants(tree)
    interpolated = [node.value for node in ast.walk(tree) if isinstance(node, ast.FormattedValue)]
    assert [_constant_part(node, elements) for node in interpolated] == [False, True]
    assert STATEMENT.search("UPDATE staff_user SET role = ?") and STATEMENT.search("DELETE FROM x")
    assert not STATEMENT.search("Select a role") and not STATEMENT.search("refuse UPDATE and DELETE")
