"""Imports: parse a document, plan the changes against what is stored, write them with their audit events."""
