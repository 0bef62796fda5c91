"""The demo document builder: the showcase stories first, then realistic bulk records drawn from a seeded generator."""

from __future__ import annotations

import datetime as dt
import random
import unicodedata

from registry.demo.stories import COACH_STORIES, DEFAULT_TODAY, PROGRAMME_STORIES, TRAINING_STORIES
from registry.demo.vocabulary import (
    CENTRE_NAMES,
    CITIES,
    CITY_POOL,
    DISTRICTS,
    FIXED_INSTITUTES,
    FIXED_PROVIDERS,
    FOUNDERS,
    INITIAL_LETTERS,
    INSTITUTE_PATTERNS,
    MINUTES_PER_SESSION,
    MODES,
    NAME_POOL,
    OVERRIDE_REASON,
    PROGRAMME_NAMES,
    PROVIDER_PATTERNS,
    REASONS,
    TRAINING_KINDS,
)
from registry.rules import CARE_STANDARD_FROM, DECISION_FIELDS, DecisionKind, care_standard_shortfall


def build_demo_document(coaches: int = 400, seed: int = 2026, today: dt.date | None = None) -> dict:
    """An import document (api.md "Bulk import") with `coaches` coaches; the same arguments give the same document."""
    return _DemoBuilder(coaches, random.Random(seed), today or DEFAULT_TODAY, seed).document()


def _ascii_slug(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.replace("ı", "i")).lower()
    return "".join(char for char in folded if char.isascii() and char.isalnum())


class _DemoBuilder:
    """One demo document; days are ordinals so that the loops over 100,000 coaches avoid date objects."""

    def __init__(self, coaches: int, rng: random.Random, today: dt.date, seed: int = 2026):
        self.rng, self.random, self.today = rng, rng.random, today.toordinal()
        self.shift = self.today - DEFAULT_TODAY.toordinal()
        self.coach_count, self.training_count = coaches, max(len(TRAINING_STORIES), coaches // 200)
        self.programme_count = max(len(PROGRAMME_STORIES) + 3, coaches // 25)
        self.institute_count = max(len(FIXED_INSTITUTES), self.training_count // 4)
        self.provider_count = max(len(FIXED_PROVIDERS), self.programme_count // 2)
        month = today.year * 12 + today.month - 1
        self.month_starts = {k: dt.date((month + k) // 12, (month + k) % 12 + 1, 1).toordinal() for k in range(-200, 80)}
        days = range(self.month_starts[-200], self.month_starts[79])
        self.iso = {day: dt.date.fromordinal(day).isoformat() for day in days}
        self.care_standard_from = CARE_STANDARD_FROM.toordinal()
        self.references_per_year: dict[str, int] = {}
        self.decisions: list[dict] = []
        organisation_count = self.institute_count + self.provider_count
        # One draw for all AGB codes keeps them unique across coaches and organisations.
        drawn = rng.sample(range(10**8), coaches + organisation_count)
        self.agb_codes = iter([f"{code:08d}" for code in drawn])
        # Providers' further codes (a second location, or a code for one that had none) come from a generator of
        # their own, so that every other value of the document stays as it was before providers had several.
        self.location_rng, self.taken_agb = random.Random(f"locations-{seed}"), set(drawn)
        self.kvk_numbers = iter([f"{code:08d}" for code in rng.sample(range(10**8), organisation_count)])

    def _location_agb(self) -> str:
        while (code := self.location_rng.randrange(10**8)) in self.taken_agb:
            pass
        self.taken_agb.add(code)
        return f"{code:08d}"

    def between(self, low: int, high: int) -> int:
        """A whole number in low..high-1; cheaper than rng.randrange in the loops over every coach."""
        return low + int(self.random() * (high - low))

    def pick(self, options: tuple | list):
        return options[int(self.random() * len(options))]

    def on(self, iso: str) -> int:
        return dt.date.fromisoformat(iso).toordinal() + self.shift

    def period(self, first_month: int, months: int = 36) -> tuple[int, int]:
        return self.month_starts[first_month], self.month_starts[first_month + months] - 1

    def document(self) -> dict:
        """All sections; decisions in recording order: trainings, programmes, then coaches."""
        organisations, trainings, programmes = self._organisations(), self._trainings(), self._programmes()
        coaches, qualifications = self._coaches(trainings)
        return {"organisations": organisations, "trainings": trainings, "programmes": programmes,
                "coaches": coaches, "qualifications": qualifications, "decisions": self.decisions}

    def _organisations(self) -> list[dict]:
        organisations, used_names = [], set()
        for number in range(1, self.institute_count + self.provider_count + 1):
            is_institute = number <= self.institute_count
            fixed = FIXED_INSTITUTES if is_institute else FIXED_PROVIDERS
            index = number - 1 if is_institute else number - 1 - self.institute_count
            if index < len(fixed):
                name, city = fixed[index]
            else:
                city, pattern = self.pick(CITY_POOL), self.pick(INSTITUTE_PATTERNS if is_institute else PROVIDER_PATTERNS)
                name = pattern.format(city=city, centre=self.pick(CENTRE_NAMES), founder=self.pick(FOUNDERS))
                if name in used_names:
                    name = f"{name}, locatie {self.pick(DISTRICTS)}"
            used_names.add(name)
            organisation = {"code": f"O-{number:06d}", "name": name, "kvk_number": next(self.kvk_numbers), "city": city}
            if not is_institute:
                # Every provider holds one or two AGB codes (practice, and a location for about a third).
                codes = [next(self.agb_codes) if self.random() < 0.9 else self._location_agb()]
                if self.location_rng.random() < 0.35:
                    codes.append(self._location_agb())
                organisation["agb_codes"] = codes
            organisations.append(organisation)
        self.institutes, self.providers = organisations[: self.institute_count], organisations[self.institute_count:]
        return organisations

    def _trainings(self) -> list[dict]:
        trainings, self.certificate_prefixes = [], {}
        for number in range(1, self.training_count + 1):
            if number <= len(TRAINING_STORIES):
                _story, kind, steps = TRAINING_STORIES[number - 1]
                steps = self._shifted(steps)
            else:
                kind, first = self.between(0, len(TRAINING_KINDS)), self.between(-170, -125)
                steps = [("grant", self.month_starts[first], None)]
                if self.random() < 0.25:  # renewed once: two adjoining grants
                    steps = [("grant", *self.period(first, 60)), ("grant", self.month_starts[first + 60], None)]
            name, guidance_types, formats = TRAINING_KINDS[kind]
            institute = self.institutes[(number - 1) * self.institute_count // self.training_count]
            code = f"T-{number:06d}"
            trainings.append({"code": code, "name": name, "organisation": institute["code"],
                              "guidance_types": list(guidance_types), "formats": list(formats)})
            initials = "".join(word[0] for word in institute["name"].replace("-", " ").split() if word[0].isalpha())
            self.certificate_prefixes[code] = initials[:2].upper().ljust(2, "X") + "-"
            self._record("training", code, steps)
        return trainings

    def _programmes(self) -> list[dict]:
        programmes = []
        for number in range(1, self.programme_count + 1):
            provider = self.providers[(number - 1) * self.provider_count // self.programme_count]
            if number <= len(PROGRAMME_STORIES):
                _story, guidance_type, programme_format, sessions, minutes, steps = PROGRAMME_STORIES[number - 1]
                steps = self._shifted(steps)
            else:
                guidance_type = self.pick(("short", "intensive", "intensive"))
                programme_format = self.pick(("individual", "individual", "group"))
                sessions = self.between(4, 7) if guidance_type == "short" else self.between(7, 11)
                if self.random() < 0.05:  # a design from before the 2025 care standard
                    sessions = 3 if guidance_type == "short" else 6
                minutes = sessions * self.pick(MINUTES_PER_SESSION[guidance_type, programme_format])
                below_standard = care_standard_shortfall(guidance_type, programme_format, sessions, minutes)
                steps = self._old_register_history() if below_standard else self._random_history()
            name = self.pick(PROGRAMME_NAMES[guidance_type, programme_format])
            code = f"P-{number:06d}"
            programmes.append({
                "code": code, "name": f"{name} {provider['city']}" if self.random() < 0.5 else name,
                "organisation": provider["code"], "guidance_type": guidance_type, "format": programme_format,
                "modes": list(self.pick(MODES[programme_format])), "sessions": sessions, "contact_minutes": minutes,
                "cities": list(dict.fromkeys([provider["city"], *self.rng.sample(CITIES, self.between(0, 4))])),
            })
            self._record("programme", code, steps)
        return programmes

    def _coaches(self, trainings: list[dict]) -> tuple[list[dict], list[dict]]:
        letters = ["".join(self.rng.choices(INITIAL_LETTERS, k=self.pick((1, 1, 1, 1, 2, 2, 2, 3)))) for _ in range(600)]
        self.initials_pool = [(".".join(letter) + ".", letter.lower() + ".") for letter in letters]
        bulk_trainings = trainings[len(TRAINING_STORIES):]
        self.qualifying = ["T-000001", "T-000002", *(training["code"] for training in bulk_trainings)]
        self.further = [t["code"] for t in bulk_trainings if "intensive" in t["guidance_types"]] or ["T-000001"]
        slugs = {name: _ascii_slug(name[0] + name[1]) for name in NAME_POOL + tuple(story[1:3] for story in COACH_STORIES)}
        random_, iso, certificate_prefixes = self.random, self.iso, self.certificate_prefixes
        coaches, qualifications, used_emails = [], [], set()
        for number in range(1, self.coach_count + 1):
            registration_number, showcase = "C-" + str(number).zfill(6), number <= len(COACH_STORIES)
            if showcase:
                initials, prefix, surname, city, _story, completed, steps = COACH_STORIES[number - 1]
                email_start, steps = initials.replace(".", "").lower() + ".", self._shifted(steps)
                completed = [(f"T-{training:06d}", self.on(day)) for training, day in completed]
            else:
                initials, email_start, prefix, surname, city, completed, steps = self._bulk_coach()
            coach = {"registration_number": registration_number, "initials": initials}
            if prefix:
                coach["prefix"] = prefix
            coach["surname"] = surname
            if showcase or random_() < 0.85:
                coach["agb_code"] = next(self.agb_codes)
            coach["city"] = city
            if showcase or random_() < 0.9:
                local = email_start + slugs[prefix, surname]
                if local in used_emails:
                    local += str(number)
                used_emails.add(local)
                coach["email"] = local + ("@example.nl" if random_() < 0.7 else "@example.org")
            coaches.append(coach)
            for training, completed_on in completed:
                qualifications.append({"coach": registration_number, "training": training, "completed_on": iso[completed_on],
                                       "certificate": certificate_prefixes[training] + str(self.between(10000, 100000))})
            if steps:
                self._record("coach", registration_number, steps)
        return coaches, qualifications

    def _bulk_coach(self) -> tuple:
        """Name, city, completed trainings and decision steps of one coach beyond the showcase."""
        random_, between, pick, today = self.random, self.between, self.pick, self.today
        initials, email_start = self.initials_pool[int(random_() * 600)]
        prefix, surname = NAME_POOL[int(random_() * len(NAME_POOL))]
        city, steps, roll = CITY_POOL[int(random_() * len(CITY_POOL))], self._random_history(), random_()
        if roll < 0.03:
            completed = ()
        elif roll < 0.04:  # T-000003 was not yet, T-000004 no longer accredited then: the qualification does not count
            completed = ((pick(("T-000003", "T-000004")), self.on("2024-01-10") + between(0, 400)),)
        else:
            first, training = min(steps[0][1] if steps else today, today) - between(14, 400), pick(self.qualifying)
            later, further_training = first + between(100, 1500), pick(self.further)
            if roll > 0.75 and later <= today and further_training != training:
                completed = ((training, first), (further_training, later))
            else:
                completed = ((training, first),)
        return initials, email_start, prefix, surname, city, completed, steps

    def _random_history(self) -> list[tuple]:
        """Decision steps for a bulk subject: mostly one current grant, about one in five a less common story."""
        between, today, period = self.between, self.today, self.period
        roll = self.random()
        if roll < 0.03:
            return []
        if roll < 0.10:
            return [("grant", *period(between(-96, -36)))]  # expired
        if roll < 0.12:
            return [("grant", *period(between(1, 5)))]  # not yet valid
        if roll < 0.13:
            return [("grant", *period(between(-70, -40))), ("grant", *period(between(1, 4)))]  # gap
        valid_from, valid_until = period(between(-34, -1))
        current = ("grant", valid_from, None if roll > 0.97 else valid_until)
        if roll < 0.15:
            return [current, ("suspend", today - between(1, 50), None if roll < 0.135 else today + between(10, 120))]
        if roll < 0.16:
            suspension = ("suspend", today - between(60, 120), today + between(30, 90))
            return [current, suspension, ("lift", today - between(1, 50), 1)]
        if roll < 0.17:
            return [current, ("revoke", today - between(1, 28))]
        if roll < 0.175:
            old = between(-60, -40)
            return [("grant", *period(old)), ("revoke", self.month_starts[old + 12]), ("grant", *period(between(-20, -1)))]
        if roll < 0.18:
            return [current, ("suspend", today - between(5, 90), None), ("retract", 1)]
        return [current]

    def _old_register_history(self) -> list[tuple]:
        """A design below the care standard keeps only a grant that ended before the standard, or nothing."""
        valid_from = self.month_starts[self.between(-70, -36)]
        if self.random() < 0.5 or valid_from >= self.care_standard_from:
            return []
        return [("grant", valid_from, self.care_standard_from - 1)]

    def _shifted(self, steps: tuple) -> list[tuple]:
        return [(step[0], *(self.on(value) if isinstance(value, str) else value for value in step[1:])) for step in steps]

    def _record(self, subject: str, code: str, steps: list[tuple]) -> None:
        """Append the steps as decisions, lift and retract naming an earlier step's reference."""
        iso, today, references = self.iso, self.today, []
        for kind, first, *rest in steps:
            fields = DECISION_FIELDS[DecisionKind(kind)]
            # A step names its start (or, for a retraction, its target) first, then its end or a lift's suspension.
            first_field, second_field = fields.start or fields.target, fields.end or fields.target
            decision = {"subject": subject, "code": code, "kind": kind,
                        first_field: references[first] if kind == "retract" else iso[first]}
            if rest and rest[0] is not None:
                decision[second_field] = references[rest[0]] if kind == "lift" else iso[rest[0]]
            if len(rest) > 1:
                decision["override_reason"] = OVERRIDE_REASON
            reasons = REASONS[kind] if kind != "grant" else REASONS[
                "old register" if first < self.care_standard_from else (subject, kind)]
            year = iso[today if kind == "retract" or first > today else first][:4]
            self.references_per_year[year] = count = self.references_per_year.get(year, 0) + 1
            decision["reference"] = reference = f"SKZ-{year}-{count:04d}"
            decision["reason"] = reasons[int(self.random() * len(reasons))]
            references.append(reference)
            self.decisions.append(decision)
