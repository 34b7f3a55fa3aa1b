"""A plan's outputs drawn beside the solve (issue 10, section 4): the report's figures and
the letters' PDFs drawn by worker processes, and the visibility curve solved in a worker
while the season solves, are exactly what drawing and solving them here gives."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from concurrent.futures import Executor, Future
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from crowdguard.pipeline import PlanInputs, PlanOptions, make_plan
from crowdguard.report.html import render_report
from crowdguard.report.render import Job, Renderer
from crowdguard.workers import worker_pool

GENERATED = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


def _same_svg(html: str) -> str:
    """The report with its SVGs' per-drawing parts (random ids, their date) taken out."""
    html = re.sub(r"<dc:date>.*?</dc:date>", "", html, flags=re.S)
    return re.sub(r'(?:id|href|xlink:href|clip-path)="[^"]*"|url\(#[^)]*\)', "", html)


class _Recording(Executor):
    """An executor that records what it is given, and runs it in its worker processes."""

    def __init__(self, pool: Executor) -> None:
        self.pool = pool
        self.given: list[str] = []

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.given.append(fn.__name__)
        return self.pool.submit(fn, *args, **kwargs)


def test_the_report_drawn_by_workers_is_the_report_drawn_here(make_scenario: Any) -> None:
    plan = make_plan(PlanInputs.read(make_scenario()), PlanOptions(seed=3, days=1, workers=1))
    assert plan.visibility_tradeoff  # the curve's figure is among those drawn
    here = render_report(plan, generated=GENERATED)
    with Renderer(2) as renderer:
        there = render_report(plan, generated=GENERATED, renderer=renderer)
    pngs = re.findall(r"<img[^>]*data:image/png;base64,[^\"]+", here)
    assert len(pngs) == 4  # coverage, risk, response heatmaps and the curve
    assert re.findall(r"<img[^>]*data:image/png;base64,[^\"]+", there) == pngs  # to the byte
    assert here.count("<svg") == there.count("<svg") == 2  # the venue map and the routes map
    assert _same_svg(there) == _same_svg(here)


def test_the_letters_drawn_while_the_plan_solves_are_those_drawn_here() -> None:
    from crowdguard.plans.letter import render_pdf
    from crowdguard.scenario.load import demo_scenario_and_plans

    demo, documents = demo_scenario_and_plans()
    told: list[Any] = []
    plan = make_plan(
        PlanInputs(demo, documents),
        PlanOptions(seed=1, days=1, mode="free", what_ifs=False),
        reviewed=told.append,
    )
    # the pipeline says which reviews the plan uses before it solves: the plan's own
    assert len(told) == 1 and told[0] == plan.linked_plans and plan.linked_plans
    link = next(iter(plan.linked_plans.values()))
    with Renderer(2) as renderer:
        renderer.letters({link.review.event: link})
        drawn = renderer.pdf(link.review)
    assert drawn.startswith(b"%PDF") and drawn == render_pdf(link.review)


def test_a_lost_worker_costs_time_never_output() -> None:
    lost: Future[str] = Future()
    lost.set_exception(BrokenProcessPool("a worker died"))
    curve = [{"visibility_floor": 0.0, "expected_visibility": 1.0, "defender_utility": -2.0}]
    job = Job(lost, _tradeoff, curve)
    assert job.result() == _tradeoff(curve)  # drawn here instead
    with Renderer(1) as renderer:
        renderer.executor.shutdown()  # type: ignore[union-attr]  # a pool that takes nothing
        assert renderer.figure("tradeoff_png", curve, title="t").result() == _tradeoff(curve)


def _tradeoff(curve: list[dict[str, float]]) -> str:
    from crowdguard.report.figures import tradeoff_png

    return tradeoff_png(curve, title="t")


def test_the_curve_solved_beside_the_season_is_the_curve_solved_after_it(
    make_scenario: Any,
) -> None:
    inputs = PlanInputs.read(make_scenario())
    options = PlanOptions(seed=3, days=2, workers=1, visibility_points=3)
    after = make_plan(inputs, options)
    with worker_pool(1) as pool:
        recording = _Recording(pool)
        beside = make_plan(inputs, options, executor=recording)
    assert recording.given == ["visibility_points"]
    assert beside.visibility_tradeoff == after.visibility_tradeoff
    assert len(after.visibility_tradeoff) == 3
    assert beside.visibility_tradeoff_day == after.visibility_tradeoff_day
    # a day asked for is the day solved beside the season
    other = dataclasses.replace(options, visibility_day=after.days[1])
    with worker_pool(1) as pool:
        moved = make_plan(inputs, other, executor=pool)
    assert moved.visibility_tradeoff_day == after.days[1]
    assert moved.visibility_tradeoff == make_plan(inputs, other).visibility_tradeoff
