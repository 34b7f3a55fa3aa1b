"""crowdguard.audit."""
