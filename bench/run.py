"""Build the data sets, measure every page on each, then the throughput through gunicorn.

Run as `python -m bench` (see bench/__main__.py), with Django set up."""

import argparse
import json
import statistics
import time
import urllib.request
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.test import Client

from bench.data import LARGE, SMALL, build
from bench.measure import load, machine_speed, measure
from bench.server import gunicorn
from tests.helpers import public_urls
from tracker.models import Programme

SIZES = {"small": SMALL, "large": LARGE}
CLIENTS = 8  # concurrent connections of the throughput load
GOALS = (
    "goals: same queries as small; cached >= 0.8 x static; dashboard cold < 50 ms; "
    "admin milestones and measurements < 300 ms"
)


def pages(prefix: str) -> dict[str, str]:
    """Every kind of public page (the tests' one list), an API list and the admin lists
    staff use most, on the data set made with `prefix`."""
    programme = Programme.objects.get(slug=f"{prefix}-1")
    project = programme.projects.order_by("pk").first()
    return public_urls(programme, project) | {
        "API targets": f"/api/v1/programmes/{programme.slug}/targets",
        "admin milestones": "/admin/tracker/milestone/",
        "admin measurements": "/admin/tracker/measurement/",
    }


def throughput(port: int, seconds: float, urls: dict[str, str]) -> None:
    manifest = json.loads((Path(settings.STATIC_ROOT) / "staticfiles.json").read_text())
    with gunicorn(port) as base:
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
    print(
        f"\nthroughput through gunicorn (2 workers, {CLIENTS} clients, "
        f"{seconds:.0f} s each), each cached page against the static file just "
        "before it (goal: ratio >= 0.80)"
    )
    for name, (static_rps, page_rps) in rates.items():
        print(
            f"  {name:<20}{page_rps:7.0f} req/s, static {static_rps:5.0f} req/s, "
            f"ratio {page_rps / static_rps:5.2f}"
        )
    ratios = [page_rps / static_rps for static_rps, page_rps in rates.values()]
    print(f"  median ratio {statistics.median(ratios):.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Build synthetic data sets and print what each page costs on them.",
    )
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument(
        "--sizes",
        nargs="+",
        choices=list(SIZES),
        default=list(SIZES),
        help="the data sets to build and measure, in order (default: small large)",
    )
    options = parser.parse_args()
    if settings.DEBUG or connection.vendor != "postgresql":
        parser.exit(
            2,
            "The benchmark measures production settings (DEBUG off, PostgreSQL, Redis, "
            "collected static files): run it with `make bench`.\n",
        )
    cache.clear()
    user, _ = get_user_model().objects.get_or_create(
        username="bench", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(user)
    results = {}
    for label in options.sizes:
        began = time.perf_counter()
        build(SIZES[label], f"bench-{label}")
        print(f"built the {label} data set ({SIZES[label]}) in {time.perf_counter() - began:.1f} s")
        # What autovacuum does soon after a bulk load: fresh planner statistics.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        results[label] = {
            name: measure(client, url) for name, url in pages(f"bench-{label}").items()
        }
    print(f"\n{GOALS}\n{machine_speed()}\n")
    labels = "/".join(results)
    print(f"{'page':<20}{f'queries {labels}':>22}{'cold ms':>10}{'cached ms':>11}")
    last = list(results)[-1]
    for name, (_, cold, cached) in results[last].items():
        queries = "/".join(str(figures[name][0]) for figures in results.values())
        print(f"{name:<20}{queries:>22}{cold:>10.1f}{cached:>11.1f}")
    throughput(options.port, options.seconds, pages(f"bench-{last}"))
