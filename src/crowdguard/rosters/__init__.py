"""Rosters served on a need-to-know basis (role, own team, lead time), every read audited."""
