"""crowdguard.patrols."""
