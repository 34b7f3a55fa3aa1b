"""crowdguard.simulation."""
