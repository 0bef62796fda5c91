"""Benchmark of public search against `registry serve` on demo data, from a second process.

Measures, in one run on one server: requests/s and p50/p95/p99 latency of coach search by name,
programme search with filters (JSON API and the HTML pages), searches with typos and other place
names (API and the /zoeken page, which then searches again with the suggestion), detail pages of
programmes, coaches, trainings and organisations (rendered once per register state, language and
day), and GET /health/live alongside (wrk over loopback); then the time and peak memory of a full
open-data export. Targets: search p95 < 50 ms, detail pages p95 < 20 ms at 10 connections.
Needs `wrk`.

    .venv/bin/python bench/public.py --database-url sqlite:///data/bench.db --skip-demo
"""

from __future__ import annotations

import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import PYTHON, ROOT, arguments, lua_script, prepare, serving, table, wrk  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from registry.demo import CITIES, NAME_POOL  # noqa: E402


def coach_queries(count: int, seed: int = 3) -> list[str]:
    """Surname words and their prefixes, as people type them."""
    rng = random.Random(seed)
    paths = []
    for _ in range(count):
        _, surname = rng.choice(NAME_POOL)
        word = surname.split()[-1]
        typed = word[: rng.randint(3, len(word))] if len(word) > 3 else word
        paths.append("/api/v1/coaches?" + urlencode({"q": typed}))
    return paths


def programme_queries(count: int, seed: int = 5) -> list[str]:
    """Programme searches combining a city, a guidance type, a format, a mode and sometimes a status."""
    rng = random.Random(seed)
    paths = []
    for _ in range(count):
        params = {"city": rng.choice(CITIES)}
        if rng.random() < 0.7:
            params["guidance_type"] = rng.choice(["short", "intensive"])
        if rng.random() < 0.5:
            params["format"] = rng.choice(["individual", "group"])
        if rng.random() < 0.3:
            params["mode"] = rng.choice(["on_site", "phone", "video"])
        if rng.random() < 0.3:
            params["status"] = "accredited"
        if rng.random() < 0.3:
            params["q"] = rng.choice(["stop", "rook", "samen", "vrij"])
        paths.append("/api/v1/programmes?" + urlencode(params))
    return paths


def typo(word: str, rng: random.Random) -> str:
    """A word with one letter dropped, doubled or swapped with its neighbour, as people mistype."""
    if len(word) < 5:
        return word
    at = rng.randrange(1, len(word) - 1)
    change = rng.choice(("drop", "double", "swap"))
    if change == "drop":
        return word[:at] + word[at + 1:]
    if change == "double":
        return word[:at] + word[at] + word[at:]
    return word[:at] + word[at + 1] + word[at] + word[at + 2:]


def mistyped_queries(count: int, seed: int = 7) -> list[str]:
    """Coach surnames and cities with a typo, and places by another name, as the search box gets them."""
    rng = random.Random(seed)
    queries = []
    for _ in range(count):
        roll = rng.random()
        if roll < 0.4:
            queries.append(typo(rng.choice(NAME_POOL)[1].split()[-1], rng))
        elif roll < 0.8:
            queries.append(typo(rng.choice(CITIES), rng))
        else:
            queries.append(rng.choice(["den bosch", "Den Bosch", "s-Gravenhage", "the hague"]))
    return queries


def detail_pages(count: int, seed: int = 11) -> list[str]:
    """Pages of programmes, coaches, trainings and organisations that the demo data holds (codes as it allocates them)."""
    rng = random.Random(seed)
    kinds = [("/programmas/P-{:06d}", 2_000), ("/coaches/C-{:06d}", 100_000), ("/opleidingen/T-{:06d}", 500),
             ("/organisaties/O-{:06d}", 2_000)]
    return [pattern.format(rng.randint(1, top)) for pattern, top in (rng.choice(kinds) for _ in range(count))]


def as_page(api_path: str) -> str:
    """The HTML page that shows the same search as an API path."""
    return api_path.replace("/api/v1/programmes", "/programmas").replace("/api/v1/coaches", "/coaches")


def main() -> None:
    setup = prepare(arguments(__doc__, connections=10))
    args, workdir, database_url, env, base = setup.args, setup.workdir, setup.database_url, setup.env, setup.base
    try:
        with serving(env, setup.port):
            coaches = coach_queries(300)
            programmes = programme_queries(300)
            hits = [httpx.get(base + path).json()["total"] for path in coaches[:20]]
            assert all(total > 0 for total in hits), "coach searches should find someone"
            mistyped = mistyped_queries(300)
            details = [path for path in detail_pages(600) if httpx.get(base + path).status_code == 200][:300]
            assert len(details) > 200, "most detail pages should exist in the demo data"
            suggested = [httpx.get(base + "/api/v1/coaches?" + urlencode({"q": q})).json() for q in mistyped[:40]]
            found_again = sum(1 for answer in suggested if answer["total"] or answer["suggestion"])
            scripts = {
                "health": lua_script(workdir / "health.lua", "GET", ["/health/live"]),
                "coaches": lua_script(workdir / "coaches.lua", "GET", coaches),
                "programmes": lua_script(workdir / "programmes.lua", "GET", programmes),
                "coach pages": lua_script(workdir / "coach_pages.lua", "GET", [as_page(path) for path in coaches]),
                "programme pages": lua_script(workdir / "programme_pages.lua", "GET", [as_page(path) for path in programmes]),
                "programme page": lua_script(workdir / "programme_page.lua", "GET", [f"/programmas/P-{n:06d}" for n in range(1, 301)]),
                "typos api": lua_script(workdir / "typos_api.lua", "GET", ["/api/v1/coaches?" + urlencode({"q": q}) for q in mistyped]),
                "typos page": lua_script(workdir / "typos_page.lua", "GET", ["/zoeken?" + urlencode({"q": q}) for q in mistyped]),
                "search page": lua_script(workdir / "search_page.lua", "GET",
                                          ["/zoeken?" + urlencode({"q": parse_qs(urlsplit(path).query)["q"][0]}) for path in coaches]),
                "detail pages": lua_script(workdir / "detail_pages.lua", "GET", details),
            }
            wrk(f"{base}/health/live", 2, args.connections, scripts["health"])  # warm-up
            results = [
                ("GET /health/live", wrk(base, args.seconds, args.connections, scripts["health"])),
                ("GET /api/v1/coaches?q=<name prefix>", wrk(base, args.seconds, args.connections, scripts["coaches"])),
                ("GET /api/v1/programmes?<filters>", wrk(base, args.seconds, args.connections, scripts["programmes"])),
                ("page /coaches?q=<name prefix>", wrk(base, args.seconds, args.connections, scripts["coach pages"])),
                ("page /programmas?<filters>", wrk(base, args.seconds, args.connections, scripts["programme pages"])),
                ("page /programmas/<code>", wrk(base, args.seconds, args.connections, scripts["programme page"])),
                ("GET /api/v1/coaches?q=<typo or other place name>", wrk(base, args.seconds, args.connections, scripts["typos api"])),
                ("page /zoeken?q=<name prefix>", wrk(base, args.seconds, args.connections, scripts["search page"])),
                ("page /zoeken?q=<typo or other place name>", wrk(base, args.seconds, args.connections, scripts["typos page"])),
                ("page <programme|coach|training|organisation>/<code>",
                 wrk(base, args.seconds, args.connections, scripts["detail pages"])),
            ]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    engine = "PostgreSQL" if database_url.startswith("postgres") else "SQLite"
    table(f"{engine}, {args.coaches:,} coaches, one uvicorn worker, wrk -t1 -c{args.connections} -d{args.seconds}s", results)
    print(f"typo searches answered with results or a suggestion: {found_again} of {len(suggested)}")
    seconds, peak_mb, sizes = open_data_export(env)
    print(f"open-data export (registry open-data, its own process): {seconds:.1f} s, peak memory {peak_mb:.0f} MB RSS, "
          + ", ".join(f"{name} {size / 1e6:.1f} MB" for name, size in sizes.items()))


def open_data_export(env: dict[str, str]) -> tuple[float, float, dict[str, int]]:
    """Time and peak memory of a full export in a process of its own."""
    directory = Path(tempfile.mkdtemp(prefix="registry-open-data-"))
    try:
        # The export's own peak RSS, reported by the process itself when it is done.
        measured = (
            "import resource, runpy, sys\n"
            f"sys.argv = ['registry', 'open-data', {str(directory)!r}]\n"
            "try:\n    runpy.run_module('registry.cli', run_name='__main__')\n"
            "finally:\n    print('peak-kb', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
        )
        started = time.perf_counter()
        result = subprocess.run([PYTHON, "-c", measured], env=env, cwd=ROOT, capture_output=True, text=True)
        seconds = time.perf_counter() - started
        if result.returncode != 0:
            sys.exit(result.stderr)
        peak_mb = int(result.stderr.rsplit("peak-kb", 1)[1].split()[0]) / 1024
        sizes = {path.name: path.stat().st_size for path in sorted(directory.glob("*.*")) if path.name != "manifest.json"}
        return seconds, peak_mb, sizes
    finally:
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
