"""crowdguard.users."""
