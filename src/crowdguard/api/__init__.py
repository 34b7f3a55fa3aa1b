"""The REST API under ``/api/v1``: ``app.create_app`` composes the domain routers.

``auth`` (login, bearer tokens, role checks), ``deps`` (injected session, clock, context),
``pagination``, ``params`` (bounded path ids), ``errors`` (HTTP mapping), ``limits``
(body size, NUL bytes, concurrency gate).
"""
