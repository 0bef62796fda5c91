"""The public side of the registry: read API (and, next, the public pages)."""
