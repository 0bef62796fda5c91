"""Marking messages for translation without importing the web's languages (services and labels use this)."""

from __future__ import annotations


def N_(message: str) -> str:
    """Mark a message for translation where it is defined; it is translated where it is shown."""
    return message
