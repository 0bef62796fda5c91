"""Every word of the registry's vocabularies has a label, keyed by its enum."""

from __future__ import annotations

from enum import StrEnum

import pytest

from registry.public import labels
from registry.roles import Role
from registry.rules import DecisionKind, GuidanceType, ProgrammeFormat, ReasonCode, SessionMode, Status, SubjectKind


@pytest.mark.parametrize(
    "mapping, vocabulary",
    [
        (labels.STATUS_SYMBOLS, Status),
        (labels.GUIDANCE_TYPES, GuidanceType),
        (labels.FORMATS, ProgrammeFormat),
        (labels.MODES, SessionMode),
        (labels.DECISION_KINDS, DecisionKind),
        (labels.COACH_DECISION_KINDS, DecisionKind),
        (labels.DECISION_NOUNS, DecisionKind),
        (labels.DECISION_WORDING, DecisionKind),
        (labels.REASONS, ReasonCode),
        (labels.ROLE_NAMES, Role),
        (labels.STATUS_WORDS, SubjectKind),
        *((labels.STATUS_WORDS[kind], Status) for kind in SubjectKind),
    ],
)
def test_a_label_for_every_member_and_nothing_else(mapping: dict, vocabulary: type[StrEnum]) -> None:
    assert all(isinstance(key, vocabulary) for key in mapping)
    assert set(mapping) == set(vocabulary)


def test_statuses_are_listed_in_the_rules_order() -> None:
    assert labels.STATUS_ORDER == list(Status)
