"""Status from the records: the one module between the models and the rules.

`tracker.progress` holds every rule over plain data. This module turns model rows into
the rules' inputs (a target's points, its projects' roll-up, a project's milestones
counted) and the rules' results into what the pages, the API, the feeds, the badges and
the admin show (labels, badges and their palette). No view, API function, admin class
or template computes a status, a rating, an expected value or a roll-up itself.

The querysets that fetch what a status needs in a fixed number of queries are on the
models (`Programme.objects.with_status()`, `Project.objects.with_status(today)`,
`Target.objects.with_status()`); the functions here read what they fetched, and fall
back to queries of their own for a row fetched without them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import cache, cached_property
from pathlib import Path
from typing import Any

from django.contrib.staticfiles import finders
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from tracker import progress
from tracker.formatting import format_target_value, punctuation
from tracker.models import Milestone, Programme, Project, Rating, Target

# Targets


@dataclass(frozen=True)
class TargetAssessment:
    """A target with its status against its due date and, for a range, its earlier end,
    and the series both were assessed on (read when first asked for, unless given)."""

    target: Target
    final: progress.Assessment
    earliest: progress.Assessment | None
    today: dt.date
    points: list[progress.Point] | None = None
    rate_flag: bool | None = None  # `not_at_current_rate`, as stored

    @cached_property
    def series(self) -> list[progress.Point]:
        return self.points if self.points is not None else series(self.target, self.today)

    @property
    def known(self) -> list[progress.Point]:
        """The series up to today: what a table of values shows (none later, none
        invented before the first)."""
        return [point for point in self.series if point.on <= self.today]

    @property
    def not_at_current_rate(self) -> bool:
        if self.rate_flag is not None:
            return self.rate_flag
        return progress.not_at_current_rate(self.final, self.series, self.today)


def own_points(target: Target) -> list[progress.Point]:
    """The target's own public measurements as points, in date order (as
    `Target.objects.with_points()` or `with_status()` fetched them, or fetched now)."""
    measurements = getattr(target, "published_measurements", None)
    if measurements is None:
        measurements = target.measurements.all()
    points = [progress.Point(on=m.as_of, value=m.value) for m in measurements]
    return sorted(points, key=lambda point: point.on)


def targets_of(project: Project) -> list[Target]:
    """The project's targets, as tracker.stored gave them (`status_targets`), or as
    prefetched, or fetched now."""
    given: list[Target] | None = getattr(project, "status_targets", None)
    return given if given is not None else list(project.targets.all())


def status_projects(programme: Programme) -> list[Project]:
    """The programme's projects with their targets' points, as `with_status()` fetched
    them, or fetched now."""
    projects: list[Project] | None = getattr(programme, "status_projects", None)
    if projects is None:
        projects = list(
            programme.projects.prefetch_related(
                Prefetch("targets", queryset=Target.objects.with_points())
            )
        )
    return projects


def rollup_points(programme: Programme, target: Target, today: dt.date) -> list[progress.Point]:
    """The series a roll-up target is assessed on, built from the programme's projects:
    the count of projects identified (cancelled ones aside), or the sum of their targets
    of the same kind and currency."""
    projects = status_projects(programme)
    if target.rollup == Target.Rollup.COUNT_PROJECTS:
        return progress.count_rollup(
            (
                project.identified_date
                for project in projects
                if project.lifecycle_status != Project.Lifecycle.CANCELLED
            ),
            today,
        )
    if target.rollup == Target.Rollup.SUM:
        series = [
            own_points(project_target)
            for project in projects
            for project_target in targets_of(project)
            if project_target.kind == target.kind and project_target.currency == target.currency
        ]
        dates = sorted({point.on for points in series for point in points})
        return progress.rollup_series(series, dates)
    return own_points(target)


def rollup_value(programme: Programme, target: Target, on: dt.date) -> Decimal | None:
    """A roll-up target's value as of any date."""
    return progress.value_on(rollup_points(programme, target, on), on)


def series(target: Target, today: dt.date) -> list[progress.Point]:
    """What the target is assessed on: its measurements, or its projects' roll-up.

    Kept on the instance for the day: a page reads it for the status, the chart and
    the data table, and a roll-up reads every project's measurements."""
    cached: tuple[dt.date, list[progress.Point]] | None = getattr(target, "status_series", None)
    if cached is not None and cached[0] == today:
        return cached[1]
    if target.rollup == Target.Rollup.NONE:
        points = own_points(target)
    else:
        points = rollup_points(target.programme, target, today)
    target.status_series = (today, points)
    return points


def assess_range(
    target: Target, today: dt.date
) -> tuple[progress.Assessment, progress.Assessment | None]:
    """The assessment against the due date and, for a due range, against its earlier
    end as well (that one second)."""
    return progress.assess_range(
        baseline=target.baseline,
        target=target.target_value,
        due_earliest=target.due_earliest,
        due=target.due_on,
        comparator=target.comparator,
        measurements=series(target, today),
        today=today,
        stale_after=target.programme.stale_after,
    )


def assess(target: Target, today: dt.date) -> TargetAssessment:
    final, earliest = assess_range(target, today)
    return TargetAssessment(target, final, earliest, today, series(target, today))


# Stored assessments: what tracker.stored writes on each target from `assess`, and what
# the pages read back instead of assessing again.

ASSESSMENT_FIELDS = ("status", "due", "actual", "as_of", "expected", "ratio", "forecast_on")


def _text(value: object) -> str | None:
    return (
        None if value is None else str(value.isoformat() if hasattr(value, "isoformat") else value)
    )


def encode_assessment(assessment: progress.Assessment | None) -> dict[str, str | None] | None:
    """As JSON: dates in ISO form, decimals as their exact text."""
    if assessment is None:
        return None
    return {name: _text(getattr(assessment, name)) for name in ASSESSMENT_FIELDS}


def decode_assessment(data: dict[str, Any] | None) -> progress.Assessment | None:
    if data is None:
        return None

    def day(name: str) -> dt.date | None:
        return dt.date.fromisoformat(data[name]) if data[name] else None

    def number(name: str) -> Decimal | None:
        return Decimal(data[name]) if data[name] is not None else None

    return progress.Assessment(
        status=progress.Status(data["status"]),
        due=dt.date.fromisoformat(data["due"]),
        actual=number("actual"),
        as_of=day("as_of"),
        expected=number("expected"),
        ratio=number("ratio"),
        forecast_on=day("forecast_on"),
    )


def encode(item: TargetAssessment) -> dict[str, Any]:
    """What a target stores of its assessment; a roll-up keeps its series too (built
    from every project of its programme, too costly to read per page)."""
    data: dict[str, Any] = {
        "final": encode_assessment(item.final),
        "earliest": encode_assessment(item.earliest),
        "not_at_current_rate": item.not_at_current_rate,
    }
    if item.target.rollup != Target.Rollup.NONE:
        data["series"] = [[point.on.isoformat(), str(point.value)] for point in item.series]
    return data


def stored(target: Target) -> TargetAssessment:
    """The target's assessment as tracker.stored wrote it, on `target.assessed_on`."""
    data = target.assessment
    if not data:  # never computed (tracker.stored.fresh computes before pages read)
        return assess(target, timezone.localdate())
    series_data = data.get("series")
    points = (
        [progress.Point(dt.date.fromisoformat(on), Decimal(value)) for on, value in series_data]
        if series_data is not None
        else None
    )
    final = decode_assessment(data["final"])
    assert final is not None  # noqa: S101 (always written)
    return TargetAssessment(
        target,
        final,
        decode_assessment(data["earliest"]),
        target.assessed_on or timezone.localdate(),
        points,
        data["not_at_current_rate"],
    )


def stored_current(targets: Iterable[Target]) -> list[TargetAssessment]:
    """The targets not withdrawn, with their stored assessments."""
    return [stored(target) for target in targets if not target.withdrawn_on]


def stored_headline(programme: Programme) -> list[TargetAssessment]:
    """The programme-level targets (after `with_stored()`), with their stored
    assessments."""
    for target in programme.headline_targets:
        target.programme = programme
    return stored_current(programme.headline_targets)


def identified(projects: Iterable[Project]) -> int:
    """The projects publicly identified: all but the cancelled ones."""
    return sum(1 for project in projects if project.lifecycle_status != Project.Lifecycle.CANCELLED)


def current(targets: Iterable[Target], today: dt.date) -> list[TargetAssessment]:
    """The targets not withdrawn, each assessed."""
    return [assess(target, today) for target in targets if not target.withdrawn_on]


def headline(programme: Programme, today: dt.date) -> list[TargetAssessment]:
    """The programme-level targets with their assessments (after `with_status()`)."""
    for target in programme.headline_targets:
        target.programme = programme  # so roll-ups read the projects fetched with it
    return current(programme.headline_targets, today)


def counts(items: Iterable[TargetAssessment]) -> list[tuple[progress.Status, int]]:
    """How many of the targets are in each status (final dates), in the rules' order,
    leaving out the statuses none is in."""
    counted = Counter(item.final.status for item in items)
    return [(each, counted[each]) for each in progress.Status if counted[each]]


# Projects


def project_rating(project: Project, today: dt.date) -> str:
    """Green, amber or red by the rule in `progress.project_rating` ("" when unknown)."""
    assessments = [
        assess_range(target, today)[0] for target in targets_of(project) if not target.withdrawn_on
    ]
    if getattr(project, "milestones_counted_on", None) == today:
        open_count, overdue = project.open_milestones, project.overdue_milestones
    else:
        milestones = [m for m in project.milestones.all() if m.is_open]
        open_count, overdue = len(milestones), sum(1 for m in milestones if m.overdue_on(today))
    return progress.project_rating(assessments, overdue, open_count)


@dataclass(frozen=True)
class MilestoneProgress:
    """A project's milestone progress: whole per cent by `progress.milestone_percent`
    (None when there is no milestone to count) and whether it has any milestone."""

    percent: int | None
    recorded: bool

    @property
    def text(self) -> str:
        if self.percent is not None:
            return _("%(percent)s%% of milestones done by weight") % {"percent": self.percent}
        if self.recorded:
            return _("No milestones counted because all were cancelled or withdrawn")
        return _("No milestones yet")


def stored_milestone_progress(project: Project) -> MilestoneProgress:
    """As tracker.stored wrote it from `milestone_progress`."""
    return MilestoneProgress(project.milestones_percent, project.milestones_recorded)


def milestone_progress(project: Project) -> MilestoneProgress:
    """From what `Project.objects.with_status()` annotated, or else the project's
    milestones."""
    if getattr(project, "milestones_counted_on", None) is not None:
        done, counted = project.milestone_weight_done, project.milestone_weight_counted
        recorded = project.milestone_count > 0
    else:
        milestones = list(project.milestones.all())
        done, counted = progress.milestone_weights(
            (m.weight, m.status, m.withdrawn_on is not None) for m in milestones
        )
        recorded = bool(milestones)
    return MilestoneProgress(progress.milestone_percent(done, counted), recorded)


# What the pages, the badges and the admin show


def status_text(item: TargetAssessment) -> str:
    """One line for a list: the status, and the earlier end's first where they differ."""
    final, earliest = item.final, item.earliest
    if earliest is None or earliest.status == final.status:
        return str(final.status.label)
    return f"{earliest.status.label} / {final.status.label}"


def rating_text(rating: str) -> str:
    return str(Rating(rating).label) if rating else _("Unknown")


def target_badge_text(item: TargetAssessment) -> str:
    """The status and, where a value was published, the share of the target reached."""
    message = str(item.final.status.label)
    target = item.target
    if item.final.actual is None or not target.target_value:
        return message
    return _("%(status)s · %(share)s%% of %(target)s") % {
        "status": message,
        "share": round(100 * item.final.actual / target.target_value),
        "target": format_target_value(target.target_value, target),
    }


# The palette: which tone each status and rating takes. The colours themselves are
# written once, as custom properties of the stylesheet (static/tracker/site.css), which
# the pages use; the SVG badges, embedded on other sites, read them from there.
GOOD, WARNING, BAD, NEUTRAL = "good", "warning", "bad", "neutral"
TONES: dict[str, str] = {
    progress.Status.ACHIEVED: GOOD,
    progress.Status.ON_TRACK: GOOD,
    progress.Status.NEEDS_ACCELERATION: WARNING,
    progress.Status.STALE: WARNING,
    # Due with nothing published: a warning, like stale data, never a failure's red.
    progress.Status.NOT_REPORTED: WARNING,
    progress.Status.OFF_TRACK: BAD,
    progress.Status.MOVING_AWAY: BAD,
    progress.Status.MISSED: BAD,
    progress.GREEN: GOOD,
    progress.AMBER: WARNING,
    progress.RED: BAD,
}
STYLESHEET = "tracker/site.css"


@cache
def solid_colours() -> dict[str, str]:
    """Each tone's solid colour (dark enough for white text), from the stylesheet's
    `--<tone>-solid` custom properties."""
    found = finders.find(STYLESHEET)
    if not isinstance(found, str):
        raise ImproperlyConfigured(
            f"The stylesheet {STYLESHEET} with the status palette is missing."
        )
    css = Path(found).read_text(encoding="utf-8")
    solid = dict(re.findall(r"--([a-z]+)-solid:\s*(#[0-9a-fA-F]{3,8})\s*;", css))
    return {tone: solid[tone] for tone in (GOOD, WARNING, BAD, NEUTRAL)}


def tone(value: str) -> str:
    return TONES.get(value, NEUTRAL)


def solid_colour(value: str) -> str:
    return solid_colours()[tone(value)]


@dataclass(frozen=True)
class Badge:
    """What templates/tracker/_status.html draws: a status or a rating in its tone."""

    kind: str  # "status" or "rating", the CSS class
    value: str
    label: str

    @property
    def tone(self) -> str:
        return tone(self.value)


def status_badge(status: progress.Status) -> Badge:
    return Badge("status", status.value, str(status.label))


def rating_badge(rating: str, label: str | None = None) -> Badge:
    """A computed or a declared rating; `label` for a declared one's own wording."""
    return Badge("rating", rating, label if label is not None else rating_text(rating))


OVERDUE = gettext_lazy("Overdue")


def overdue_badge(milestone: Milestone, today: dt.date, *, with_status: bool = True) -> Badge:
    """A milestone's status in the tone of its progress: overdue in the red of a
    failure, completed in the green of an achievement, the rest neutral."""
    label = str(milestone.get_status_display())
    if milestone.not_reported_on(today):
        reported = progress.Status.NOT_REPORTED
        return Badge(
            "status", reported, f"{label} · {reported.label}" if with_status else reported.label
        )
    if milestone.overdue_on(today):
        return Badge(
            "status",
            progress.Status.MISSED,
            f"{label} · {OVERDUE}" if with_status else str(OVERDUE),
        )
    value = progress.Status.ACHIEVED if milestone.status == Milestone.Status.COMPLETED else ""
    return Badge("status", value or progress.Status.NO_DATA, label)


# The verdict: one line at the top of a page, read before anything else


@dataclass(frozen=True)
class VerdictPart:
    """One clause of a verdict ("2 of 5 targets on track"), in the tone of its news."""

    text: str
    tone: str


@dataclass(frozen=True)
class Verdict:
    """What a reader must know first: the targets' statuses counted, the projects
    identified against those planned, the milestones overdue. A target without a
    published figure reads as not reported, never as a zero."""

    parts: tuple[VerdictPart, ...]

    @property
    def text(self) -> str:
        return " · ".join(part.text for part in self.parts)

    @property
    def tone(self) -> str:
        """The worst tone of its parts: bad, then warning, then good."""
        tones = {part.tone for part in self.parts}
        return next((each for each in (BAD, WARNING, GOOD) if each in tones), NEUTRAL)


NAMED_TARGETS = 2  # more are counted by status


def target_clause(item: TargetAssessment) -> VerdictPart:
    """A single target named by its title: "Market value of the AI application base:
    not reported", or its status and the share reached."""
    final = item.final
    if final.actual is None:
        label = (
            _("not reported") if final.status == progress.Status.NOT_REPORTED else _("no data yet")
        )
        return VerdictPart(f"{item.target.title}{punctuation(':')}{label}", WARNING)
    return VerdictPart(
        f"{item.target.title}{punctuation(':')}{target_badge_text(item)}",
        tone(final.status),
    )


def targets_clauses(items: list[TargetAssessment]) -> list[VerdictPart]:
    """A few targets each by its name; more counted by status ("On track: 3 of 5
    targets")."""
    if not items:
        return [VerdictPart(_("No public target found."), WARNING)]
    if len(items) <= NAMED_TARGETS:
        return [target_clause(item) for item in items]
    total = len(items)
    return [
        VerdictPart(
            each.label
            + punctuation(":")
            + ngettext("%(count)d of %(total)d target", "%(count)d of %(total)d targets", total)
            % {"count": count, "total": total},
            tone(each),
        )
        for each, count in counts(items)
    ]


def projects_clause(identified: int, planned: int | None) -> VerdictPart | None:
    """The projects publicly identified, against those planned where a number was
    pledged ("0 of 10 projects identified")."""
    if planned:
        text = ngettext(
            "%(identified)d of %(planned)d project identified",
            "%(identified)d of %(planned)d projects identified",
            planned,
        ) % {"identified": identified, "planned": planned}
        return VerdictPart(text, GOOD if identified >= planned else WARNING)
    if identified:
        text = ngettext(
            "%(identified)d project identified", "%(identified)d projects identified", identified
        ) % {"identified": identified}
        return VerdictPart(text, NEUTRAL)
    return None


def milestones_clause(overdue: int) -> VerdictPart | None:
    if not overdue:
        return None
    text = ngettext("%(count)d milestone overdue", "%(count)d milestones overdue", overdue) % {
        "count": overdue
    }
    return VerdictPart(text, BAD)


def programme_verdict(programme: Programme) -> Verdict:
    """A programme's verdict, from what is stored (after `with_stored()`): its pledged
    targets, its projects identified against those planned, its milestones overdue."""
    parts = [
        *targets_clauses(stored_headline(programme)),
        projects_clause(programme.projects_identified, programme.planned_project_count),
        milestones_clause(programme.milestones_overdue),
    ]
    return Verdict(tuple(part for part in parts if part is not None))


def project_verdict(project: Project, items: list[TargetAssessment]) -> Verdict:
    """A project's verdict, from what is stored: its computed rating, its targets (as
    `items`), its milestones overdue."""
    rating = project.computed_rating
    parts: list[VerdictPart | None] = [VerdictPart(rating_text(rating), tone(rating))]
    if items:
        parts += targets_clauses(items)
    parts.append(milestones_clause(project.milestones_overdue))
    return Verdict(tuple(part for part in parts if part is not None))


def target_verdict(item: TargetAssessment) -> Verdict:
    """A target's verdict: its status and the share reached, or that no figure was
    published."""
    final = item.final
    if final.actual is None:
        return Verdict((VerdictPart(final.status.label, WARNING),))
    return Verdict((VerdictPart(target_badge_text(item), tone(final.status)),))


# The status summary: counts by status and by rating


RATINGS = (*progress.RATINGS, "")


@dataclass(frozen=True)
class SummaryRow:
    """One line of the status summary: a programme, or a sector or a lead organisation
    within a programme, with how many of its targets or projects are in each column."""

    programme: Programme
    name: str
    counted: dict[str, int]
    query: dict[str, str]  # what the programme page filters on for this row

    @property
    def total(self) -> int:
        return sum(self.counted.values())


def status_counts(items: Iterable[TargetAssessment]) -> dict[str, int]:
    """Every status, in the rules' order, with how many of the targets are in it."""
    counted = Counter(item.final.status.value for item in items)
    return {each.value: counted[each.value] for each in progress.Status}


def rating_counts(ratings: Iterable[str]) -> dict[str, int]:
    """How many of the projects' computed ratings are green, amber, red or unknown ("")."""
    counted = Counter(ratings)
    return {each: counted[each] for each in RATINGS}


# What the public record is missing (the open questions page)


@dataclass(frozen=True)
class OpenQuestion:
    """Something the record lacks about a target, to which a reader's evidence would go."""

    question: str
    record: Target


def open_questions(programme: Programme) -> list[OpenQuestion]:
    """The headline targets without a published figure (not reported, or no data yet)
    and the planned projects not yet identified, from what is stored (after
    `with_stored()`)."""
    missing = (progress.Status.NOT_REPORTED, progress.Status.NO_DATA)
    questions = []
    for item in stored_headline(programme):
        target = item.target
        if target.rollup == Target.Rollup.COUNT_PROJECTS:
            planned = programme.planned_project_count
            identified = programme.projects_total
            if planned and identified < planned:
                questions.append(
                    OpenQuestion(
                        _("%(identified)s of %(planned)s planned projects identified")
                        % {"identified": identified, "planned": planned},
                        target,
                    )
                )
        elif item.final.status in missing:
            questions.append(OpenQuestion(_("no published figure"), target))
    return questions
