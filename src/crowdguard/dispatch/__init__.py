"""crowdguard.dispatch."""
