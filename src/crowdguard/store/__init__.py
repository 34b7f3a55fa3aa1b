"""The store: settings, engine and sessions (SQLite or PostgreSQL), Alembic migrations.

``db`` builds engines and runs the migrations shipped in ``migrations/``; ``settings``
resolves ``--data-dir`` and ``CROWDGUARD_*`` variables; ``clock`` has the real and the
fake clock; ``errors`` the service-layer errors the API maps to HTTP statuses.
"""
