"""crowdguard.report."""
