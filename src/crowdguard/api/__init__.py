"""crowdguard.api."""
