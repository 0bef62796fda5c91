"""The public side of the registry: pages, the public JSON API and open data."""
