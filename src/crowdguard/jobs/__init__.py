"""crowdguard.jobs."""
