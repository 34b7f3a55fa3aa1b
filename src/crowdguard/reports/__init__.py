"""crowdguard.reports."""
