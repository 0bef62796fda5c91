"""A deterministic demo import document: realistic Dutch SMR register data with showcase stories."""

from __future__ import annotations

import datetime as dt
import random
import unicodedata

from registry.rules import CARE_STANDARD_FROM, DECISION_FIELDS, DecisionKind, care_standard_shortfall

DEFAULT_TODAY = dt.date(2026, 11, 22)
BIG_CITIES = ("Amsterdam", "Rotterdam", "Den Haag", "Utrecht", "Eindhoven", "Groningen", "Tilburg", "Almere")
CITIES = BIG_CITIES + tuple(
    "Breda, Nijmegen, Apeldoorn, Haarlem, Arnhem, Enschede, Amersfoort, Zaanstad, 's-Hertogenbosch, Zwolle, Leiden, "
    "Zoetermeer, Leeuwarden, Maastricht, Dordrecht, Ede, Alphen aan den Rijn, Alkmaar, Emmen, Delft, Venlo, Deventer, "
    "Sittard, Helmond, Oss, Amstelveen, Hilversum, Heerlen, Zeist, Gouda, Hoorn, Purmerend, Roosendaal, Assen, Middelburg, "
    "Lelystad, Den Helder, Drachten, Sneek, Kampen, Roermond, Bergen op Zoom, Doetinchem, Veenendaal, Goes, Heerenveen, "
    "Nieuwegein, Tiel".split(", "))
CITY_POOL = CITIES + BIG_CITIES * 3  # bigger cities have more coaches and practices
COMMON_NAMES = ("de Jong, Jansen, de Vries, van den Berg, van Dijk, Bakker, Janssen, Visser, Smit, Meijer, de Boer, "
                "Mulder, de Groot, Bos, Vos, Peters, Hendriks, van Leeuwen")
REGULAR_NAMES = (
    "Dekker, Brouwer, de Wit, Dijkstra, Smits, de Graaf, van der Meer, van der Linden, Kok, Jacobs, de Haan, Vermeulen, "
    "van den Heuvel, van der Veen, van den Broek, de Bruijn, van der Heijden, Schouten, van Beek, Willems, van Vliet, "
    "van de Ven, Hoekstra, Maas, Verhoeven, Koster, van Dam, van der Wal, Prins, Blom, Huisman, Peeters, de Lange, Kuipers, "
    "van Wijk, Postma, Kuiper, Veenstra, Kramer, Scholten, van den Brink, Martens, Vink, ter Horst, ter Haar, in 't Veld, "
    "in 't Hout, van Loon, Post, Koning, Wouters, Timmermans, Groen, Bosman, Evers, Hermans, Gerritsen, Molenaar, Hoogland")
ACCENTED_NAMES = "Şahin, Öztürk, Çelik, Yılmaz, Doğan, Dekker-Müller"


def _prefixed_names(names: str) -> tuple[tuple[str, str], ...]:
    """("van der", "Meer") from "van der Meer": the prefix is every word before the last."""
    return tuple(name.rpartition(" ")[::2] for name in names.split(", "))


NAME_POOL = _prefixed_names(COMMON_NAMES) * 4 + _prefixed_names(REGULAR_NAMES) + _prefixed_names(ACCENTED_NAMES)
INITIAL_LETTERS = "JJJAAAMMMHHPPWWCCEEKKLLRRSSTTGNDBFIY"
CENTRE_NAMES = ("De Linde", "De Eik", "De Esch", "Het Anker", "De Bron", "De Wilgen", "Het Baken", "De Vaart",
                "De Kroon", "Het Palet", "De Hoven", "De Meander", "Het Kompas", "De Vijverhof", "De Sterrenwacht")
PROVIDER_PATTERNS = ("Stoppen met Roken Praktijk {city}", "Rookvrij Coaching {city}", "Gezondheidscentrum {centre}",
                     "Huisartsenpraktijk {centre}", "Leefstijlpraktijk {city}", "Stopcoach {city}",
                     "Praktijk Vrij van Roken {city}", "Apotheek {centre}", "Longpunt {city}")
INSTITUTE_PATTERNS = ("{founder}-instituut", "Academie voor Stopbegeleiding {city}", "Opleidingsinstituut Rookvrij {city}",
                      "Kenniscentrum Tabaksverslaving {city}", "Scholingscentrum Leefstijl en Verslaving {city}")
FOUNDERS = ("Hoogland", "Van Rijswijk", "Brinkman", "Terpstra", "Van Oordt", "Kleinjan", "Wesseling")
DISTRICTS = ("Noord", "Oost", "Zuid", "West", "Centrum")
FIXED_INSTITUTES = (("Hoogland-instituut", "Utrecht"), ("Academie voor Stopbegeleiding", "Amersfoort"),
                    ("Kenniscentrum Tabaksverslaving Noord", "Groningen"))
FIXED_PROVIDERS = (("Stoppen met Roken Praktijk Zeist", "Zeist"), ("Rookvrij Coaching Groningen", "Groningen"),
                   ("Gezondheidscentrum De Linde", "Leeuwarden"), ("Huisartsenpraktijk Het Anker", "'s-Hertogenbosch"),
                   ("Leefstijlpraktijk Maastricht", "Maastricht"))
TRAINING_KINDS = (  # (name, guidance types, formats); the broad registration course is listed twice: most common
    ("Registeropleiding stoppen-met-rokencoach", ("short", "intensive"), ("individual", "group")),
    ("Begeleiden bij stoppen met roken volgens de zorgstandaard", ("short", "intensive"), ("individual", "group")),
    ("Registeropleiding stoppen-met-rokencoach", ("short", "intensive"), ("individual", "group")),
    ("Kortdurende stopbegeleiding voor POH en verpleegkundigen", ("short",), ("individual", "group")),
    ("Intensieve gedragsmatige stopbegeleiding", ("intensive",), ("individual",)),
    ("Groepstraining stoppen met roken", ("short", "intensive"), ("group",)),
)
PROGRAMME_NAMES = {
    ("short", "individual"): ("Kortdurende stopbegeleiding", "Stopadvies Plus", "Rookvrij in vier gesprekken"),
    ("short", "group"): ("Samen Rookvrij Kort", "Stoppen in de groep"),
    ("intensive", "individual"): ("Intensief Stoppen met Roken", "Stopkompas", "Vrij van Roken: persoonlijk traject"),
    ("intensive", "group"): ("Samen Stoppen", "Rookvrije Groep", "Stoppen met Roken in acht weken"),
}
MINUTES_PER_SESSION = {("short", "individual"): (15, 20, 30), ("short", "group"): (45, 60, 75),
                       ("intensive", "individual"): (30, 40, 45, 60), ("intensive", "group"): (60, 75, 90)}
MODES = {"individual": (("on_site",), ("on_site", "phone"), ("on_site", "phone", "video"), ("on_site", "video"),
                        ("phone", "video"), ("phone",)),
         "group": (("on_site",), ("on_site",), ("on_site", "video"), ("video",))}
REASONS = {
    ("training", "grant"): ("Opleiding beoordeeld en geaccrediteerd door de accreditatiecommissie.",),
    ("programme", "grant"): ("Programma beoordeeld en geaccrediteerd conform de Zorgstandaard Tabaksverslaving 2025.",
                             "Herbeoordeling positief; accreditatie verlengd."),
    ("coach", "grant"): ("Geregistreerd als stoppen-met-rokencoach na afronding van een geaccrediteerde opleiding.",
                         "Herregistratie na aangetoonde nascholing."),
    "old register": ("Overgenomen uit het register van het Partnership Stoppen met Roken.",),
    "suspend": ("Geschorst in afwachting van onderzoek naar een klacht.", "Geschorst: verplichte nascholing niet tijdig "
                "aangetoond.", "Geschorst: jaarlijkse kwaliteitsrapportage ontbreekt."),
    "lift": ("Schorsing opgeheven: de gevraagde stukken zijn ontvangen.",
             "Schorsing opgeheven na afronding van het onderzoek."),
    "revoke": ("Accreditatie ingetrokken na herhaalde tekortkomingen.",
               "Ingetrokken op eigen verzoek wegens beëindiging van de activiteiten."),
    "retract": ("Besluit ten onrechte vastgelegd (verkeerd dossier); vervalt als vergissing.",),
}
OVERRIDE_REASON = ("Overgangsjaar 2026: de aanbieder heeft een herzien programma-ontwerp ingediend dat vanaf 1 januari "
                   "2027 aan de zorgstandaard voldoet; accreditatie tot en met 31 december 2026.")

# Showcase stories; dates hold for DEFAULT_TODAY, another `today` shifts them all by the same number of days.
# Steps: (grant, from, until[, override]), (suspend, from, until), (lift, date, index of the suspend step),
# (revoke, effective), (retract, index of the retracted step).
TRAINING_STORIES = (  # (story, index into TRAINING_KINDS, steps)
    ("accredited since 2014-01-01, open-ended; all guidance types and formats", 0, (("grant", "2014-01-01", None),)),
    ("short guidance only, accredited 2016-01-01..2027-12-31", 3, (("grant", "2016-01-01", "2027-12-31"),)),
    ("accredited only from 2025-03-01 (C-000014 completed it before)", 5, (("grant", "2025-03-01", None),)),
    ("expired 2023-12-31 (C-000009 completed it in time, C-000015 after)", 1, (("grant", "2016-01-01", "2023-12-31"),)),
    ("suspended from 2026-09-01 until lifted", 1, (("grant", "2018-01-01", None), ("suspend", "2026-09-01", None))),
    ("revoked effective 2025-07-01", 4, (("grant", "2019-01-01", None), ("revoke", "2025-07-01"))),
)
PROGRAMME_STORIES = (  # (story, guidance type, format, sessions, contact minutes, steps)
    ("accredited 2025-09-01..2028-08-31", "intensive", "group", 8, 600, (("grant", "2025-09-01", "2028-08-31"),)),
    ("suspended 2026-10-01 until 2026-12-31", "short", "individual", 4, 80,
     (("grant", "2024-01-01", "2026-12-31"), ("suspend", "2026-10-01", "2026-12-31"))),
    ("suspended from 2026-11-01 until lifted", "intensive", "individual", 7, 240,
     (("grant", "2025-01-01", None), ("suspend", "2026-11-01", None))),
    ("suspended 2026-06-01..2026-12-31, lifted from 2026-09-15: accredited", "intensive", "individual", 8, 300,
     (("grant", "2024-06-01", "2027-05-31"), ("suspend", "2026-06-01", "2026-12-31"), ("lift", "2026-09-15", 1))),
    ("revoked effective 2026-07-01", "short", "group", 5, 300,
     (("grant", "2024-03-01", "2027-02-28"), ("revoke", "2026-07-01"))),
    ("revoked 2025-04-01, re-granted 2026-02-01..2029-01-31: accredited", "intensive", "group", 8, 560,
     (("grant", "2023-01-01", "2025-12-31"), ("revoke", "2025-04-01"), ("grant", "2026-02-01", "2029-01-31"))),
    ("suspension of 2026-08-01 entered in error and retracted: accredited", "intensive", "individual", 10, 450,
     (("grant", "2025-06-01", "2028-05-31"), ("suspend", "2026-08-01", None), ("retract", 1))),
    ("expired 2025-12-31; below the care standard (3 sessions), old-register grant only", "short", "individual", 3, 45,
     (("grant", "2022-01-01", "2025-12-31"),)),
    ("not yet accredited: grant starts 2027-01-01", "intensive", "individual", 7, 210,
     (("grant", "2027-01-01", "2029-12-31"),)),
    ("gap between grants 2022-07-01..2025-06-30 and 2027-01-01..2029-12-31: not accredited", "short", "group", 4, 240,
     (("grant", "2022-07-01", "2025-06-30"), ("grant", "2027-01-01", "2029-12-31"))),
    ("no decision at all: not accredited", "intensive", "group", 7, 420, ()),
    ("below the care standard (245 of 270 minutes), granted 2026-03-01..2026-12-31 with override", "intensive", "group",
     7, 245, (("grant", "2026-03-01", "2026-12-31", True),)),
    ("revocation of 2026-05-01 entered in error and retracted: accredited", "short", "individual", 5, 100,
     (("grant", "2025-01-01", "2027-12-31"), ("revoke", "2026-05-01"), ("retract", 1))),
)
COACH_STORIES = (  # (initials, prefix, surname, city, story, qualifications as (training number, completed on), steps)
    ("J.", "de", "Vries", "Utrecht", "registered 2025-01-01..2027-12-31, qualified for every programme",
     ((1, "2024-05-17"),), (("grant", "2025-01-01", "2027-12-31"),)),
    ("A.M.", "", "Jansen", "Zeist", "registered since 2023-04-01, open-ended; two qualifications",
     ((1, "2022-11-04"), (5, "2024-02-09")), (("grant", "2023-04-01", None),)),
    ("P.", "van den", "Berg", "Groningen", "suspended 2026-10-01 until 2026-12-31", ((1, "2024-03-15"),),
     (("grant", "2024-09-01", "2027-08-31"), ("suspend", "2026-10-01", "2026-12-31"))),
    ("H.", "", "Bakker", "Leeuwarden", "suspended from 2026-09-01 until lifted", ((1, "2023-10-02"),),
     (("grant", "2024-02-01", "2027-01-31"), ("suspend", "2026-09-01", None))),
    ("E.", "van", "Dijk", "'s-Hertogenbosch", "suspended 2026-05-01..2026-08-31, lifted from 2026-06-15: registered",
     ((1, "2024-12-06"),),
     (("grant", "2025-03-01", "2028-02-29"), ("suspend", "2026-05-01", "2026-08-31"), ("lift", "2026-06-15", 1))),
    ("W.", "", "Visser", "Den Haag", "revoked effective 2026-03-01", ((1, "2023-02-20"),),
     (("grant", "2023-06-01", "2026-05-31"), ("revoke", "2026-03-01"))),
    ("M.C.", "", "Smit", "Maastricht", "revoked 2025-10-01, re-registered 2026-04-01..2029-03-31", ((1, "2022-09-30"),),
     (("grant", "2023-01-01", "2025-12-31"), ("revoke", "2025-10-01"), ("grant", "2026-04-01", "2029-03-31"))),
    ("K.", "", "Meijer", "Enschede", "grant entered in error and retracted: not registered", ((1, "2025-11-21"),),
     (("grant", "2026-02-01", "2029-01-31"), ("retract", 0))),
    ("L.", "", "Mulder", "Alkmaar", "expired 2025-06-30; qualified by T-000004 while it was accredited",
     ((4, "2020-03-12"),), (("grant", "2020-07-01", "2025-06-30"),)),
    ("S.", "", "Şahin", "Rotterdam", "not yet registered: grant starts 2027-01-01", ((1, "2026-09-25"),),
     (("grant", "2027-01-01", "2029-12-31"),)),
    ("R.", "ter", "Horst", "Enschede", "gap between grants 2021-01-01..2023-12-31 and 2027-02-01..2030-01-31",
     ((1, "2020-06-19"),), (("grant", "2021-01-01", "2023-12-31"), ("grant", "2027-02-01", "2030-01-31"))),
    ("T.", "in 't", "Veld", "Amersfoort", "qualified but no decision at all: not registered", ((1, "2026-06-12"),), ()),
    ("Y.", "", "Öztürk", "Amsterdam", "registered 2025-05-01..2028-04-30 but unqualified (no training)", (),
     (("grant", "2025-05-01", "2028-04-30"),)),
    ("G.", "", "Dekker-Müller", "Arnhem", "registered; only training T-000003, completed 2024-11-15 before its accreditation",
     ((3, "2024-11-15"),), (("grant", "2025-01-01", "2027-12-31"),)),
    ("N.", "", "Bos", "Zwolle", "registered; only training T-000004, completed 2024-01-15 after it expired",
     ((4, "2024-01-15"),), (("grant", "2024-04-01", "2027-03-31"),)),
    ("F.", "de", "Groot", "Eindhoven", "registered, qualified for short programmes only (T-000002)", ((2, "2023-09-01"),),
     (("grant", "2024-01-01", "2026-12-31"),)),
)
SHOWCASE: dict[str, str] = {
    **{f"T-{number:06d}": story[0] for number, story in enumerate(TRAINING_STORIES, 1)},
    **{f"P-{number:06d}": story[0] for number, story in enumerate(PROGRAMME_STORIES, 1)},
    **{f"C-{number:06d}": story[4] for number, story in enumerate(COACH_STORIES, 1)},
}


def build_demo_document(coaches: int = 400, seed: int = 2026, today: dt.date | None = None) -> dict:
    """An import document (api.md "Bulk import") with `coaches` coaches; the same arguments give the same document."""
    return _DemoBuilder(coaches, random.Random(seed), today or DEFAULT_TODAY).document()


def _ascii_slug(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.replace("ı", "i")).lower()
    return "".join(char for char in folded if char.isascii() and char.isalnum())


class _DemoBuilder:
    """One demo document; days are ordinals so that the loops over 100,000 coaches avoid date objects."""

    def __init__(self, coaches: int, rng: random.Random, today: dt.date):
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
        self.agb_codes = iter([f"{code:08d}" for code in rng.sample(range(10**8), coaches + organisation_count)])
        self.kvk_numbers = iter([f"{code:08d}" for code in rng.sample(range(10**8), organisation_count)])

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
            if not is_institute and self.random() < 0.9:
                organisation["agb_code"] = next(self.agb_codes)
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
