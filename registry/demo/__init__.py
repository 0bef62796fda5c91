"""A deterministic demo import document: realistic Dutch SMR register data with showcase stories."""

from registry.demo.builder import build_demo_document
from registry.demo.stories import DEFAULT_TODAY, RECORDED_AT, SHOWCASE
from registry.demo.vocabulary import CITIES, NAME_POOL

__all__ = ["CITIES", "DEFAULT_TODAY", "NAME_POOL", "RECORDED_AT", "SHOWCASE", "build_demo_document"]
