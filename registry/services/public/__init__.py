"""Public reads: records, searches, open data and the change feed."""
