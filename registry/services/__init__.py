"""Services: the only code that writes, each write with its audit event in one transaction."""
