"""The benchmark's own parts work on a tiny data set (its figures are read, not tested),
wrk's report is read right, and every goal is judged and printed with its figure."""

import shutil

import pytest
from django.test import Client

from bench.data import build
from bench.measure import machine_speed, measure
from bench.run import Findings, goals, pages
from bench.server import bare
from bench.wrk import Load, load, parse
from tracker.models import Measurement, Milestone, Project

WRK_REPORT = """Running 3s test @ http://127.0.0.1:8301/page/
  1 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     3.10ms    1.20ms  20.00ms   90.00%
    Req/Sec     2.60k   100.00     2.80k    70.00%
  7812 requests in 3.00s, 210.00MB read
  Socket errors: connect 1, read 2, write 0, timeout 4
  Non-2xx or 3xx responses: 5
Requests/sec:   2603.95
Transfer/sec:     70.00MB
"""


@pytest.mark.django_db
def test_bench_builds_its_data_and_every_page_answers(admin_user, django_assert_num_queries):
    sizes = {"programmes": 2, "projects": 4, "milestones": 8, "measurements": 16, "updates": 4}
    build(sizes, "tiny")
    assert Project.objects.count() == 4
    assert Milestone.objects.count() == 8
    assert Measurement.objects.count() == 16
    client = Client()
    client.force_login(admin_user)
    for name, url in pages("tiny").items():
        assert client.get(url).status_code == 200, name
    dashboard = pages("tiny")["dashboard"]
    queries, _, _ = measure(client, dashboard, runs=1)
    # The figure the bench prints is the page's own query count, rendered afresh.
    with django_assert_num_queries(queries):
        client.get(dashboard)
    assert 0 < machine_speed() < 10_000


def test_wrk_report_is_read_with_its_errors():
    assert parse(WRK_REPORT) == Load(
        requests_per_second=2603.95,
        requests=7812,
        bytes_per_request=28188,  # 210 MB over 7,812 requests
        bad_status=5,
        socket_errors=7,
    )


def rate(per_second: float) -> Load:
    return Load(
        requests_per_second=per_second,
        requests=int(per_second),
        bytes_per_request=5000,
        bad_status=0,
        socket_errors=0,
    )


def test_every_goal_is_printed_with_its_figure_met_or_not():
    found = Findings(reference_ms=20.0)
    found.pages = {
        "small": {"dashboard": (14, 10.0, 0.5), "admin milestones": (14, 50.0, 40.0)},
        "large": {"dashboard": (14, 30.0, 0.5), "admin milestones": (15, 90.0, 80.0)},
        "huge": {"dashboard": (14, 40.0, 0.5), "admin milestones": (15, 180.0, 80.0)},
    }
    found.loads = {
        "bare static CSS": (rate(4000), rate(4000)),
        "dashboard": (rate(3400), rate(4000)),
        "project": (rate(2000), rate(4000)),
        "send evidence": (rate(50), rate(4000)),
    }
    found.uncached = {"send evidence"}
    found.other_programme_kept = False
    lines = goals(found)
    text = "\n".join(lines)
    assert "[noise]     the bare static file against itself: 1.00x" in text
    assert "[met]     cached dashboard >= 0.8x the bare stack's static file: 0.85x" in lines
    # The lowest cached page decides; a page that is never cached does not count.
    assert "[NOT met] every cached public page >= 0.8x: median 0.68x, lowest 0.50x (project)" in (
        lines
    )
    assert "uncached dashboard (large) <= 2.0x reference (40.0 ms): 30.0 ms, 1.5x" in text
    assert "[NOT met] same query count on large as on small: differ on admin milestones" in lines
    assert "[met]     same query count on huge as on large: all 2 pages" in lines
    assert (
        "[NOT met] every page and admin list on huge <= 1.5x its large time: worst 2.00x "
        "(admin milestones); over: admin milestones" in lines
    )
    assert "[NOT met] a save in one programme keeps another programme's cached dashboard" in text


def test_goals_not_measured_say_so():
    lines = goals(Findings(reference_ms=20.0))
    assert any(line.startswith("[not run] huge set") for line in lines)
    assert any(line.startswith("[not run] cached pages") for line in lines)


@pytest.mark.skipif(not shutil.which("wrk"), reason="needs wrk (apt-get install wrk)")
def test_wrk_loads_the_bare_stack(tmp_path, monkeypatch):
    monkeypatch.setenv("STATIC_ROOT", str(tmp_path))
    with bare(8395) as base:
        measured = load(f"{base}/page/", seconds=1)
    assert measured.requests > 10
    assert (measured.bad_status, measured.socket_errors) == (0, 0)
