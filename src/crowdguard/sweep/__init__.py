"""crowdguard.sweep."""
