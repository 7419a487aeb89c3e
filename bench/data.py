"""The synthetic data sets the bench measures: bulk-created, marked as demo data, with
no history (nothing here was ever edited).

The many rows (measurements, milestones, updates) go in through PostgreSQL's COPY, a
stream of rows with no statement per batch, so that HUGE builds in minutes; the few
whose keys the others point at (programmes, projects, targets) through bulk_create,
which returns them. On another database (the tests' SQLite) everything is
bulk-created."""

import contextlib
import datetime as dt
import random
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal

from django.db import connection, models, transaction
from django.utils import timezone

from tracker import stored
from tracker.models import (
    Measurement,
    Milestone,
    Programme,
    ProgrammeGroup,
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


def insert(model: type[models.Model], given: Sequence[str], rows: Iterable[tuple]) -> None:
    """Insert `rows`, each the values of the fields named (by attname) in `given`; every
    other field takes its default, as the model would give it (created_at and updated_at:
    now). Through COPY on PostgreSQL, in batches of bulk_create elsewhere."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    now = timezone.now()
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(
            (model(**dict(zip(given, row, strict=True))) for row in rows),
            batch_size=2000,
        )
        return
    rest = [f for f in fields if f.attname not in given]
    fixed = tuple(
        now
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
        # The database's form of the default (a choice's plain string, say).
        else f.get_db_prep_save(f.get_default(), connection)
        for f in rest
    )
    by_attname = {f.attname: f for f in fields}
    columns = ", ".join(
        connection.ops.quote_name(by_attname[name].column)
        for name in (*given, *(f.attname for f in rest))
    )
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row + fixed)


@contextlib.contextmanager
def search_indexes_set_aside() -> Iterator[None]:
    """PostgreSQL: the search's GIN indexes (full text, trigrams) dropped while the rows
    go in and built again once they are in, in the same transaction: one build of each
    is several times quicker than keeping it up to date row by row."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
            "AND tablename LIKE 'tracker%%' AND indexdef LIKE '%% USING gin %%'"
        )
        indexes = cursor.fetchall()
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    yield
    with connection.cursor() as cursor:
        # The deferred foreign-key checks first: no index is built over pending ones.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for _, definition in indexes:
            cursor.execute(definition)


def build(sizes: dict, prefix: str, *, demo: bool = True) -> None:
    """Bulk-create a data set of the given sizes (no history: it is synthetic), marked as
    demo data unless `demo` is false (as a real site's record, for the tests' plans)."""
    rng = random.Random(42)  # noqa: S311 (made-up figures, not secrets)
    start = dt.date(2022, 1, 1)
    sectors = [
        Sector.objects.get_or_create(slug=f"bench-{i}", defaults={"name_en": f"Sector {i}"})[0]
        for i in range(8)
    ]
    with transaction.atomic(), search_indexes_set_aside():
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
                is_demo=demo,
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
                is_demo=demo,
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
                is_demo=demo,
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
                        is_demo=demo,
                    )
                )
        # The set's programmes compared side by side, as a group of bases is.
        group = ProgrammeGroup.objects.create(
            slug=prefix,
            name_en=f"Benchmark group {prefix}",
            name=f"Benchmark group {prefix}",
            is_demo=demo,
        )
        group.programmes.set(programmes)
        targets = Target.objects.bulk_create(targets, batch_size=5000)
        project_targets = [t for t in targets if t.project_id]
        per_target = sizes["measurements"] // len(project_targets)
        # Every published figure has its source.
        source = Source.objects.create(
            title_en="Bench report", publisher_en="Bench", kind="official", is_demo=demo
        )
        weeks = [start + dt.timedelta(days=7 * n) for n in range(per_target)]
        insert(
            Measurement,
            ("target_id", "as_of", "value", "source_id", "is_demo"),
            (
                (t.pk, weeks[n], Decimal(rng.randint(0, 1_000_000) * (n + 1)), source.pk, demo)
                for t in project_targets
                for n in range(per_target)
            ),
        )
        per_project = sizes["milestones"] // len(projects)
        months = [start + dt.timedelta(days=30 * n) for n in range(per_project)]
        insert(
            Milestone,
            ("programme_id", "project_id", "title_en", "title", "planned_on", "status", "is_demo"),
            (
                (
                    p.programme_id,
                    p.pk,
                    *[f"Milestone {n} of {p.slug}"] * 2,
                    months[n],
                    "planned",
                    demo,
                )
                for p in projects
                for n in range(per_project)
            ),
        )
        now = dt.datetime.now(dt.UTC)
        per_project = sizes["updates"] // len(projects)
        insert(
            ProgressUpdate,
            (
                "programme_id",
                "project_id",
                "title_en",
                "title",
                "body_en",
                "body",
                "state",
                "published_at",
                "is_demo",
            ),
            (
                (
                    p.programme_id,
                    p.pk,
                    *[f"Update {n} of {p.slug}"] * 2,
                    *["Work *continued*."] * 2,
                    "published",
                    now - dt.timedelta(days=n),
                    demo,
                )
                for p in projects
                for n in range(per_project)
            ),
        )
    # Whatever is derived from the rows above (the stored statuses of issue 17) is
    # brought up to date here, once every row is in.
    stored.refresh_all()
