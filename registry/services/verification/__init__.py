"""Verification: the in-memory index, claim answers, stored answers, signing and tokens."""
