"""Pages cost the same whatever the size of the record: the same queries on a small and
a bigger data set, and (PostgreSQL) no query of a paginated or filtered page, public or
staff, reads a whole large table. The data sets are the bench's own (bench/data.py)."""

import json
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench.data import build
from bench.run import pages
from tests.helpers import page_text
from tracker import revisions
from tracker.editorial import paging
from tracker.models import Milestone, Programme, ProgrammeGroup, Project, Target
from tracker.public import views
from tracker.public.sitemaps import PublicSitemap

LARGE_TABLES = {
    "tracker_measurement",
    "tracker_milestone",
    "tracker_project",
    "tracker_target",
    "tracker_progressupdate",
}
# Big enough that the planner prefers an index wherever one serves (a few hundred rows
# would be read whole, and rightly), small enough to build in seconds with COPY.
MEDIUM = {
    "programmes": 1000,
    "projects": 20000,
    "milestones": 60000,
    "measurements": 100000,
    "updates": 20000,
}


def sequential_scans(sql: str) -> list[str]:
    """The large tables the planner would read whole to answer `sql`. A scan with no
    filter under a LIMIT of at most paging.EXACT_BELOW rows (the staff lists' bounded count)
    stops after so many rows, however large the table: it reads no table whole."""
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}")
        (plan,) = cursor.fetchone()
    if isinstance(plan, str):
        plan = json.loads(plan)
    found, nodes = [], [(plan[0]["Plan"], False)]
    while nodes:
        node, bounded = nodes.pop()
        if node["Node Type"] == "Limit" and node["Plan Rows"] <= paging.EXACT_BELOW:
            bounded = True
        nodes.extend((child, bounded) for child in node.get("Plans", []))
        if (
            node["Node Type"] == "Seq Scan"
            and node["Relation Name"] in LARGE_TABLES
            and not (bounded and "Filter" not in node)
        ):
            found.append(node["Relation Name"])
    return found


def paginated_and_filtered(prefix: str) -> list[str]:
    programme = Programme.objects.get(slug=f"{prefix}-3")
    project = programme.projects.order_by("pk").first()
    target = Target.objects.filter(project=project).first()
    base = f"/en/programmes/{programme.slug}/"
    api = f"/api/v1/programmes/{programme.slug}/"
    return [
        f"{base}milestones/",
        f"{base}milestones/?status=planned&window=overdue&sort=-planned_on",
        f"{base}milestones/?project={project.pk}&sort=planned_on",
        f"{base}targets/{target.pk}/",  # its measurements
        f"{base}projects/{project.slug}/",
        f"{api}targets",
        f"{api}targets/{target.pk}",
        f"{api}milestones",
        f"{api}milestones?window=overdue",
        f"{api}projects",
        f"{api}updates",
        "/api/v1/programmes?page=3",
        "/admin/tracker/milestone/",
        "/admin/tracker/milestone/?p=20",
        # Sorted by their programme's name: read in that order, a page's worth.
        "/admin/tracker/project/",
        "/admin/tracker/target/",
        "/admin/tracker/milestone/?status__exact=completed",
        "/admin/tracker/milestone/?planned_on_year=2023",
        f"/admin/tracker/milestone/?programme__id__exact={programme.pk}",
        "/admin/tracker/measurement/",
        "/admin/tracker/measurement/?p=20",
        f"/admin/tracker/measurement/?target__programme__id__exact={programme.pk}",
        "/admin/tracker/progressupdate/",
    ]


@pytest.mark.django_db
def test_paginated_and_filtered_pages_read_no_large_table_whole(admin_user):
    if connection.vendor != "postgresql":
        pytest.skip("EXPLAIN's plans are PostgreSQL's; SQLite plans differently")
    # A real site's record, not illustrative data: that none exists is asked on every
    # page, and answered without reading a table.
    build(MEDIUM, "medium", demo=False)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # what autovacuum does soon after a bulk load
    assert Milestone.objects.count() == MEDIUM["milestones"]
    # How long the builder takes is the bench's to say (`make bench`), not a timed test.
    client = Client()
    client.force_login(admin_user)
    scans = {}
    for url in paginated_and_filtered("medium"):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, url
        for query in queries.captured_queries:
            sql = query["sql"]
            if sql.lstrip("( ").upper().startswith("SELECT") and (found := sequential_scans(sql)):
                scans.setdefault(url, []).append((found, sql[:300]))
    assert scans == {}


@pytest.mark.django_db
def test_every_page_makes_as_many_queries_on_a_bigger_data_set(admin_user):
    build({"programmes": 2, "projects": 4, "milestones": 16, "measurements": 40, "updates": 4}, "s")
    build(
        {"programmes": 6, "projects": 60, "milestones": 1200, "measurements": 3000, "updates": 120},
        "b",
    )
    client = Client()
    client.force_login(admin_user)

    def counts(prefix: str) -> dict[str, int]:
        found = {}
        for name, url in pages(prefix).items():
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200, url
            found[name] = len(queries)
        return found

    small, bigger = counts("s"), counts("b")
    assert bigger == small
    # The admin's lists too, filtered to a programme of each size.
    for prefix in ("s", "b"):
        programme = Programme.objects.get(slug=f"{prefix}-1")
        assert Project.objects.filter(programme=programme).exists()
    filtered = {}
    for prefix in ("s", "b"):
        programme = Programme.objects.get(slug=f"{prefix}-1")
        url = f"/admin/tracker/milestone/?programme__id__exact={programme.pk}"
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        filtered[prefix] = len(queries)
    assert filtered["s"] == filtered["b"]


@pytest.mark.django_db
def test_staff_pick_milestones_by_year_and_junk_picks_none(admin_client):
    build({"programmes": 1, "projects": 2, "milestones": 40, "measurements": 4, "updates": 2}, "y")
    page = admin_client.get("/admin/tracker/milestone/?planned_on_year=2023")
    assert page.status_code == 200
    shown = page.context["cl"].result_list
    assert shown and {milestone.planned_on.year for milestone in shown} == {2023}
    # The filter offers each year from the first milestone's to the last one's.
    assert ">2022<" in page.content.decode() and ">2023<" in page.content.decode()
    for junk in ("abc", "99999", "-1", "2023' OR 1=1"):
        page = admin_client.get("/admin/tracker/milestone/", {"planned_on_year": junk})
        assert page.status_code == 200, junk
        assert list(page.context["cl"].result_list) == [], junk


@pytest.mark.django_db
def test_staff_find_one_programme_among_many_by_part_of_its_name(admin_client):
    build(
        {"programmes": 40, "projects": 40, "milestones": 80, "measurements": 40, "updates": 0}, "n"
    )
    page = admin_client.get("/admin/tracker/milestone/")
    listed = re.findall(r"\?programme__id__exact=\d+\">([^<]+)<", page.content.decode())
    # Thirty programmes in the sidebar, not forty; a box finds the rest.
    assert len(listed) == 30
    assert "More: type part of the name below." in page_text(page)
    page = admin_client.get("/admin/tracker/milestone/", {"programme_name": "programme 37"})
    assert {m.programme.slug for m in page.context["cl"].result_list} == {"n-37"}
    # The chosen programme is shown chosen, even when not among the thirty listed.
    chosen = Programme.objects.get(slug="n-39")
    page = admin_client.get("/admin/tracker/milestone/", {"programme__id__exact": chosen.pk})
    assert '<li class="selected">' in page.content.decode()
    assert {m.programme_id for m in page.context["cl"].result_list} == {chosen.pk}
    page = admin_client.get(
        "/admin/tracker/measurement/", {"target__programme_name": "Benchmark programme 5"}
    )
    assert {m.target.programme.slug for m in page.context["cl"].result_list} == {"n-5"}


@pytest.mark.django_db
def test_the_sitemap_reads_a_page_of_records_at_a_time_and_lists_each_once(client, monkeypatch):
    monkeypatch.setattr(PublicSitemap, "limit", 6)  # three milestones, in two languages
    sizes = {"programmes": 1, "projects": 2, "milestones": 10, "measurements": 2, "updates": 0}
    build(sizes, "m")
    index = client.get("/sitemap.xml").content.decode()
    pages = re.findall(r"http://testserver(/sitemap-milestones\.xml[^<]*)</loc>", index)
    assert len(pages) == 4  # ten milestones, three a page
    found = []
    for page in pages:
        with CaptureQueriesContext(connection) as queries:
            xml = client.get(page.replace("&amp;", "&")).content.decode()
        rows = [q["sql"] for q in queries.captured_queries if "tracker_milestone" in q["sql"]]
        assert all("LIMIT" in sql or "COUNT(" in sql for sql in rows), rows
        found += re.findall(r"<loc>http://testserver(/[^<]+/milestones/\d+/)</loc>", xml)
    expected = {
        f"/{lang}/programmes/m-0/milestones/{pk}/"
        for pk in Milestone.objects.values_list("pk", flat=True)
        for lang in ("en", "zh-hans")
    }
    assert sorted(found) == sorted(expected)
    assert client.get("/sitemap-milestones.xml?p=5").status_code == 404


@pytest.mark.django_db
def test_the_status_summary_and_a_group_show_a_page_of_programmes_at_a_time(client, monkeypatch):
    monkeypatch.setattr(views, "SUMMARY_PER_PAGE", 2)
    build({"programmes": 3, "projects": 3, "milestones": 6, "measurements": 3, "updates": 0}, "p")
    group = ProgrammeGroup.objects.create(name_en="Three", name="Three", slug="three")
    group.programmes.set(Programme.objects.all())
    for url in ("/en/status/", "/en/groups/three/"):
        first, second = page_text(client.get(url)), page_text(client.get(url, {"page": 2}))
        assert "Benchmark programme 0" in first and "Benchmark programme 1" in first, url
        assert "Benchmark programme 2" not in first, url
        assert "Page 1 of 2" in first and "Next page" in first, url
        assert "Benchmark programme 2" in second and "Benchmark programme 0" not in second, url
        assert "Page 2 of 2" in second, url
        # Junk or out-of-range pages show a page, never an error.
        for junk in ("abc", "99", "-1", "0"):
            assert client.get(url, {"page": junk}).status_code == 200, (url, junk)
    assert "3 programmes, compared side by side." in page_text(client.get("/en/groups/three/"))
    # As many queries for every page, a full one or the last.
    assert len(count_queries_of(client, "/en/status/")) == len(
        count_queries_of(client, "/en/status/?page=2")
    )


def count_queries_of(client: Client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return [query["sql"] for query in queries.captured_queries]


@pytest.mark.django_db
def test_search_and_pages_across_programmes_read_no_large_table_whole(client, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("EXPLAIN's plans are PostgreSQL's; SQLite plans differently")
    # A page of programmes small against the whole (here 1,000), as on a big site.
    monkeypatch.setattr(views, "SUMMARY_PER_PAGE", 10)
    build(MEDIUM, "medium", demo=False)
    group = ProgrammeGroup.objects.create(name_en="All", name="All", slug="all")
    group.programmes.set(Programme.objects.all())
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    scans = {}
    urls = [
        "/en/",
        "/en/programmes/?page=3",
        "/en/status/",
        "/en/status/?page=4",
        "/en/groups/all/?page=2",
        # Full text, substrings of words, a misspelt word (trigram similarity). Every
        # bench record is named alike ("Milestone 3 of project-17"): a query with those
        # words matches most of a table and is rightly answered by reading it, so these
        # match few.
        "/en/search/?q=1234",
        "/en/search/?q=investmnt+1234",
        # Words shorter than a trigram: two Chinese characters, one, two letters
        # (migration 0021's index; pg_trgm's cannot find them as substrings).
        "/en/search/?q=项目",
        "/en/search/?q=港",
        "/en/search/?q=zq+1234",
        # The sitemap: its index and a page of its largest section.
        "/sitemap.xml",
        "/sitemap-milestones.xml?p=2",
    ]
    for url in urls:
        found = client.get(url)
        assert found.status_code == 200, url
        for sql in count_queries_of(client, url):
            if sql.lstrip("( ").upper().startswith("SELECT") and (tables := sequential_scans(sql)):
                scans.setdefault(url, []).append((tables, sql[:300]))
    assert scans == {}
    # The search finds what it should through the indexes.
    text = page_text(client.get("/en/search/", {"q": "investmnt 1234"}))
    assert "Investment project-1234" in text
    # A short Chinese word is found as a substring, through the index of short pieces.
    Project.objects.filter(slug="project-1234").update(name_zh_hans="基准项目一二三四")
    text = page_text(client.get("/en/search/", {"q": "项目"}))
    assert "Benchmark project 1234" in text
    # The sitemap's index counts no table: the first and last keys number its pages.
    sql = " ".join(count_queries_of(client, "/sitemap.xml"))
    assert "COUNT(" not in sql.upper()


@pytest.mark.django_db
def test_staff_lists_make_as_many_queries_short_or_long_and_say_when_counts_are_estimates(
    admin_client, monkeypatch
):
    if connection.vendor != "postgresql":
        pytest.skip("the planner's estimate is PostgreSQL's; elsewhere lists are counted")
    monkeypatch.setattr(paging, "EXACT_BELOW", 100)
    urls = ("/admin/tracker/milestone/", "/admin/tracker/measurement/")

    def listed() -> dict[str, tuple[int, str]]:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        found = {}
        for url in urls:
            with CaptureQueriesContext(connection) as queries:
                page = admin_client.get(url)
            assert page.status_code == 200, url
            found[url] = (len(queries), page_text(page))
        return found

    build({"programmes": 1, "projects": 2, "milestones": 20, "measurements": 40, "updates": 0}, "x")
    short = listed()
    build(
        {"programmes": 2, "projects": 20, "milestones": 2000, "measurements": 4000, "updates": 0},
        "y",
    )
    long = listed()
    for url in urls:
        assert short[url][0] == long[url][0], url
        # Counted exactly below EXACT_BELOW; past it, the estimate, labelled one.
        assert "an estimate" not in short[url][1], url
        assert "(an estimate)" in long[url][1], url
    assert "20 milestones" in short["/admin/tracker/milestone/"][1]


@pytest.mark.django_db
def test_what_changed_reads_a_page_at_a_time_and_lists_what_the_whole_log_does():
    build({"programmes": 1, "projects": 3, "milestones": 6, "measurements": 90, "updates": 9}, "w")
    programme = Programme.objects.get(slug="w-0")
    whole = revisions.programme_changes(programme)
    log = revisions.ChangeLog(programme)
    assert len(log) == len(whole) == 99
    for start in (0, 10, 50, 90):
        assert log[start : start + 10] == whole[start : start + 10]
    for kind in ("measurement", "update", "created"):
        assert list(revisions.ChangeLog(programme, kind)[0:200]) == revisions.programme_changes(
            programme, kind=kind
        )
    # A page reads the newest measurements down to its end, not all of them.
    with CaptureQueriesContext(connection) as queries:
        log[0:5]
    reads = [q["sql"] for q in queries.captured_queries if "tracker_measurement" in q["sql"]]
    assert reads and all("LIMIT 5" in sql for sql in reads), reads
