"""The staff UI: dashboard, records, decisions, audit, import, API clients."""
