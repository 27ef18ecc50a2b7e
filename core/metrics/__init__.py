"""Counters of a client's activity, read as a snapshot or scraped by Prometheus."""

__all__: list[str] = []
