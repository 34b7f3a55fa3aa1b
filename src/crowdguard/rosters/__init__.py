"""crowdguard.rosters."""
