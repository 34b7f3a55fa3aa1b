"""crowdguard.scenario."""
