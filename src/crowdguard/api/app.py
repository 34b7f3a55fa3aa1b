"""The FastAPI application: composes the domain routers under ``/api/v1``.

``create_app`` takes everything with state (settings, clock, planner) as arguments, so
tests build an app per database with a fake clock; ``crowdguard serve`` builds the real one.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from crowdguard import __version__, web
from crowdguard.api import auth
from crowdguard.api import events as board_api
from crowdguard.api.deps import AppContext
from crowdguard.api.errors import ERROR_RESPONSES, install_error_handlers
from crowdguard.api.events import BoardEvent, EventBus
from crowdguard.api.headers import ResponseHeaders
from crowdguard.api.limits import ConcurrencyGate, DatabaseGate, RequestLimits
from crowdguard.audit import api as audit_api
from crowdguard.audit.checkpoint import Checkpoint, CheckpointWriter, load_key, make_checkpoint
from crowdguard.basemap import warm as warm_basemap
from crowdguard.dispatch import api as dispatch_api
from crowdguard.errors import InputError
from crowdguard.jobs import api as jobs_api
from crowdguard.jobs.runner import Planner, PlanRunner, default_planner
from crowdguard.plans import api as security_plans_api
from crowdguard.reports import api as reports_api
from crowdguard.reports.intake import IntakeWriter
from crowdguard.reports.models import ReportBoardSummary
from crowdguard.rosters import api as rosters_api
from crowdguard.stats import api as stats_api
from crowdguard.store.clock import Clock, SystemClock
from crowdguard.store.db import make_engine, make_sessionmaker, session_scope
from crowdguard.store.settings import Settings
from crowdguard.users import api as users_api
from crowdguard.users.throttle import LoginThrottle
from crowdguard.venues import api as venues_api
from crowdguard.web.common import PageStop, asset_url, page_stop

__all__ = ["API_PREFIX", "create_app"]

API_PREFIX = "/api/v1"
log = logging.getLogger("crowdguard.api")
DB_REQUESTS_IN_FLIGHT = 8
"""PostgreSQL requests served at once (below the 40 worker threads and the pool of 10); the
report intake writer takes one of these slots per batch."""


def _checkpoint_writer(
    settings: Settings, sessions: sessionmaker[Session], clock: Clock
) -> CheckpointWriter | None:
    """The audit checkpoint writer when ``settings`` name a checkpoint file (and its key)."""
    if settings.audit_checkpoint_file is None:
        return None
    if settings.audit_key_file is None:
        raise InputError("--audit-checkpoint needs --audit-key (the key that signs them)")
    key = load_key(
        settings.audit_key_file, store_dir=settings.data_dir if settings.is_sqlite else None
    )

    def head(now: dt.datetime) -> Checkpoint:
        with session_scope(sessions) as session:
            return make_checkpoint(session, key, now)

    return CheckpointWriter(
        path=settings.audit_checkpoint_file,
        head=head,
        now=clock.now,
        every=settings.audit_checkpoint_seconds,
    )


def create_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    planner: Callable[[], Planner] = default_planner,
    engine: Engine | None = None,
) -> FastAPI:
    """Build the app for an already-migrated store (see ``crowdguard db upgrade``)."""
    clock = clock or SystemClock()
    engine = engine or make_engine(settings.database_url)
    sessions = make_sessionmaker(engine)
    context = AppContext(
        settings=settings,
        engine=engine,
        sessions=sessions,
        clock=clock,
        throttle=LoginThrottle(
            clock=clock,
            max_failures=settings.login_max_failures,
            window_seconds=settings.login_window_seconds,
        ),
        runner=PlanRunner(
            sessions=sessions,
            clock=clock,
            planner=planner,
            sweeps=settings.sweeps_dir,
            reports=settings.data_dir / "reports",
        ),
    )

    # One gate to the database for requests and the report intake writer (SQLite: one
    # holder at a time, in arrival order; see DatabaseGate).
    gate = DatabaseGate(1 if settings.is_sqlite else DB_REQUESTS_IN_FLIGHT)
    bus = EventBus(heartbeat_seconds=settings.board_heartbeat_seconds)

    def publish_reports(summaries: list[ReportBoardSummary]) -> None:
        for summary in summaries:
            bus.publish(BoardEvent(kind="report-created", data=summary))

    intake = IntakeWriter(sessions=sessions, gate=gate, publish=publish_reports)

    checkpoints = _checkpoint_writer(settings, sessions, clock)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Decode the offline base map now (about a second), not on the first map's request.
        warming = threading.Thread(target=warm_basemap, name="basemap", daemon=True)
        warming.start()
        if checkpoints is not None:
            await asyncio.to_thread(checkpoints.start)
        yield
        bus.close()  # end every live stream (serve closes them at SIGTERM already)
        await asyncio.to_thread(intake.close)  # store what was queued before stopping
        context.runner.shutdown(wait=False)  # and stop a running solve's workers
        if checkpoints is not None:
            await asyncio.to_thread(checkpoints.stop)  # the head as the server leaves it

    app = FastAPI(
        title="CrowdGuard",
        version=__version__,
        description="Randomised armed patrols of crowded places: plans, rosters, audit.",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,  # served below from the vendored Swagger UI: no CDN, works offline
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.context = context
    app.state.board_bus = bus
    app.state.report_intake = intake
    api = APIRouter(prefix=API_PREFIX, responses=ERROR_RESPONSES)
    # Public report intake first: routes are matched in order, and a surge of reports
    # should not pay for matching every other path first.
    api.include_router(reports_api.router)
    api.include_router(auth.router)
    api.include_router(users_api.router)
    api.include_router(venues_api.venues)
    api.include_router(venues_api.teams)
    api.include_router(venues_api.scenarios)
    api.include_router(venues_api.events)
    api.include_router(jobs_api.router)
    api.include_router(rosters_api.router)
    api.include_router(audit_api.router)
    api.include_router(security_plans_api.router)
    api.include_router(dispatch_api.router)
    api.include_router(board_api.router)
    api.include_router(stats_api.router)
    api.include_router(stats_api.log_router)

    @api.get("/health", tags=["meta"])
    def health() -> dict[str, str]:
        """Liveness check (no authentication, no data)."""
        return {"status": "ok", "version": __version__}

    @app.get(f"{API_PREFIX}/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        """Swagger UI from the package's vendored copy (``scripts/vendor-web``)."""
        return get_swagger_ui_html(
            openapi_url=f"{API_PREFIX}/openapi.json",
            title="CrowdGuard API",
            swagger_js_url=asset_url("vendor/swagger-ui/swagger-ui-bundle.js"),
            swagger_css_url=asset_url("vendor/swagger-ui/swagger-ui.css"),
            swagger_favicon_url=asset_url("vendor/swagger-ui/favicon-32x32.png"),
            swagger_ui_parameters={"validatorUrl": None},  # no call to swagger.io
        )

    app.include_router(api)
    app.include_router(web.router)
    install_error_handlers(app)
    app.add_exception_handler(PageStop, page_stop)  # a page's gate answering with its own page
    app.add_middleware(RequestLimits, max_body_bytes=settings.max_body_bytes)
    app.add_middleware(
        ConcurrencyGate,
        gate=gate,
        exempt=("/health", "/openapi.json", "/docs", "/board/stream"),
        exempt_prefixes=("/static/", "/map/"),
        exempt_requests=(("POST", f"{API_PREFIX}/reports"), ("POST", "/report")),
    )
    app.add_middleware(ResponseHeaders, routes=lambda: app.routes)  # outermost: every answer
    return app
