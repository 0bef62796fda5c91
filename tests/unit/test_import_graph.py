"""The import direction holds: web -> services -> rules and tables, never back (read from the source with ast)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "registry"
WEB = ("registry.api", "registry.public", "registry.admin", "registry.auth")
# Each rule: (the modules it covers, what they may not import, why); a layer's modules may import each other.
RULES = (
    ("registry.rules", ("registry",), "the rules are pure: nothing from the registry's web, database or services"),
    ("registry.services", (*WEB, "registry.i18n", "registry.templating"), "services serve every face of the registry and know none"),
    ("registry.tables", ("registry.services", *WEB), "the tables describe the database; services and the web build on them"),
)
# Known breaches whose fix is under way elsewhere: (module, imported module) -> why it is still here.
ALLOWED: dict[tuple[str, str], str] = {}


def module_name(path: Path) -> str:
    """registry/services/staff/users.py -> registry.services.staff.users; a package's __init__.py -> the package."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_names(source: str, package: str) -> set[str]:
    """Every module a file in `package` imports, anywhere in it (inside functions and TYPE_CHECKING blocks too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: one dot is the file's own package
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # `from registry import templating` imports the module registry.templating; `from registry.rules import X`, registry.rules.
            found.update(f"{base}.{alias.name}" if is_module(f"{base}.{alias.name}") else base for alias in node.names)
    return found


def is_module(name: str) -> bool:
    """Whether a dotted name is a module or package of the registry."""
    path = PACKAGE.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def imports_of(path: Path) -> set[str]:
    """The modules one file of the registry imports."""
    name = module_name(path)
    return imported_names(path.read_text(), name if path.name == "__init__.py" else name.rpartition(".")[0])


def within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def breaches(imports: dict[str, set[str]]) -> list[str]:
    """'module imports forbidden: why' for every import against a rule and not in ALLOWED."""
    found = []
    for name, imported_modules in sorted(imports.items()):
        for covered, forbidden, reason in RULES:
            if within(name, covered):
                found.extend(f"{name} imports {imported}: {reason}" for imported in sorted(imported_modules)
                             if any(within(imported, prefix) for prefix in forbidden) and not within(imported, covered)
                             and (name, imported) not in ALLOWED)
    return found


@pytest.fixture(scope="module")
def registry_imports() -> dict[str, set[str]]:
    return {module_name(path): imports_of(path) for path in PACKAGE.rglob("*.py")}


def test_no_module_imports_against_the_direction_of_the_layers(registry_imports: dict[str, set[str]]) -> None:
    found = breaches(registry_imports)
    assert not found, "imports against the layers (web -> services -> rules, tables):\n  " + "\n  ".join(found)


def test_every_allowed_breach_is_still_there(registry_imports: dict[str, set[str]]) -> None:
    """A fixed breach leaves ALLOWED too, so the list only shrinks."""
    stale = sorted((name, imported) for name, imported in ALLOWED if imported not in registry_imports.get(name, set()))
    assert not stale, f"no longer imported; remove from ALLOWED: {stale}"


@pytest.mark.parametrize(("source", "expected"), [
    ("from registry.api.context import ApiContext", "registry.api.context"),
    ("from registry import templating", "registry.templating"),
    ("from ...admin import support", "registry.admin.support"),
    ("from .. import sql", "registry.services.sql"),
    ("from .records import import_document", "registry.services.staff.records"),
    ("import registry.auth.sessions", "registry.auth.sessions"),
    ("def later():\n    from registry.i18n import N_", "registry.i18n"),
])
def test_the_check_sees_every_way_of_importing_and_names_module_and_import(source: str, expected: str) -> None:
    imported = imported_names(source, "registry.services.staff")
    assert expected in imported, imported
    if not expected.startswith("registry.services"):
        [message] = breaches({"registry.services.staff.users": {expected}})
        assert message.startswith(f"registry.services.staff.users imports {expected}: ")


def test_the_rules_may_import_each_other_and_nothing_else_of_the_registry() -> None:
    assert breaches({"registry.rules.claims": {"registry.rules.timelines", "registry.rules"}}) == []
    [message] = breaches({"registry.rules.claims": {"registry.rules.timelines", "registry.tables"}})
    assert message.startswith("registry.rules.claims imports registry.tables: ")
