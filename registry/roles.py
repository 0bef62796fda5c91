"""Staff roles and what each may do (scope:resource:action), checked on the server for every admin route."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """Staff roles, least privilege first."""

    VIEWER = "viewer"
    EDITOR = "editor"
    ADMIN = "admin"


class Permission(StrEnum):
    """A right, named scope:resource:action."""

    REGISTRY_READ = "registry:records:read"  # every record, private fields, decisions
    AUDIT_READ = "registry:audit:read"
    RECORDS_WRITE = "registry:records:write"  # create and edit records
    DECISIONS_RECORD = "registry:decisions:record"
    IMPORT_APPLY = "registry:import:apply"
    OVERRIDE_CARE_STANDARD = "registry:decisions:override"  # the 2026 transition override
    CARE_STANDARD_MANAGE = "registry:care_standard:manage"  # the care standard's dates
    STAFF_MANAGE = "auth:staff:manage"
    API_CLIENTS_MANAGE = "auth:api_clients:manage"


_VIEWER = {Permission.REGISTRY_READ, Permission.AUDIT_READ}
_EDITOR = _VIEWER | {Permission.RECORDS_WRITE, Permission.DECISIONS_RECORD, Permission.IMPORT_APPLY}
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.VIEWER: frozenset(_VIEWER),
    Role.EDITOR: frozenset(_EDITOR),
    Role.ADMIN: frozenset(_EDITOR | {Permission.OVERRIDE_CARE_STANDARD, Permission.CARE_STANDARD_MANAGE, Permission.STAFF_MANAGE, Permission.API_CLIENTS_MANAGE}),
}


def allows(role: str | None, permission: Permission) -> bool:
    """True when the role holds the permission; no role holds nothing."""
    return role in ROLE_PERMISSIONS and permission in ROLE_PERMISSIONS[Role(role)]
