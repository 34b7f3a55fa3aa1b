"""crowdguard.risk."""
