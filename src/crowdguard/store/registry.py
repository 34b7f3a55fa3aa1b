"""Import every table module so ``Base.metadata`` is complete (for Alembic and tests)."""

from __future__ import annotations

from crowdguard.audit import tables as _audit
from crowdguard.dispatch import tables as _dispatch
from crowdguard.jobs import tables as _jobs
from crowdguard.plans import tables as _plans
from crowdguard.reports import tables as _reports
from crowdguard.rosters import tables as _rosters
from crowdguard.stats import tables as _stats
from crowdguard.store.db import Base
from crowdguard.users import tables as _users
from crowdguard.venues import tables as _venues

__all__ = ["metadata"]

metadata = Base.metadata
_MODULES = (_audit, _dispatch, _jobs, _plans, _reports, _rosters, _stats, _users, _venues)
