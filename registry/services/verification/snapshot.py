"""What verifications need, read from the database in one go: subjects with their decisions, qualifications, API clients.

A `Snapshot` is one consistent view; `build_snapshot` reads everything, `load_subjects` only the
subjects that changed. `verification_index` keeps a current one in memory.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from typing import Any

from registry import rules
from registry.schemas.verification import Provider
from registry.search_text import fold
from registry.services.sql import Writer
from registry.services.staff.clients import ClientRecord, load_clients
from registry.services.verification import queries


@dataclass(frozen=True, slots=True)
class ProgrammeEntry:
    """A programme as a verification answer shows it, with its decisions."""

    id: int
    code: str
    name: str
    guidance_type: rules.GuidanceType
    format: rules.ProgrammeFormat
    organisation_id: int | None
    provider: Provider | None
    decisions: tuple[rules.Decision, ...]
    designs: tuple[rules.DesignVersion, ...] = ()
    scopes: tuple[rules.ScopeVersion, ...] = ()
    # For public search (registry.services.public.search_index).
    modes: tuple[str, ...] = ()
    cities: tuple[str, ...] = ()
    search_text: str = ""

    def search_fields(self) -> tuple[Any, ...]:
        """What public search orders and filters programmes by (decisions aside: status is read at answer time)."""
        return self.name, self.guidance_type, self.format, self.modes, self.cities, self.search_text
    places: str = ""
    # What the rules need, made once with the entry: a declaration line judges each of a provider's programmes.
    facts: rules.ProgrammeFacts = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "facts", rules.ProgrammeFacts(self.guidance_type, self.format, self.decisions, self.designs, self.scopes))


@dataclass(frozen=True, slots=True)
class CoachEntry:
    """A coach with decisions and qualification versions (completed_on, recorded_at, training id, withdrawn, superseded_at)."""

    id: int
    registration_number: str
    name: str
    agb_code: str | None
    decisions: tuple[rules.Decision, ...]
    qualifications: tuple[tuple[Any, Any, int, bool, Any], ...]
    # For public search (registry.services.public.search_index).
    city: str | None = None
    search_text: str = ""
    places: str = ""
    sort_key: tuple[str, ...] = ()

    def search_fields(self) -> tuple[Any, ...]:
        """What public search orders and finds coaches by (decisions aside: status is read at answer time)."""
        return self.city, self.search_text, self.places, self.sort_key


@dataclass(frozen=True, slots=True)
class OrganisationEntry:
    """An organisation that holds AGB codes, as a declaration line's provider."""

    id: int
    code: str
    name: str
    agb_codes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TrainingEntry:
    """A training as the qualification rule sees it."""

    id: int
    code: str
    facts: rules.TrainingFacts


@dataclass
class Snapshot:
    """One consistent view of the registry for answering claims."""

    programmes: dict[str, ProgrammeEntry] = field(default_factory=dict)
    coaches: dict[str, CoachEntry] = field(default_factory=dict)
    coach_by_agb: dict[str, str] = field(default_factory=dict)
    trainings: dict[int, TrainingEntry] = field(default_factory=dict)
    clients: dict[str, ClientRecord] = field(default_factory=dict)
    # Declaration lines: an AGB code -> its organisation, and an organisation id -> its programmes' codes in code order.
    organisations: dict[str, OrganisationEntry] = field(default_factory=dict)  # by organisation code; those with AGB codes
    provider_by_agb: dict[str, OrganisationEntry] = field(default_factory=dict)
    programmes_of: dict[int, tuple[str, ...]] = field(default_factory=dict)
    data_version: int = 0
    register_version: int = 0  # the last audit event that changed the register: what open data is made from
    audit_seen: int = 0
    audit_hash: str = ""  # the chain hash of event audit_seen: tells a restored (rewound) database from the one we followed
    # The same object along snapshots whose subjects search alike (only decisions changed): public
    # search then re-points its structures at the new entries instead of rebuilding them.
    search_key: object = field(default_factory=object)
    care_standard: rules.CareStandard = rules.DEFAULT_CARE_STANDARD
    _coach_facts: dict[int, rules.CoachFacts] = field(default_factory=dict, repr=False)

    def find_coach(self, registration_number: str | None, agb_code: str | None) -> CoachEntry | None:
        """A coach by registration number or by AGB code."""
        if registration_number is None and agb_code is not None:
            registration_number = self.coach_by_agb.get(agb_code)
        return self.coaches.get(registration_number) if registration_number else None

    def provider_programmes(self, agb_code: str) -> tuple[OrganisationEntry | None, list[ProgrammeEntry]]:
        """The organisation holding an AGB code and its programmes in code order: two dictionary lookups, no scan."""
        organisation = self.provider_by_agb.get(agb_code)
        if organisation is None:
            return None, []
        return organisation, [self.programmes[code] for code in self.programmes_of.get(organisation.id, ()) if code in self.programmes]

    def add_organisations(self, rows: list[dict[str, Any]]) -> None:
        """Organisations from ORGANISATION_AGB_CODES rows (a row per code), with their codes in their order."""
        codes: dict[int, list[tuple[int, str]]] = {}
        names: dict[int, tuple[str, str]] = {}
        for row in rows:
            codes.setdefault(row["id"], []).append((row["position"], row["agb_code"]))
            names[row["id"]] = (row["code"], row["name"])
        for organisation_id, held in codes.items():
            entry = OrganisationEntry(organisation_id, *names[organisation_id], tuple(agb for _, agb in sorted(held)))
            self.organisations[entry.code] = entry
            for agb in entry.agb_codes:
                self.provider_by_agb[agb] = entry

    def coach_facts(self, coach: CoachEntry) -> rules.CoachFacts:
        """What the rules need of a coach, with each qualification's training (remembered per snapshot)."""
        facts = self._coach_facts.get(coach.id)
        if facts is not None and facts.decisions is coach.decisions:
            return facts
        qualifications = tuple(
            rules.QualificationFacts(completed_on, recorded_at, self.trainings[training_id].facts, withdrawn, superseded_at)
            for completed_on, recorded_at, training_id, withdrawn, superseded_at in coach.qualifications
            if training_id in self.trainings
        )
        facts = rules.CoachFacts(coach.decisions, qualifications)
        self._coach_facts[coach.id] = facts
        return facts


# --- loading from the database ------------------------------------------------------------------

# Surnames, initials and prefixes repeat across coaches: fold each distinct one once (20,000-coach demo: 46 -> 6 ms of CPU).
_folded = functools.lru_cache(maxsize=1 << 16)(fold)


def to_decision(row: dict[str, Any]) -> rules.Decision:
    """A stored decision row as the rules see it."""
    return rules.Decision(
        id=row["id"],
        kind=rules.DecisionKind(row["kind"]),
        recorded_at=row["recorded_at"],
        starts_on=row["starts_on"],
        ends_on=row["ends_on"],
        target=row["target_id"],
        reference=row["reference"],
    )


def coach_display_name(coach: dict[str, Any]) -> str:
    """Initials, prefix and surname, as in "J. de Vries"."""
    return " ".join(part for part in (coach["initials"], coach.get("prefix"), coach["surname"]) if part)


def _json_tuple(value: Any) -> tuple[str, ...]:
    return tuple(json.loads(value) if isinstance(value, str) else value or ())


def _json_list(value: Any) -> frozenset[str]:
    return frozenset(json.loads(value) if isinstance(value, str) else value or ())


def to_design(row: dict[str, Any]) -> rules.DesignVersion:
    """A stored design version as the rules see it."""
    return rules.DesignVersion(row["effective_from"], row["sessions"], row["contact_minutes"], row["recorded_at"], row["id"],
                               row["override_reason"])


def _programme_versions(designs: list[dict[str, Any]], scopes: list[dict[str, Any]]) -> dict[int, tuple[tuple, tuple]]:
    """Design and scope versions per programme id, in recording order."""
    versions: dict[int, tuple[list, list]] = {}
    for row in sorted(designs, key=lambda row: row["id"]):
        versions.setdefault(row["programme"], ([], []))[0].append(to_design(row))
    for row in sorted(scopes, key=lambda row: row["id"]):
        scope = rules.ScopeVersion(frozenset((row["guidance_type"],)), frozenset((row["format"],)), row["recorded_at"])
        versions.setdefault(row["programme"], ([], []))[1].append(scope)
    # One scope version is today's scope: nothing to replay, so none is kept.
    return {key: (tuple(d), tuple(s) if len(s) > 1 else ()) for key, (d, s) in versions.items()}


def _training_scopes(rows: list[dict[str, Any]]) -> dict[int, tuple[rules.ScopeVersion, ...]]:
    scopes: dict[int, list[rules.ScopeVersion]] = {}
    for row in sorted(rows, key=lambda row: row["id"]):
        scopes.setdefault(row["training"], []).append(
            rules.ScopeVersion(_json_list(row["guidance_types"]), _json_list(row["formats"]), row["recorded_at"]))
    return {key: tuple(versions) for key, versions in scopes.items() if len(versions) > 1}


def _qualifications(rows: list[dict[str, Any]]) -> dict[int, list[tuple[Any, Any, int, bool, Any]]]:
    """Qualification versions per coach, each with the moment the next version of the same qualification superseded it."""
    by_qualification: dict[int, list[dict[str, Any]]] = {}
    for row in sorted(rows, key=lambda row: row["id"]):
        by_qualification.setdefault(row["qualification"], []).append(row)
    per_coach: dict[int, list[tuple[Any, Any, int, bool, Any]]] = {}
    for versions in by_qualification.values():
        for version, following in zip(versions, [*versions[1:], None], strict=True):
            superseded_at = following["recorded_at"] if following is not None else None
            per_coach.setdefault(version["coach"], []).append(
                (version["completed_on"], version["recorded_at"], version["training"], bool(version["withdrawn"]), superseded_at))
    return per_coach


def care_standard_of(rows: list[dict[str, Any]]) -> rules.CareStandard:
    """The care-standard record's versions as the rules see them."""
    return rules.CareStandard(tuple(rules.CareStandardDates(row["in_force_from"], row["strict_from"], row["recorded_at"]) for row in rows))


def _programme(row: dict[str, Any], decisions: tuple[rules.Decision, ...], versions: tuple[tuple, tuple] = ((), ())) -> ProgrammeEntry:
    provider = None
    if row["provider_code"] is not None:
        provider = Provider(row["provider_code"], row["provider_name"], row["provider_agb_code"])
    return ProgrammeEntry(
        row["id"], row["code"], row["name"], rules.GuidanceType(row["guidance_type"]), rules.ProgrammeFormat(row["format"]),
        row["organisation"], provider, decisions, versions[0], versions[1],
        _json_tuple(row["modes"]), _json_tuple(row["cities"]),
        row["search_text"] or "", row["places"] or "",
    )


def _coach(row: dict[str, Any], decisions: tuple[rules.Decision, ...], qualifications: list[tuple[Any, Any, int, bool, Any]]) -> CoachEntry:
    sort_key = (_folded(row["surname"]), _folded(row["initials"]), _folded(row["prefix"]), row["registration_number"])
    return CoachEntry(
        row["id"], row["registration_number"], coach_display_name(row), row["agb_code"], decisions, tuple(qualifications),
        row["city"], row["search_text"] or "", row["places"] or "", sort_key,
    )


def _training(row: dict[str, Any], decisions: tuple[rules.Decision, ...], scopes: tuple[rules.ScopeVersion, ...] = ()) -> TrainingEntry:
    facts = rules.TrainingFacts(_json_list(row["guidance_types"]), _json_list(row["formats"]), decisions, scopes)
    return TrainingEntry(row["id"], row["code"], facts)


async def _decisions_of(reader: Writer, subject_kind: str, ids: list[int]) -> dict[int, list[rules.Decision]]:
    rows = await reader.fetch_in(queries.DECISIONS_OF_SUBJECTS_IN, ids, subject_kind)
    grouped: dict[int, list[rules.Decision]] = {}
    for row in sorted(rows, key=lambda row: row["id"]):
        grouped.setdefault(row["subject_id"], []).append(to_decision(row))
    return grouped


async def register_version(reader: Writer) -> int:
    """The id of the last audit event that changed the register, 0 for none."""
    row = await reader.fetch_one(queries.LAST_REGISTER_WRITE, queries.REGISTER_WRITES)
    return int(row["id"]) if row else 0


async def _versions(reader: Writer, snapshot: Snapshot) -> None:
    row = await reader.fetch_row(queries.VERSIONS, queries.REGISTER_WRITES)
    snapshot.data_version, snapshot.audit_seen, snapshot.audit_hash = int(row["data_version"]), int(row["audit_seen"]), row["audit_hash"] or ""
    snapshot.register_version = int(row["register_version"] or 0)
    snapshot.care_standard = care_standard_of(await reader.fetch_all(queries.CARE_STANDARD))


async def build_snapshot(reader: Writer) -> Snapshot:
    """Everything, read in one transaction."""
    snapshot = Snapshot()
    await _versions(reader, snapshot)
    decisions: dict[tuple[str, int], list[rules.Decision]] = {}
    for row in await reader.fetch_all(queries.ALL_DECISIONS):
        decisions.setdefault((row["subject_kind"], row["subject_id"]), []).append(to_decision(row))
    training_scopes = _training_scopes(await reader.fetch_all(queries.TRAINING_SCOPES))
    for row in await reader.fetch_all(queries.TRAININGS):
        snapshot.trainings[row["id"]] = _training(row, tuple(decisions.get(("training", row["id"]), ())), training_scopes.get(row["id"], ()))
    versions = _programme_versions(await reader.fetch_all(queries.DESIGNS), await reader.fetch_all(queries.PROGRAMME_SCOPES))
    for row in await reader.fetch_all(queries.PROGRAMMES):
        snapshot.programmes[row["code"]] = _programme(row, tuple(decisions.get(("programme", row["id"]), ())), versions.get(row["id"], ((), ())))
    snapshot.programmes_of = programmes_by_organisation(snapshot.programmes.values())
    snapshot.add_organisations(await reader.fetch_all(queries.ORGANISATION_AGB_CODES))
    qualifications = _qualifications(await reader.fetch_all(queries.QUALIFICATIONS))
    for row in await reader.fetch_all(queries.COACHES):
        coach = _coach(row, tuple(decisions.get(("coach", row["id"]), ())), qualifications.get(row["id"], []))
        snapshot.coaches[coach.registration_number] = coach
        if coach.agb_code:
            snapshot.coach_by_agb[coach.agb_code] = coach.registration_number
    snapshot.clients = await load_clients(reader)
    return snapshot


def programmes_by_organisation(programmes: Any) -> dict[int, tuple[str, ...]]:
    """Organisation id -> the codes of its programmes, in code order."""
    grouped: dict[int, list[str]] = {}
    for programme in programmes:
        if programme.organisation_id is not None:
            grouped.setdefault(programme.organisation_id, []).append(programme.code)
    return {organisation: tuple(sorted(codes)) for organisation, codes in grouped.items()}


async def load_subjects(
    reader: Writer, programme_codes: set[str], coach_numbers: set[str], training_codes: set[str], agb_codes: set[str] | frozenset[str] = frozenset(),
    organisation_codes: set[str] | frozenset[str] = frozenset(), provider_agb_codes: set[str] | frozenset[str] = frozenset(),
) -> Snapshot:
    """Only the named subjects (and the trainings their qualifications need), in one transaction.

    `organisation_codes`: organisations whose AGB codes changed; `provider_agb_codes`: the organisations holding these
    codes, with all their programmes (a declaration line's claim from the command line).
    """
    part = Snapshot()
    await _versions(reader, part)
    programmes = await reader.fetch_in(queries.PROGRAMMES_WITH_CODE_IN, sorted(programme_codes))
    if organisation_codes:
        part.add_organisations(await reader.fetch_in(queries.ORGANISATION_AGB_CODES_OF_CODES_IN, sorted(organisation_codes)))
    if provider_agb_codes:
        ids = sorted({row["id"] for row in await reader.fetch_in(queries.ORGANISATION_IDS_WITH_AGB_CODE_IN, sorted(provider_agb_codes))})
        part.add_organisations(await reader.fetch_in(queries.ORGANISATION_AGB_CODES_OF_IDS_IN, ids))
        programmes += await reader.fetch_in(queries.PROGRAMMES_OF_ORGANISATION_IDS_IN, ids)
    coaches = await reader.fetch_in(queries.COACHES_WITH_NUMBER_IN, sorted(coach_numbers))
    coaches += await reader.fetch_in(queries.COACHES_WITH_AGB_CODE_IN, sorted(agb_codes))
    coach_ids = sorted({row["id"] for row in coaches})
    qualifications = _qualifications(await reader.fetch_in(queries.QUALIFICATIONS_OF_COACHES_IN, coach_ids))
    training_ids = {entry[2] for entries in qualifications.values() for entry in entries}
    trainings = await reader.fetch_in(queries.TRAININGS_WITH_ID_IN, sorted(training_ids))
    trainings += await reader.fetch_in(queries.TRAININGS_WITH_CODE_IN, sorted(training_codes))
    programme_decisions = await _decisions_of(reader, "programme", [row["id"] for row in programmes])
    coach_decisions = await _decisions_of(reader, "coach", coach_ids)
    training_ids_loaded = sorted({row["id"] for row in trainings})
    training_decisions = await _decisions_of(reader, "training", training_ids_loaded)
    training_scopes = _training_scopes(await reader.fetch_in(queries.TRAINING_SCOPES_OF_TRAININGS_IN, training_ids_loaded))
    programme_ids = [row["id"] for row in programmes]
    versions = _programme_versions(await reader.fetch_in(queries.DESIGNS_OF_PROGRAMMES_IN, programme_ids),
                                   await reader.fetch_in(queries.PROGRAMME_SCOPES_OF_PROGRAMMES_IN, programme_ids))
    for row in trainings:
        part.trainings[row["id"]] = _training(row, tuple(training_decisions.get(row["id"], ())), training_scopes.get(row["id"], ()))
    for row in programmes:
        part.programmes[row["code"]] = _programme(row, tuple(programme_decisions.get(row["id"], ())), versions.get(row["id"], ((), ())))
    part.programmes_of = programmes_by_organisation(part.programmes.values())
    for row in coaches:
        coach = _coach(row, tuple(coach_decisions.get(row["id"], ())), qualifications.get(row["id"], []))
        part.coaches[coach.registration_number] = coach
        if coach.agb_code:
            part.coach_by_agb[coach.agb_code] = coach.registration_number
    return part
