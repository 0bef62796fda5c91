"""Text from outside (a request, a provider's answer) in a log line: quoted, control characters escaped, cut short.

A newline or terminal escape sent by a visitor must not start a forged log line or repaint an operator's terminal.
"""

from __future__ import annotations

MAX_LOGGED = 200


def logged(value: object, limit: int = MAX_LOGGED) -> str:
    """The value as one printable, quoted piece of a log line, at most `limit` characters of it."""
    text = str(value)
    return repr(text[:limit]) + ("..." if len(text) > limit else "")
