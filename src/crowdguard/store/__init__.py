"""crowdguard.store."""
