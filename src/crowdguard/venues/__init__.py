"""Stored venues, events, scenarios (validated snapshots) and teams, with their API."""
