"""Metrics: /metrics scraped during live runs against the emulators (issue 14)."""
