"""Staff work: records, users, API clients, the audit log and the dashboard."""
