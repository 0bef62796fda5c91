"""Helpers shared by tests that run the registry as a real server process."""
