"""crowdguard.stats."""
