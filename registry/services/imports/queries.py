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


# A programme's design versions and decisions, by programme code (the design history's checks).
DESIGNS_OF_PROGRAMMES_WITH_CODE_IN = (
    "SELECT d.id, p.code, d.effective_from, d.sessions, d.contact_minutes, d.override_reason, d.recorded_at "
    "FROM programme_design d JOIN programme p ON p.id = d.programme WHERE p.code IN"
)
DECISIONS_OF_PROGRAMMES_WITH_CODE_IN = (
    "SELECT d.id, p.code, d.kind, d.starts_on, d.ends_on, d.target_id, d.reference, d.recorded_at "
    "FROM decision d JOIN programme p ON p.id = d.subject_id WHERE d.subject_kind = 'programme' AND p.code IN"
)

# --- matching the file's records to stored ones -----------------------------------------------------

# table -> its code column, for the tables of ENTITY_SECTIONS only
CODE_COLUMNS = {spec[0]: spec[1] for spec in ENTITY_SECTIONS.values()}
ORGANISATION_IDS_AND_CODES = "SELECT id, code FROM organisation"
# The columns a code-less organisation is matched on, in order.
ORGANISATION_NATURAL_KEYS = ("kvk_number", "agb_code")
ORGANISATION_CODE_BY = {column: f"SELECT code FROM organisation WHERE {column} = ? ORDER BY id" for column in ORGANISATION_NATURAL_KEYS}  # nosec B608 # column from ORGANISATION_NATURAL_KEYS
# An organisation by any of its AGB codes.
ORGANISATION_CODE_BY_AGB = (
    "SELECT o.code FROM organisation_agb_code a JOIN organisation o ON o.id = a.organisation WHERE a.agb_code = ?"
)
ORGANISATIONS_WITH_AGB_IN = (
    "SELECT a.agb_code, o.code FROM organisation_agb_code a JOIN organisation o ON o.id = a.organisation WHERE a.agb_code IN"
)
COACH_NUMBER_BY_AGB = "SELECT registration_number FROM coach WHERE agb_code = ?"
COACHES_WITH_AGB_IN = "SELECT registration_number, agb_code FROM coach WHERE agb_code IN"
# With whether its newest version withdraws it (a qualification's state is its newest version).
QUALIFICATIONS_OF_COACHES_IN = (
    "SELECT q.*, c.registration_number AS coach_code, t.code AS training_code, "
    "(SELECT v.withdrawn FROM qualification_version v WHERE v.qualification = q.id ORDER BY v.id DESC LIMIT 1) AS withdrawn "
    "FROM qualification q "
    "JOIN coach c ON c.id = q.coach JOIN training t ON t.id = q.training WHERE c.registration_number IN"
)


def _code_column(table: str) -> str:
    # Only tables named in ENTITY_SECTIONS: another raises KeyError rather than reach SQL.
    return CODE_COLUMNS[table]


def records_with_code_in(table: str) -> str:
    """Every stored field of a section's records (its table, from ENTITY_SECTIONS), for codes bound by `Writer.fetch_in`."""
    code_column = _code_column(table)
    return 'SELECT * FROM "' + table + '" WHERE ' + code_column + " IN"  # nosec B608 # table and code column come from ENTITY_SECTIONS, never from input


def codes_like(table: str) -> str:
    """A section's codes (its table, from ENTITY_SECTIONS) matching one bound LIKE pattern."""
    code_column = _code_column(table)
    return "SELECT " + code_column + ' AS code FROM "' + table + '" WHERE ' + code_column + " LIKE ?"  # nosec B608 # table and code column come from ENTITY_SECTIONS, never from input


def codes_in(table: str) -> str:
    """Which of the codes bound by `Writer.fetch_in` a section's table (from ENTITY_SECTIONS) holds."""
    code_column = _code_column(table)
    return "SELECT " + code_column + ' AS code FROM "' + table + '" WHERE ' + code_column + " IN"  # nosec B608 # table and column come from ENTITY_SECTIONS, never from input


def code_by_name_and_organisation(section: str) -> str:
    """The code of a section's record (a key of ENTITY_SECTIONS) by its name and organisation code (both bound)."""
    table = ENTITY_SECTIONS[section][0]
    return (
        'SELECT t.code FROM "' + table + '" t LEFT JOIN organisation o ON o.id = t.organisation '  # nosec B608 # table comes from ENTITY_SECTIONS, never from input
        "WHERE t.name = ? AND COALESCE(o.code, '') = ? ORDER BY t.id"
    )


# --- writing -----------------------------------------------------------------------------------------


def ids_with_code_in(section: str) -> str:
    """The ids and codes of a section's records (a key of ENTITY_SECTIONS), for codes bound by `Writer.fetch_in`."""
    table, code_column = ENTITY_SECTIONS[section][0], ENTITY_SECTIONS[section][1]
    return "SELECT id, " + code_column + ' AS code FROM "' + table + '" WHERE ' + code_column + " IN"  # nosec B608 # table and code column come from ENTITY_SECTIONS, never from input


# An organisation's AGB codes, one row each: replaced as a whole when its list changes.
DELETE_ORGANISATION_AGB_CODES = "DELETE FROM organisation_agb_code WHERE organisation = ?"
INSERT_ORGANISATION_AGB_CODE = "INSERT INTO organisation_agb_code (agb_code, organisation, position) VALUES (?, ?, ?)"
COACH_IDS_WITH_NUMBER_IN = "SELECT id, registration_number AS code FROM coach WHERE registration_number IN"
TRAINING_IDS = "SELECT id, code FROM training"
UPDATE_QUALIFICATION = (
    "UPDATE qualification SET completed_on = ?, certificate = ?, updated_at = ?, version = version + 1 "
    "WHERE coach = ? AND training = ?"
)
DESIGN_COLUMNS = ("programme", "effective_from", "sessions", "contact_minutes", "override_reason", "recorded_at", "recorded_by")
# A programme's columns mirror its newest design (the latest first day, ties recorded last).
UPDATE_PROGRAMME_DESIGN = "UPDATE programme SET sessions = ?, contact_minutes = ? WHERE id = ?"
QUALIFICATION_ID = "SELECT id FROM qualification WHERE coach = ? AND training = ?"
