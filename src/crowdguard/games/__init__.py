"""crowdguard.games."""
