"""POST /api/v1/verifications/batch with a CSV body: same verdicts as JSON, refusals that name row and column."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from joserfc import jws
from joserfc.jwk import KeySet

from registry.services.imports.plan import import_document
from tests.functional.api_client import ApiSession
from tests.functional.declaration_story import ACCEPTED, COACH, DAY, EXAMPLES, PROVIDER, SHORT_QUALIFICATION, claim, story
from tests.functional.helpers import OPERATOR, encode
from tests.functional.test_declaration_lines import stored_count

COLUMNS = ["provider_agb_code", "guidance_type", "programme_code", "coach_agb_code", "coach_registration_number", "service_date", "reference"]


@pytest.fixture
async def loaded(session: ApiSession) -> dict[str, str]:
    await import_document(session.engine, encode(story()), OPERATOR)
    await session.recorded()
    return await session.bearer()


def csv_text(claims: list[dict[str, Any]], separator: str = ",", columns: list[str] = COLUMNS) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=separator, lineterminator="\r\n")
    writer.writerow(columns)
    for item in claims:
        writer.writerow([item.get(name, "") for name in columns])
    return out.getvalue()


async def post_csv(session: ApiSession, headers: dict[str, str], body: str | bytes) -> Any:
    content = body.encode() if isinstance(body, str) else body
    return await session.http.post("/api/v1/verifications/batch", content=content, headers={**headers, "Content-Type": "text/csv"})


def rows(text: str) -> list[dict[str, str]]:
    text = text.removeprefix("\ufeff")
    separator = ";" if text.split("\r\n", 1)[0].count(";") else ","
    return list(csv.DictReader(io.StringIO(text), delimiter=separator))


def all_claims() -> list[dict[str, Any]]:
    claims = [{**claim(extra), "reference": f"line-{number}"} for number, (_, extra, _, _, _) in enumerate(EXAMPLES, 1)]
    claims.append({"programme_code": "P-A", "coach_registration_number": COACH, "service_date": DAY, "reference": "by-programme"})
    return claims


@pytest.mark.parametrize("separator", [",", ";"])
async def test_csv_and_json_give_the_same_verdicts(session: ApiSession, loaded: dict[str, str], separator: str) -> None:
    claims = all_claims()
    response = await post_csv(session, loaded, csv_text(claims, separator))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    header = response.text.split("\r\n", 1)[0].split(separator)
    assert header == [*COLUMNS, "accredited", "reasons", "programme_code", "verification_id", "receipt", "error"]
    answered = list(csv.reader(io.StringIO(response.text), delimiter=separator))[1:]
    json_batch = (await session.http.post("/api/v1/verifications/batch", json={"items": claims}, headers=loaded)).json()["results"]
    jwks = KeySet.import_key_set((await session.http.get("/.well-known/jwks.json")).json())
    for line, row, result in zip(claims, answered, json_batch, strict=True):
        cells = dict(zip(header[: len(COLUMNS)], row[: len(COLUMNS)], strict=True))
        assert cells == {name: line.get(name, "") for name in COLUMNS}
        accredited, reasons, programme, verification_id, receipt, error = row[len(COLUMNS):]
        assert accredited == str(result["accredited"]).lower() and error == ""
        assert reasons == "|".join(reason["code"] for reason in result["reasons"])
        assert programme == ((result["programme"] or {}).get("code") or "")
        payload = json.loads(jws.deserialize_compact(receipt, jwks, algorithms=["ES256"]).payload)
        assert payload["verification_id"] == verification_id and payload["request"]["reference"] == line["reference"]
    assert [row[len(COLUMNS) + 1] for row in answered[: len(EXAMPLES)]] == ["|".join(reasons) for _, _, _, reasons, _ in EXAMPLES]
    assert await stored_count(session) == 2 * len(claims)
    # Each CSV answer is stored and read back like any other.
    stored = await session.http.get(f"/api/v1/verifications/{answered[0][len(COLUMNS) + 3]}", headers=loaded)
    assert stored.status_code == 200 and stored.json()["reference"] == "line-1"


async def test_an_excel_file_with_a_byte_order_mark_and_semicolons_is_read_and_answered_alike(session: ApiSession, loaded: dict[str, str]) -> None:
    await import_document(session.engine, encode(SHORT_QUALIFICATION), OPERATOR)
    await session.recorded()
    body = "\ufeff" + "provider_agb_code;coach_registration_number;service_date\r\n" + f"{PROVIDER};{COACH};{DAY}\r\n;;\r\n"
    response = await post_csv(session, loaded, body.encode("utf-8"))
    assert response.status_code == 200, response.text
    assert response.content.startswith("\ufeff".encode())  # so that Excel reads the answer as UTF-8 too
    [row] = rows(response.text)
    assert row["provider_agb_code"] == PROVIDER and row["accredited"] == "true" and row["programme_code"] == ACCEPTED[4]


async def test_a_row_invalid_on_its_own_gets_an_error_and_the_others_their_verdict(session: ApiSession, loaded: dict[str, str]) -> None:
    claims = [
        claim({}),
        {**claim({}), "programme_code": "P-A"},  # both
        {"coach_registration_number": COACH, "service_date": DAY},  # neither
        {"programme_code": "P-A", "guidance_type": "short", "coach_registration_number": COACH, "service_date": DAY},
        claim({"provider_agb_code": "1234567"}),
        claim({"reference": "=HYPERLINK(\"http://evil.example\")"}),
    ]
    response = await post_csv(session, loaded, csv_text(claims))
    assert response.status_code == 200, response.text
    answered = rows(response.text)
    assert answered[0]["error"] == "" and answered[0]["reasons"] == "COACH_NOT_QUALIFIED"
    assert answered[1]["error"] == "row 3: programme_code: give exactly one of programme_code or provider_agb_code"
    assert answered[2]["error"].startswith("row 4: programme_code: give exactly one")
    assert answered[3]["error"].startswith("row 5: guidance_type: may be given only with provider_agb_code")
    assert answered[4]["error"] == "row 6: provider_agb_code: must be a string of exactly 8 digits"
    for invalid in answered[1:5]:
        assert invalid["accredited"] == invalid["verification_id"] == invalid["receipt"] == ""
    # Echoed cells never run as a formula in a spreadsheet.
    assert answered[5]["reference"].startswith("'=") and answered[5]["accredited"] == "false"
    assert await stored_count(session) == 2


@pytest.mark.parametrize(
    ("body", "status", "field", "words"),
    [
        ("", 422, "row 1", "the file is empty"),
        ("\ufeff\r\n\r\n", 422, "row 1", "the file is empty"),
        ("provider_agb_code,coach_registration_number,service_date\r\n", 422, "row 2", "no claims"),
        ("provider_agb_code,coach_registration_number,service_date,patient_name\r\n12345678,C-DECL,2026-03-02,Jansen\r\n", 422,
         "row 1, column patient_name", "unknown column"),
        ("provider_agb_code,service_date,service_date\r\n12345678,2026-03-02,2026-03-02\r\n", 422, "row 1, column service_date", "named twice"),
        ("provider_agb_code,,service_date\r\n12345678,,2026-03-02\r\n", 422, "row 1, column 2", "without a name"),
        ("provider_agb_code,coach_registration_number,service_date\r\n12345678,C-DECL,2026-03-02,extra\r\n", 422, "row 2", "4 cells"),
        ("provider_agb_code,coach_registration_number\r\n\"12345678,C-DECL\r\n", 422, "row", "not valid CSV"),
    ],
)
async def test_an_unreadable_file_is_refused_naming_row_and_column_and_nothing_is_stored(
    session: ApiSession, loaded: dict[str, str], body: str, status: int, field: str, words: str
) -> None:
    response = await post_csv(session, loaded, body.encode("utf-8"))
    assert response.status_code == status, response.text
    problem = response.json()
    assert response.headers["content-type"].startswith("application/problem+json")
    assert any(error["field"].startswith(field) and words in error["message"] for error in problem["errors"]), problem
    assert await stored_count(session) == 0


async def test_not_utf8_and_too_many_rows_are_refused(session: ApiSession, loaded: dict[str, str]) -> None:
    latin1 = "provider_agb_code,coach_registration_number,service_date,reference\r\n12345678,C-DECL,2026-03-02,Zoë\r\n".encode("latin-1")
    response = await post_csv(session, loaded, latin1)
    assert response.status_code == 400 and "not UTF-8" in response.json()["detail"]
    line = f"{PROVIDER},{COACH},{DAY}\r\n"
    too_many = "provider_agb_code,coach_registration_number,service_date\r\n" + line * 10_001
    response = await post_csv(session, loaded, too_many)
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"] == "row 10002" and "at most 10,000 claims" in error["message"]
    assert await stored_count(session) == 0


async def test_an_idempotency_key_gives_the_same_answer_file_again(session: ApiSession, loaded: dict[str, str]) -> None:
    body = csv_text(all_claims(), ";")
    keyed = {**loaded, "Idempotency-Key": "declaraties-2026-03"}
    first = await post_csv(session, keyed, body)
    again = await post_csv(session, keyed, body)
    assert first.status_code == again.status_code == 200
    assert again.content == first.content and again.headers["content-type"].startswith("text/csv")
    assert await stored_count(session) == len(all_claims())
    other = await post_csv(session, keyed, body.replace("decl", "other", 1) + f"{PROVIDER};;;C-DECL;{DAY};x\r\n")
    assert other.status_code == 422
