"""Accounts, roles, Argon2id password hashes, opaque bearer tokens and login throttling.

Slice layout (as in every stored domain): ``models`` (Create / Update / Public schemas),
``tables`` (SQLAlchemy), ``service`` (keyword-only functions, the only code touching the
session), ``api`` (thin router), plus ``throttle`` (failed-login counter).
"""
