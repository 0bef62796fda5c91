"""msgspec Structs for every payload the registry answers with; handlers return them and the OpenAPI document is generated from them.

By face: `verification` (claims, answers, batches, receipts), `public` and `search` (records and
pages of them), `history` (published decisions, the change feed), `oauth` (tokens, metadata,
keys), `problems` (RFC 9457 errors).
"""
