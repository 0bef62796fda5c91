"""The demo's showcase stories: subjects whose decisions show every status and rule, in every document."""

from __future__ import annotations

import datetime as dt

DEFAULT_TODAY = dt.date(2026, 11, 22)
# When the demo's decisions are recorded, whenever it is loaded: on its own today. Its stories are told as of that day,
# and its transition override is accepted only when recorded before strict enforcement (2027-01-01 by default).
RECORDED_AT = dt.datetime.combine(DEFAULT_TODAY, dt.time(9), tzinfo=dt.timezone.utc)

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
