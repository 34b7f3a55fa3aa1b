"""crowdguard.web."""
