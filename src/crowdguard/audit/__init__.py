"""The tamper-evident audit trail: an append-only, SHA-256 hash-chained table.

``service.record`` appends a row in the caller's transaction; ``service.verify_chain``
walks the chain and names the first broken row (``crowdguard audit verify``).
"""
