"""crowdguard.cli."""
