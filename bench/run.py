"""Build the data sets, measure every page on each, load the servers with wrk, then print
every goal of issue 17 with its figure and whether it is met.

Run as `python -m bench` (see bench/__main__.py), with Django set up."""

import argparse
import json
import statistics
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import override_settings

from bench.data import HUGE, LARGE, SMALL, build
from bench.measure import machine_speed, measure
from bench.server import bare, gunicorn
from bench.wrk import CONNECTIONS, Load, combined, load
from tests.helpers import public_urls
from tracker.models import Milestone, Programme

SIZES = {"small": SMALL, "large": LARGE, "huge": HUGE}
# Issue 17's goals, as fractions.
CACHED_VS_BARE = 0.8  # a cached page's req/s against the bare stack's static file
UNCACHED_VS_REFERENCE = 2.0  # an uncached page's ms against sum(range(10**6))'s
HUGE_VS_LARGE = 1.5  # a page's ms on the huge set against the large set
# The uncached pages the second goal names.
RENDERED = ("dashboard", "project", "target", "milestones table")
API_LISTS = ("API programmes", "API projects", "API targets", "API milestones")
ADMIN_LISTS = ("admin projects", "admin targets", "admin milestones", "admin measurements")


def pages(prefix: str) -> dict[str, str]:
    """Every kind of public page (the tests' one list), the API lists and the admin
    lists staff use most, on the data set made with `prefix`."""
    programme = Programme.objects.get(slug=f"{prefix}-1")
    project = programme.projects.order_by("pk").first()
    api = f"/api/v1/programmes/{programme.slug}"
    return public_urls(programme, project) | {
        # The pages across programmes: a search for a few records among many similar
        # ones and for two Chinese characters (shorter than a trigram), the status
        # summary, the set's group compared side by side, and the sitemap's index.
        "search": "/en/search/?q=benchmark+project+17",
        "search, 2 Chinese chars": "/en/search/?q=%E9%A1%B9%E7%9B%AE",
        "status summary": "/en/status/",
        "group": f"/en/groups/{prefix}/",
        "sitemap index": "/sitemap.xml",
        "sitemap milestones": "/sitemap-milestones.xml",
        "API programmes": "/api/v1/programmes",
        "API projects": f"{api}/projects",
        "API targets": f"{api}/targets",
        "API milestones": f"{api}/milestones",
        "admin projects": "/admin/tracker/project/",
        "admin targets": "/admin/tracker/target/",
        "admin milestones": "/admin/tracker/milestone/",
        "admin measurements": "/admin/tracker/measurement/",
    }


@dataclass
class Findings:
    """Everything measured in one run, for `goals` to judge."""

    reference_ms: float
    # size -> page -> (queries, cold ms, cached ms)
    pages: dict[str, dict[str, tuple[int, float, float]]] = field(default_factory=dict)
    # served -> (its wrk load, the bare static file's measured just before it)
    loads: dict[str, tuple[Load, Load]] = field(default_factory=dict)
    # pages the page cache does not keep (forms with a CSRF token)
    uncached: set[str] = field(default_factory=set)
    # whether a save in one programme left another programme's cached page in place
    other_programme_kept: bool | None = None


def verdict(met: bool | None) -> str:
    return {True: "[met]    ", False: "[NOT met]", None: "[not run]"}[met]


def goals(found: Findings) -> list[str]:
    """One line per goal of issue 17: its figure, and met or not (figures are printed
    whether or not the goal is met)."""
    lines = []
    # 1. The cached page against the bare stack's static file.
    cached = {
        name: pair
        for name, pair in found.loads.items()
        if not name.startswith(("bare", "project static")) and name not in found.uncached
    }
    ratios = {
        name: page.requests_per_second / max(before.requests_per_second, 1e-9)
        for name, (page, before) in cached.items()
    }
    if "dashboard" in ratios:
        ratio = ratios["dashboard"]
        lines.append(
            f"{verdict(ratio >= CACHED_VS_BARE)} cached dashboard >= {CACHED_VS_BARE}x the bare "
            f"stack's static file: {ratio:.2f}x"
        )
    if ratios:
        worst = min(ratios, key=ratios.__getitem__)
        lines.append(
            f"{verdict(ratios[worst] >= CACHED_VS_BARE)} every cached public page >= "
            f"{CACHED_VS_BARE}x: median {statistics.median(ratios.values()):.2f}x, "
            f"lowest {ratios[worst]:.2f}x ({worst})"
        )
    else:
        lines.append(f"{verdict(None)} cached pages against the bare stack (no throughput run)")
    if "bare static CSS" in found.loads:
        itself, before = found.loads["bare static CSS"]
        lines.append(
            "[noise]     the bare static file against itself: "
            f"{itself.requests_per_second / max(before.requests_per_second, 1e-9):.2f}x "
            "(1.00 on a quiet machine: how far to trust the ratios)"
        )
    bad = sum(page.bad_status + page.socket_errors for page, _ in found.loads.values())
    if found.loads:
        lines.append(f"{verdict(bad == 0)} no error under load: {bad} non-2xx or socket errors")
    # 2. Uncached pages against the machine's reference workload.
    sizes = list(found.pages)
    measured = "large" if "large" in found.pages else (sizes[-1] if sizes else None)
    if measured:
        limit = UNCACHED_VS_REFERENCE * found.reference_ms
        for name in (*RENDERED, *API_LISTS):
            if name in found.pages[measured]:
                cold = found.pages[measured][name][1]
                lines.append(
                    f"{verdict(cold <= limit)} uncached {name} ({measured}) <= "
                    f"{UNCACHED_VS_REFERENCE}x reference ({limit:.1f} ms): {cold:.1f} ms, "
                    f"{cold / found.reference_ms:.1f}x"
                )
    # Query counts that do not grow with the data.
    lines += same_queries(found, "small", "large")
    # 4. The huge set against the large one.
    if "huge" in found.pages and "large" in found.pages:
        lines += same_queries(found, "large", "huge")
        large, huge = found.pages["large"], found.pages["huge"]
        slower = {name: huge[name][1] / large[name][1] for name in huge if name in large}
        worst = max(slower, key=slower.__getitem__)
        over = sorted(name for name, ratio in slower.items() if ratio > HUGE_VS_LARGE)
        lines.append(
            f"{verdict(not over)} every page and admin list on huge <= {HUGE_VS_LARGE}x its "
            f"large time: worst {slower[worst]:.2f}x ({worst})"
            + (f"; over: {', '.join(over)}" if over else "")
        )
    else:
        lines.append(
            f"{verdict(None)} huge set: same queries and <= {HUGE_VS_LARGE}x large times "
            "(build it with --sizes small large huge; it takes minutes)"
        )
    # 3. Invalidation by programme.
    if found.other_programme_kept is not None:
        lines.append(
            f"{verdict(found.other_programme_kept)} a save in one programme keeps another "
            "programme's cached dashboard: "
            + ("kept" if found.other_programme_kept else "replaced")
        )
    lines.append(
        "[test]      stored statuses, EXPLAIN without sequential scans and two nodes behind "
        "a balancer are shown by tests (tests/ops/test_two_nodes.py)"
    )
    return lines


def same_queries(found: Findings, first: str, second: str) -> list[str]:
    if first not in found.pages or second not in found.pages:
        return []
    one, other = found.pages[first], found.pages[second]
    differ = sorted(name for name in one if name in other and one[name][0] != other[name][0])
    return [
        f"{verdict(not differ)} same query count on {second} as on {first}: "
        + (f"differ on {', '.join(differ)}" if differ else f"all {len(one)} pages")
    ]


def throughput(port: int, seconds: float, urls: dict[str, str], found: Findings) -> None:
    """wrk against the bare stack and this project, side by side: each of this
    project's pages right after the bare stack's static file, so that the machine's
    drift (other work, CPU frequency) weighs on both sides of each ratio alike."""
    manifest = json.loads((Path(settings.STATIC_ROOT) / "staticfiles.json").read_text())
    css = f"/static/{manifest['paths']['tracker/site.css']}"
    public = {name: url for name, url in urls.items() if not url.startswith(("/admin/", "/api/"))}
    public |= {name: url for name, url in urls.items() if name in API_LISTS}
    cache.clear()
    with bare(port) as base, gunicorn(port + 1) as ours:
        for url in [f"{base}{css}", f"{ours}{css}"]:
            urllib.request.urlopen(url).read()  # noqa: S310 (our own servers)
        for name, url in public.items():
            # Asked twice: the second answer says whether the page is kept (X-Cache).
            for _ in range(2):
                with urllib.request.urlopen(f"{ours}{url}") as response:  # noqa: S310
                    response.read()
            if response.headers.get("X-Cache") != "hit":
                found.uncached.add(name)
        found.loads["bare static CSS"] = paired(f"{base}{css}", f"{base}{css}", seconds)
        found.loads["bare 27 KB view"] = paired(f"{base}/page/", f"{base}{css}", seconds)
        # Pages the cache does not keep are not loaded: not in the goal, and a slow one
        # (a sitemap page) would leave the workers a queue that the next page's run
        # would wait behind.
        targets = {"project static CSS": css} | {
            name: url for name, url in public.items() if name not in found.uncached
        }
        for name, url in targets.items():
            found.loads[name] = paired(f"{ours}{url}", f"{base}{css}", seconds)
        # The dashboard rendered on every request (issue 17's "uncached dashboard"),
        # last: a sync worker renders on what wrk left in its queue after the run.
        found.loads["dashboard, never cached"] = paired(
            f"{ours}{public['dashboard']}", f"{base}{css}", seconds, unique=True
        )
        found.uncached.add("dashboard, never cached")
    if skipped := sorted(found.uncached - set(found.loads)):
        print(f"\nnot loaded with wrk (the page cache does not keep them): {', '.join(skipped)}")
    print(
        f"\nthroughput (wrk: 1 thread, {CONNECTIONS} kept-alive connections, gzip, "
        f"{seconds:.0f} s each; 2 workers each), this project (gunicorn.conf.py as shipped) "
        "against the bare stack's static file measured in turn with it (B: bytes a request)"
    )
    for name, (page, before) in found.loads.items():
        errors = page.bad_status + page.socket_errors
        print(
            f"  {name:<24}{page.requests_per_second:6.0f} req/s {page.bytes_per_request:7} B"
            "  bare static "
            f"{before.requests_per_second:6.0f}  ratio "
            f"{page.requests_per_second / max(before.requests_per_second, 1e-9):5.2f}"
            + (f"  {errors} errors" if errors else "")
            + ("  (not cached: not in the goal)" if name in found.uncached else "")
        )


def paired(url: str, static: str, seconds: float, unique: bool = False) -> tuple[Load, Load]:
    """`url` and the bare stack's `static` file in turn, twice each, half the time each
    run: other work on the machine weighs on both sides of the ratio alike."""
    ours, bare_runs = [], []
    for _ in range(2):
        bare_runs.append(load(static, seconds / 2))
        ours.append(load(url, seconds / 2, unique=unique))
    return combined(ours), combined(bare_runs)


def other_programme_kept(client: Client, prefix: str) -> bool:
    """Whether a save in programme 1 leaves programme 2's cached dashboard in place."""
    other = f"/en/programmes/{prefix}-2/"
    with override_settings(PAGE_CACHE_SECONDS=300):
        client.get(other)
        milestone = Milestone.objects.filter(programme__slug=f"{prefix}-1").first()
        if milestone is None:
            return False
        milestone.save()  # committed at once (autocommit): the cache hears of it
        return client.get(other).get("X-Cache") == "hit"


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Build synthetic data sets and print what each page costs on them.",
    )
    parser.add_argument("--port", type=int, default=8765, help="and the next one")
    parser.add_argument("--seconds", type=float, default=3.0, help="of each wrk run")
    parser.add_argument(
        "--sizes",
        nargs="+",
        choices=list(SIZES),
        default=["small", "large"],
        help="the data sets to build and measure, in order (default: small large; "
        "huge takes minutes)",
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
    found = Findings(reference_ms=machine_speed())
    for label in options.sizes:
        began = time.perf_counter()
        build(SIZES[label], f"bench-{label}")
        print(f"built the {label} data set ({SIZES[label]}) in {time.perf_counter() - began:.1f} s")
        # What autovacuum does soon after a bulk load (PostgreSQL vacuums a table once
        # enough rows are inserted): fresh planner statistics, the visibility map that
        # index-only scans read, and the GIN indexes' pending entries merged (searches
        # read a long pending list one entry at a time until then).
        # Then the load's pages written out, so that the checkpointer is not writing
        # them while the pages are timed.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
            cursor.execute("CHECKPOINT")
        found.pages[label] = {
            name: measure(client, url) for name, url in pages(f"bench-{label}").items()
        }
    last = options.sizes[-1]
    found.other_programme_kept = other_programme_kept(client, f"bench-{last}")
    print_pages(found)
    throughput(options.port, options.seconds, pages(f"bench-{last}"), found)
    # Measured again at the end: the machine's speed drifts while others work on it.
    found.reference_ms = min(found.reference_ms, machine_speed())
    print(
        f"\nthis machine: sum(range(10**6)) takes {found.reference_ms:.1f} ms "
        "(the reference workload: best of 5, at the start and at the end)"
    )
    print("goals of issue 17:")
    for line in goals(found):
        print(f"  {line}")


def print_pages(found: Findings) -> None:
    labels = "/".join(found.pages)
    print(
        f"\n{'page':<22}{f'queries {labels}':>24}{f'cold ms {labels}':>30}"
        f"{'cached ms':>11}{'cold/ref':>10}"
    )
    last = list(found.pages)[-1]
    for name, (_, _, cached) in found.pages[last].items():
        queries = "/".join(str(figures[name][0]) for figures in found.pages.values())
        cold = "/".join(f"{figures[name][1]:.1f}" for figures in found.pages.values())
        ratio = found.pages[last][name][1] / found.reference_ms
        print(f"{name:<22}{queries:>24}{cold:>30}{cached:>11.1f}{ratio:>10.1f}")
