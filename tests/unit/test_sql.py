"""The pure parts of registry.services.sql: numbered parameters, and inserts naming only the registry's tables."""

from __future__ import annotations

import pytest

from registry.services.sql import insert_statement, marks, numbered


def test_question_marks_become_numbered_parameters_once_per_statement():
    sql = f"SELECT id FROM decision WHERE subject_kind = ? AND subject_id IN ({marks(3)})"
    assert numbered(sql) == "SELECT id FROM decision WHERE subject_kind = $1 AND subject_id IN ($2, $3, $4)"
    hits = numbered.cache_info().hits
    assert numbered(sql) == "SELECT id FROM decision WHERE subject_kind = $1 AND subject_id IN ($2, $3, $4)"
    assert numbered.cache_info().hits == hits + 1


def test_inserts_name_only_the_registrys_tables_and_columns():
    assert insert_statement("api_client", ("id", "name")) == 'INSERT INTO "api_client" ("id", "name") VALUES (?, ?)'
    with pytest.raises(ValueError):
        insert_statement("api_client; DROP TABLE decision", ("id",))
    with pytest.raises(ValueError):
        insert_statement("api_client", ('name") VALUES (1); --',))
