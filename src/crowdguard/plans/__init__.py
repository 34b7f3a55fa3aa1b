"""crowdguard.plans."""
