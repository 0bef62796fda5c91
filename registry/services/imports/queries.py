"""The SQL of the import: what it looks up before it writes.

Statements with `?` parameters only; a statement ending in `IN` gets its list from `Writer.fetch_in`.
A statement about a record section takes its table and code column from `ENTITY_SECTIONS`, never from input.
"""

from __future__ import annotations

from registry.services.imports.parse import ENTITY_SECTIONS

# --- before planning ---------------------------------------------------------------------------------

LAST_DECISION_ID = "SELECT id FROM decision ORDER BY id DESC LIMIT 1"
# A qualification by its coach's registration number and its training's code, for its version.
QUALIFICATION_BY_CODES = (
    "SELECT q.* FROM qualification q JOIN coach c ON c.id = q.coach JOIN training t ON t.id = q.training "
    "WHERE c.registration_number = ? AND t.code = ?"
)


def record_by_code(section: str) -> str:
    """Every stored field of one record of a section (a key of ENTITY_SECTIONS), by its code."""
    # Only tables named in ENTITY_SECTIONS: a section not there raises KeyError rather than reach SQL.
    table, code_column = ENTITY_SECTIONS[section][0], ENTITY_SECTIONS[section][1]
    return 'SELECT * FROM "' + table + '" WHERE ' + code_column + " = ?"  # nosec B608 # table and code column come from ENTITY_SECTIONS, never from input


# --- writing -----------------------------------------------------------------------------------------


def ids_with_code_in(section: str) -> str:
    """The ids and codes of a section's records (a key of ENTITY_SECTIONS), for codes bound by `Writer.fetch_in`."""
    table, code_column = ENTITY_SECTIONS[section][0], ENTITY_SECTIONS[section][1]
    return "SELECT id, " + code_column + ' AS code FROM "' + table + '" WHERE ' + code_column + " IN"  # nosec B608 # table and code column come from ENTITY_SECTIONS, never from input


COACH_IDS_WITH_NUMBER_IN = "SELECT id, registration_number AS code FROM coach WHERE registration_number IN"
TRAINING_IDS = "SELECT id, code FROM training"
UPDATE_QUALIFICATION = (
    "UPDATE qualification SET completed_on = ?, certificate = ?, updated_at = ?, version = version + 1 "
    "WHERE coach = ? AND training = ?"
)
