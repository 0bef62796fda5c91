"""The verification API for billing systems: OAuth2 token endpoint, key set and verifications."""
