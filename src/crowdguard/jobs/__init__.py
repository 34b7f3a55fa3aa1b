"""Plan jobs: a solve queued by the API, run in a background thread, reproducible for audit."""
