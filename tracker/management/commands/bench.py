"""`make bench`: build a large synthetic data set and print what each page costs.

Not a test: it prints figures (queries, median render times cold and cached, and
throughput through gunicorn as a ratio to a static file served by the same server in
the same run), for a person to read against the goals in the issue.
"""

import datetime as dt
import http.client
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings

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
SMALL = {"programmes": 2, "projects": 20, "milestones": 400, "measurements": 2500, "updates": 200}
CLIENTS = 8  # concurrent connections of the throughput load
GOALS = (
    "goals: same queries as small; cached >= 0.8 x static; dashboard cold < 50 ms; "
    "admin milestones and measurements < 300 ms"
)


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


def pages(prefix: str) -> dict[str, str]:
    programme = Programme.objects.get(slug=f"{prefix}-1")
    project = programme.projects.order_by("pk")[0]
    target = project.targets.all()[0]
    milestone = project.milestones.order_by("pk")[0]
    base = f"/en/programmes/{programme.slug}/"
    return {
        "programme list": "/en/programmes/",
        "dashboard": base,
        "project": f"{base}projects/{project.slug}/",
        "target": f"{base}targets/{target.pk}/",
        "milestone": f"{base}milestones/{milestone.pk}/",
        "milestones table": f"{base}milestones/?status=planned",
        "sector": f"{base}sectors/{project.sector.slug}/",  # type: ignore[union-attr]  # has one
        "what changed": f"{base}changes/",
        "API targets": f"/api/v1/programmes/{programme.slug}/targets",
        "admin milestones": "/admin/tracker/milestone/",
        "admin measurements": "/admin/tracker/measurement/",
    }


def measure(client: Client, url: str, runs: int = 7) -> tuple[int, float, float]:
    """Queries, median cold milliseconds, median cached milliseconds."""
    with override_settings(PAGE_CACHE_SECONDS=0), CaptureQueriesContext(connection) as queries:
        client.get(url)
    # Counted now: the next request's start clears the connection's query log.
    query_count = len(queries)
    cold, cached = [], []
    for _ in range(runs):
        with override_settings(PAGE_CACHE_SECONDS=0):
            began = time.perf_counter()
            client.get(url)
            cold.append((time.perf_counter() - began) * 1000)
    with override_settings(PAGE_CACHE_SECONDS=300):
        client.get(url)
        for _ in range(runs):
            began = time.perf_counter()
            client.get(url)
            cached.append((time.perf_counter() - began) * 1000)
    return query_count, statistics.median(cold), statistics.median(cached)


def machine_speed() -> str:
    """A fixed pure-Python workload, to compare this machine's figures with another's."""
    runs = []
    for _ in range(5):
        began = time.perf_counter()
        sum(range(10**6))
        runs.append((time.perf_counter() - began) * 1000)
    return f"this machine: sum(range(10**6)) takes {min(runs):.1f} ms (best of 5)"


def load(url: str, seconds: float, workers: int) -> float:
    """Requests per second from `workers` threads hitting one address, each on its own
    kept-alive connection, as browsers keep theirs (so the client's own work stays small
    beside the server's)."""
    parts = urllib.parse.urlsplit(url)
    done = [0] * workers
    stop = time.monotonic() + seconds

    def run(slot: int) -> None:
        connection = http.client.HTTPConnection(
            parts.hostname or "127.0.0.1", parts.port, timeout=30
        )
        try:
            while time.monotonic() < stop:
                # As a browser asks: compressed if the server has it so.
                connection.request("GET", parts.path, headers={"Accept-Encoding": "gzip"})
                response = connection.getresponse()
                response.read()
                if response.status != 200:
                    raise RuntimeError(f"{url} answered {response.status}")
                done[slot] += 1
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done) / seconds


class Command(BaseCommand):
    help = "Build a large synthetic data set and print queries, times and throughput."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument("--seconds", type=float, default=5.0)

    def handle(self, *args, port: int, seconds: float, **options) -> None:
        if settings.DEBUG or connection.vendor != "postgresql":
            raise CommandError(
                "The benchmark measures production settings (DEBUG off, PostgreSQL, Redis, "
                "collected static files): run it with `make bench`."
            )
        cache.clear()
        user, _ = get_user_model().objects.get_or_create(
            username="bench", defaults={"is_staff": True, "is_superuser": True}
        )
        client = Client()
        client.force_login(user)
        results = {}
        for label, sizes in (("small", SMALL), ("large", LARGE)):
            began = time.perf_counter()
            build(sizes, f"bench-{label}")
            self.stdout.write(
                f"built the {label} data set ({sizes}) in {time.perf_counter() - began:.1f} s"
            )
            # What autovacuum does soon after a bulk load: fresh planner statistics.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
            results[label] = {
                name: measure(client, url) for name, url in pages(f"bench-{label}").items()
            }
        self.stdout.write(f"\n{GOALS}\n{machine_speed()}\n")
        self.stdout.write(
            f"{'page':<20}{'queries small/large':>22}{'cold ms':>10}{'cached ms':>11}"
        )
        for name, (queries, cold, cached) in results["large"].items():
            small_queries = results["small"][name][0]
            self.stdout.write(
                f"{name:<20}{f'{small_queries}/{queries}':>22}{cold:>10.1f}{cached:>11.1f}"
            )
        self.throughput(port, seconds, pages("bench-large"))

    def throughput(self, port: int, seconds: float, urls: dict[str, str]) -> None:
        env = {
            **os.environ,
            "BIND": f"127.0.0.1:{port}",
            "WEB_CONCURRENCY": "2",
            # No worker recycling in the middle of a measurement.
            "GUNICORN_MAX_REQUESTS": "0",
        }
        env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        manifest = json.loads((Path(settings.STATIC_ROOT) / "staticfiles.json").read_text())
        server = subprocess.Popen(  # noqa: S603 (our own gunicorn and config)
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                "gunicorn.conf.py",
                "--access-logfile",
                "/dev/null",
                "tracker.wsgi",
            ],
            cwd=settings.BASE_DIR,
            env=env,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(50):
                try:
                    urllib.request.urlopen(f"{base}/healthz")  # noqa: S310
                    break
                except OSError:
                    time.sleep(0.2)
            static = f"{base}/static/{manifest['paths']['tracker/site.css']}"
            public = {
                name: f"{base}{url}" for name, url in urls.items() if not url.startswith("/admin/")
            }
            # Pages rendered by the server itself, with its production settings.
            cache.clear()
            for url in [static, *public.values()]:
                urllib.request.urlopen(url).read()  # noqa: S310 (warm the page cache)
            # Each page right after the static file, so that the machine's drift
            # (other work, CPU frequency) weighs on both sides of each ratio alike.
            rates = {}
            for name, url in public.items():
                rates[name] = (load(static, seconds, CLIENTS), load(url, seconds, CLIENTS))
            self.stdout.write(
                f"\nthroughput through gunicorn (2 workers, {CLIENTS} clients, "
                f"{seconds:.0f} s each), each cached page against the static file just "
                "before it (goal: ratio >= 0.80)"
            )
            for name, (static_rps, page_rps) in rates.items():
                self.stdout.write(
                    f"  {name:<20}{page_rps:7.0f} req/s, static {static_rps:5.0f} req/s, "
                    f"ratio {page_rps / static_rps:5.2f}"
                )
            ratios = [page_rps / static_rps for static_rps, page_rps in rates.values()]
            self.stdout.write(f"  median ratio {statistics.median(ratios):.2f}")
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
