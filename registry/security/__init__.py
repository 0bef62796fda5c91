"""Security policy applied to every response: headers, and which routes may be cached."""
