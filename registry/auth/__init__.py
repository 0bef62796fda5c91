"""Staff sign-in: sessions, roles and permissions, OpenID Connect."""
