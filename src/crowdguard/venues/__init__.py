"""crowdguard.venues."""
