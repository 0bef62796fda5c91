"""The SQL of the public register: its records, the change feed, the public lists and the open-data streams.

Statements with `?` parameters only; the few assembled ones from fixed parts (a table, a stream), never from input.
"""

from __future__ import annotations

DECISION_COLUMNS = "id, subject_kind, subject_id, kind, starts_on, ends_on, target_id, reference, reason, reason_public, recorded_at"

# --- records -----------------------------------------------------------------------------------------

HISTORY = f"SELECT {DECISION_COLUMNS} FROM decision WHERE subject_kind = ? AND subject_id = ? ORDER BY id"  # nosec B608 # DECISION_COLUMNS is a constant
PROGRAMME_BY_CODE = (
    "SELECT p.*, o.code AS provider_code, o.name AS provider_name, o.city AS provider_city, o.address AS provider_address, "
    "o.postcode AS provider_postcode, o.phone AS provider_phone, o.website AS provider_website "
    "FROM programme p LEFT JOIN organisation o ON o.id = p.organisation WHERE p.code = ?"
)
DESIGNS_OF_PROGRAMME = (
    "SELECT id, effective_from, sessions, contact_minutes, override_reason, recorded_at FROM programme_design WHERE programme = ? ORDER BY id"
)
CARE_STANDARD = "SELECT in_force_from, strict_from, recorded_at FROM care_standard ORDER BY id"
COACH_BY_NUMBER = "SELECT id, registration_number, initials, prefix, surname, city, agb_code FROM coach WHERE registration_number = ?"
# A qualification whose newest version withdraws it is no longer published (its history stays in qualification_version).
NOT_WITHDRAWN = (
    "NOT COALESCE((SELECT v.withdrawn FROM qualification_version v WHERE v.qualification = q.id ORDER BY v.id DESC LIMIT 1), FALSE)"
)
QUALIFICATIONS_OF_COACH = (
    "SELECT t.code, t.name, q.completed_on FROM qualification q JOIN training t ON t.id = q.training "
    f"WHERE q.coach = ? AND {NOT_WITHDRAWN} ORDER BY q.completed_on, t.code"  # nosec B608 # NOT_WITHDRAWN is a constant
)
TRAINING_BY_CODE = (
    "SELECT t.*, o.code AS institute_code, o.name AS institute_name FROM training t "
    "LEFT JOIN organisation o ON o.id = t.organisation WHERE t.code = ?"
)
ORGANISATION_BY_CODE = (
    "SELECT id, code, name, kvk_number, agb_code, agb_codes, city, address, postcode, phone, website FROM organisation WHERE code = ?"
)
# The organisation holding an AGB code (organisation_agb_code keeps a code to one organisation).
ORGANISATION_BY_AGB_CODE = (
    "SELECT o.code, o.name, o.city, o.agb_codes FROM organisation_agb_code a JOIN organisation o ON o.id = a.organisation WHERE a.agb_code = ?"
)
QUALIFIED_COACHES = f"SELECT COUNT(DISTINCT q.coach) AS n FROM qualification q WHERE q.training = ? AND {NOT_WITHDRAWN}"  # nosec B608 # NOT_WITHDRAWN is a constant
# What an organisation offers: (subject kind, its table), in the order the record lists them.
OFFERED = (("programme", "programme"), ("training", "training"))
OFFERED_TABLES = tuple(table for _kind, table in OFFERED)
OFFERED_BY = {table: f"SELECT id, code, name FROM {table} WHERE organisation = ? ORDER BY code" for table in OFFERED_TABLES}  # nosec B608 # table from OFFERED_TABLES
DECISIONS_OF_SUBJECTS_IN = f"SELECT {DECISION_COLUMNS} FROM decision WHERE subject_kind = ? AND subject_id IN"  # nosec B608 # DECISION_COLUMNS is a constant

# --- change feed -------------------------------------------------------------------------------------

SUBJECT_CODES_IN = {
    "programme": "SELECT id, code FROM programme WHERE id IN",
    "coach": "SELECT id, registration_number AS code FROM coach WHERE id IN",
    "training": "SELECT id, code FROM training WHERE id IN",
}
REFERENCES_IN = "SELECT id, reference FROM decision WHERE id IN"
CHANGES_AFTER = f"SELECT {DECISION_COLUMNS} FROM decision WHERE id > ? ORDER BY id LIMIT ?"  # nosec B608 # DECISION_COLUMNS is a constant

# --- public lists -----------------------------------------------------------------------------------

# Every training and organisation with the folded text they are found by, in list order: read into memory
# (registry.services.public.listings) so that each engine's collation still decides the order.
LISTED_TRAININGS = (
    "SELECT t.id, t.code, t.name, t.guidance_types, t.formats, o.code AS institute_code, o.name AS institute_name, t.search_text "
    "FROM training t LEFT JOIN organisation o ON o.id = t.organisation ORDER BY t.name, t.code"
)
LISTED_ORGANISATIONS = "SELECT id, code, name, city, agb_codes, search_text FROM organisation ORDER BY name, code"


# --- open data ---------------------------------------------------------------------------------------

LAST_DECISION_ID = "SELECT COALESCE(MAX(id), 0) AS id FROM decision"
# stream -> a select of rows with an `id`, read a page at a time in id order
STREAMS = {
    "decisions": f"SELECT {DECISION_COLUMNS} FROM decision",  # nosec B608 # DECISION_COLUMNS is a constant
    "organisations": "SELECT id, code, name, city, kvk_number, agb_code, agb_codes, address, postcode, phone, website FROM organisation",
    "trainings": "SELECT t.id, t.code, t.name, t.guidance_types, t.formats, o.code AS institute FROM training t "
                 "LEFT JOIN organisation o ON o.id = t.organisation",
    "programmes": "SELECT p.id, p.code, p.name, p.guidance_type, p.format, p.modes, p.sessions, p.contact_minutes, "
                  "p.cities, o.code AS provider FROM programme p LEFT JOIN organisation o ON o.id = p.organisation",
    "coaches": "SELECT id, registration_number, initials, prefix, surname, city FROM coach",
    "qualifications": "SELECT q.id, c.registration_number AS coach, t.code AS training, q.completed_on FROM qualification q "
                      f"JOIN coach c ON c.id = q.coach JOIN training t ON t.id = q.training WHERE {NOT_WITHDRAWN}",  # nosec B608 # a constant
}
STREAM_PAGE = 5_000
# subject kind -> its ids and codes, for naming a decision's subject
SUBJECT_CODES = (
    ("programme", "SELECT id, code FROM programme"),
    ("coach", "SELECT id, registration_number AS code FROM coach"),
    ("training", "SELECT id, code FROM training"),
)


def stream_page(stream: str) -> str:
    """One page of a stream (a key of STREAMS): its rows after a bound id, in id order, STREAM_PAGE at most."""
    # Only streams named in STREAMS: another raises KeyError rather than reach SQL.
    return "SELECT * FROM (" + STREAMS[stream] + f") AS page WHERE id > ? ORDER BY id LIMIT {STREAM_PAGE}"  # nosec B608 # select from STREAMS; STREAM_PAGE an int constant
