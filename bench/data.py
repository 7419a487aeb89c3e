"""The synthetic data sets the bench measures: bulk-created, marked as demo data, with
no history (nothing here was ever edited)."""

import datetime as dt
import random
from decimal import Decimal

from django.db import transaction

from tracker import stored
from tracker.models import (
    Measurement,
    Milestone,
    Programme,
    ProgressUpdate,
    Project,
    Sector,
    Source,
    Target,
)

LARGE = {
    "programmes": 200,
    "projects": 2000,
    "milestones": 40000,
    "measurements": 250000,
    "updates": 20000,
}
# Ten times LARGE (issue 17): pages must keep their query counts and stay within 1.5x
# their LARGE times on it.
HUGE = {
    "programmes": 2000,
    "projects": 20000,
    "milestones": 400000,
    "measurements": 2500000,
    "updates": 200000,
}
SMALL = {"programmes": 2, "projects": 20, "milestones": 400, "measurements": 2500, "updates": 200}


def build(sizes: dict, prefix: str) -> None:
    """Bulk-create a data set of the given sizes (no history: it is synthetic)."""
    rng = random.Random(42)  # noqa: S311 (made-up figures, not secrets)
    start = dt.date(2022, 1, 1)
    sectors = [
        Sector.objects.get_or_create(slug=f"bench-{i}", defaults={"name_en": f"Sector {i}"})[0]
        for i in range(8)
    ]
    with transaction.atomic():
        programmes = Programme.objects.bulk_create(
            Programme(
                slug=f"{prefix}-{i}",
                name_en=f"Benchmark programme {i}",
                name=f"Benchmark programme {i}",
                announced_on=start,
                horizon_start=start,
                horizon_end_earliest=dt.date(2025, 1, 1),
                horizon_end_latest=dt.date(2027, 1, 1),
                planned_project_count=sizes["projects"] // sizes["programmes"] + 2,
                is_demo=True,
            )
            for i in range(sizes["programmes"])
        )
        per = sizes["projects"] // sizes["programmes"]
        projects = Project.objects.bulk_create(
            Project(
                programme=programmes[i // per],
                sector=sectors[i % len(sectors)],
                slug=f"project-{i}",
                name_en=f"Benchmark project {i}",
                name=f"Benchmark project {i}",
                lifecycle_status="implementation",
                identified_on=start + dt.timedelta(days=i % 300),
                is_demo=True,
            )
            for i in range(sizes["projects"])
        )
        targets = [
            Target(
                programme=p.programme,
                project=p,
                title_en=f"Investment {p.slug}",
                title=f"Investment {p.slug}",
                kind="money",
                currency="CNY",
                baseline_value=Decimal(0),
                baseline_on=start,
                target_value=Decimal(1_000_000_000),
                due_on=dt.date(2027, 1, 1),
                is_demo=True,
            )
            for p in projects
        ]
        for programme in programmes:
            for rollup, kind, value in (("sum", "money", 10**10), ("count_projects", "count", 12)):
                targets.append(
                    Target(
                        programme=programme,
                        title_en=f"{rollup} of {programme.slug}",
                        title=f"{rollup} of {programme.slug}",
                        kind=kind,
                        currency="CNY" if kind == "money" else "",
                        baseline_value=Decimal(0),
                        baseline_on=start,
                        target_value=Decimal(value),
                        due_earliest=dt.date(2025, 1, 1),
                        due_on=dt.date(2027, 1, 1),
                        rollup=rollup,
                        is_demo=True,
                    )
                )
        targets = Target.objects.bulk_create(targets, batch_size=5000)
        project_targets = [t for t in targets if t.project_id]
        per_target = sizes["measurements"] // len(project_targets)
        # Every published figure has its source.
        source = Source.objects.create(
            title_en="Bench report", publisher_en="Bench", kind="official", is_demo=True
        )
        Measurement.objects.bulk_create(
            (
                Measurement(
                    target=t,
                    as_of=start + dt.timedelta(days=7 * n),
                    value=Decimal(rng.randint(0, 1_000_000) * (n + 1)),
                    source=source,
                    is_demo=True,
                )
                for t in project_targets
                for n in range(per_target)
            ),
            batch_size=10000,
        )
        per_project = sizes["milestones"] // len(projects)
        Milestone.objects.bulk_create(
            (
                Milestone(
                    programme_id=p.programme_id,
                    project=p,
                    title_en=f"Milestone {n} of {p.slug}",
                    title=f"Milestone {n} of {p.slug}",
                    planned_on=start + dt.timedelta(days=30 * n),
                    status="planned",
                    is_demo=True,
                )
                for p in projects
                for n in range(per_project)
            ),
            batch_size=10000,
        )
        now = dt.datetime.now(dt.UTC)
        per_project = sizes["updates"] // len(projects)
        ProgressUpdate.objects.bulk_create(
            (
                ProgressUpdate(
                    programme_id=p.programme_id,
                    project=p,
                    title_en=f"Update {n} of {p.slug}",
                    title=f"Update {n} of {p.slug}",
                    body_en="Work *continued*.",
                    state="published",
                    published_at=now - dt.timedelta(days=n),
                    is_demo=True,
                )
                for p in projects
                for n in range(per_project)
            ),
            batch_size=10000,
        )
    # Bulk inserts send no signal: compute the stored statuses as the daily job does.
    stored.refresh_all()
