"""The Python client in docs/api.md runs as written against a real registry server."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.support.server import ROOT, running_registry

DOC = ROOT / "docs" / "api.md"


def example_code() -> str:
    [code] = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.DOTALL)
    return code


def test_python_client_example_runs(database_url: str, tmp_path: Path) -> None:
    with running_registry(database_url, tmp_path / "data", demo_coaches=30) as registry:
        credentials = registry.new_client("docs example")
        code = example_code()
        for name, value in (("REGISTRY_URL", registry.base_url), ("CLIENT_ID", credentials["client_id"]),
                            ("CLIENT_SECRET", credentials["client_secret"])):
            code, count = re.subn(rf'^{name} = ".*"$', f'{name} = "{value}"', code, flags=re.MULTILINE)
            assert count == 1, f"the example should set {name} once"
        script = tmp_path / "client.py"
        script.write_text(code)
        result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "P-000001 by C-000001 on 2026-03-02: accredited"
    assert lines[1].startswith("receipt verified: key ")


def test_every_reason_code_is_explained() -> None:
    from registry.rules import ReasonCode

    text = DOC.read_text()
    positions = [text.index(f"| `{code}` |") for code in ReasonCode]
    assert positions == sorted(positions), "reason codes are listed in the order answers give them"


def test_the_csv_example_answers_as_written(database_url: str, tmp_path: Path) -> None:
    """The declaration file of docs/api.md, sent to a registry holding the demo data of `make run`, answers as the page says."""
    import csv
    import io

    import httpx

    text = DOC.read_text()
    [body] = re.findall(r"cat > declaraties.csv <<'CSV'\n(.*?)CSV\n", text, re.DOTALL)
    [answer] = re.findall(r"```text\n(provider_agb_code;.*?)```", text, re.DOTALL)
    expected = [row[5:8] for row in csv.reader(io.StringIO(answer), delimiter=";")]
    with running_registry(database_url, tmp_path / "data", demo_coaches=400) as registry:
        credentials = registry.new_client("docs csv example")
        token = httpx.post(f"{registry.base_url}/oauth/token", data={"grant_type": "client_credentials"},
                           auth=(credentials["client_id"], credentials["client_secret"])).json()["access_token"]
        response = httpx.post(f"{registry.base_url}/api/v1/verifications/batch", content=body.encode(),
                              headers={"Authorization": f"Bearer {token}", "Content-Type": "text/csv"})
    assert response.status_code == 200, response.text
    answered = [row[5:8] for row in csv.reader(io.StringIO(response.text), delimiter=";")]
    assert answered == expected
