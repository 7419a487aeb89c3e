"""Open data: the API and its OpenAPI document, downloads, feeds, calendar, badges,
the programme document, the sitemap and robots.txt."""

import csv
import datetime as dt
import io
import json
from decimal import Decimal

import feedparser
import icalendar
import openpyxl
import pytest
import schemathesis
from django.core.management import call_command
from django.core.serializers.json import DjangoJSONEncoder
from hypothesis import HealthCheck, settings
from openapi_spec_validator import validate

from tests import factories
from tests.helpers import api_urls, count_queries, sitemap_text
from tracker.models import DEMO_MODELS, Milestone, Programme, Project, Target
from tracker.opendata.api import api
from tracker.opendata.document import export_programme

DEMO = "/en/programmes/demo-hub/"


# The API


def test_openapi_document_validates(client):
    document = client.get("/api/v1/openapi.json").json()
    validate(document)
    assert "/api/v1/programmes/{slug}/targets" in document["paths"]


@pytest.mark.django_db
def test_api_reference_page_loads_its_assets_from_the_tracker(client):
    html = client.get("/api/v1/docs").content.decode()
    assert "swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()
    assert "//" not in "".join(part.split('"')[0] for part in html.split('src="')[1:]), (
        "scripts from this host only"
    )


@pytest.mark.django_db
def test_api_serves_targets_with_their_assessment(client, yizhuang, today):
    items = client.get("/api/v1/programmes/beijing-etown-ai/targets").json()["items"]
    money = next(t for t in items if t["kind"] == "money")
    assert money["target_value"] == "50000000000.0000"
    assert money["assessment"]["status"] == "not_reported"
    assert money["assessment_earliest"]["status"] == "not_reported"
    assert money["assessment"]["actual"] is None
    assert money["assessment_earliest"]["due"] == "2023-10-14"
    assert money["measurements"] == []
    assert money["title"]["zh_hans"] == "人工智能应用示范基地市场价值"


@pytest.mark.django_db
def test_api_filters_take_slugs_and_the_schema_says_so(client, demo):
    """A sector or project filter is a slug (or empty: no filter). Anything else, a NUL
    character among them, is invalid input the schema describes, so that a client (and
    schemathesis's check that valid input is accepted) knows it before asking."""
    milestones = "/api/v1/programmes/demo-hub/milestones"
    assert client.get(f"{milestones}?project=").status_code == 200
    assert client.get(f"{milestones}?project=credit-risk-ai").json()["count"] > 0
    for query in ("project=a b", "sector=%E5%8C%97%E4%BA%AC", "project=a%00b"):
        answer = client.get(f"{milestones}?{query}")
        assert answer.status_code == 422, query
    assert "pattern" in client.get(f"{milestones}?project=a b").json()["detail"][0]["msg"]
    document = client.get("/api/v1/openapi.json").json()
    for path, name in (("milestones", "project"), ("milestones", "sector"), ("projects", "sector")):
        parameters = document["paths"][f"/api/v1/programmes/{{slug}}/{path}"]["get"]["parameters"]
        (given,) = [p for p in parameters if p["name"] == name]
        assert given["schema"]["anyOf"][0]["pattern"] == "^[-a-zA-Z0-9_]*$"


@pytest.mark.django_db
def test_api_lists_are_paginated_and_filtered_like_the_tables(client, demo):
    body = client.get("/api/v1/programmes/demo-hub/milestones?status=completed").json()
    assert body["count"] == 6
    assert {m["status"] for m in body["items"]} == {"completed"}
    by_project = client.get("/api/v1/programmes/demo-hub/milestones?project=city-brain").json()
    assert {m["project"] for m in by_project["items"]} == {"city-brain"}
    assert client.get("/api/v1/programmes?page=99").json()["items"] == []


@pytest.mark.django_db
def test_api_never_shows_drafts(client, demo):
    titles = [
        u["title"]["en"] for u in client.get("/api/v1/programmes/demo-hub/updates").json()["items"]
    ]
    assert titles and not any("draft" in title for title in titles)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/programmes/nowhere",
        "/api/v1/programmes/demo-hub/targets/999999",
        "/api/v1/programmes/demo-hub/milestones/999999",
        "/api/v1/programmes/demo-hub/projects/nothing",
        "/api/v1/sources/999999",
    ],
)
def test_unknown_ids_answer_404_in_json(client, demo, url):
    response = client.get(url)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert "Not Found" in response.json()["detail"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/programmes?page=0",
        "/api/v1/programmes?page=many",
        "/api/v1/programmes/demo-hub/milestones?status=late",
        "/api/v1/programmes/demo-hub/milestones?window=7",
        "/api/v1/programmes/demo-hub/targets/abc",
    ],
)
def test_malformed_parameters_answer_422_with_the_reason(client, demo, url):
    response = client.get(url)
    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"]


@pytest.mark.django_db
def test_each_endpoint_keeps_a_bounded_query_count(client, demo):
    urls = api_urls()
    count_queries(client, urls)
    small = count_queries(client, urls)
    factories.extra_data(Programme.objects.get(slug="demo-hub"), 5)
    large = count_queries(client, urls)
    assert {u: (small[u], large[u]) for u in urls if small[u] != large[u]} == {}


# The API's own description of itself, read in-process; the requests go to a live server.
schema = schemathesis.openapi.from_dict(
    json.loads(json.dumps(api.get_openapi_schema(path_prefix="/api/v1/"), cls=DjangoJSONEncoder))
)


@pytest.fixture
def live_api(transactional_db, live_server):
    """A real HTTP server over the real programme and the demo."""
    with open("/dev/null", "w") as quiet:
        call_command("load_yizhuang", stdout=quiet)
        call_command("load_demo", stdout=quiet)
    return live_server.url


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_the_live_api_passes_every_schemathesis_check(case, live_api):
    """Generated requests, valid and invalid, against a running server: every built-in
    check (no server error, status codes, content types, headers and bodies as
    documented, invalid input refused, valid input accepted, unsupported methods)."""
    case.call_and_validate(base_url=live_api)


# Downloads


@pytest.mark.django_db
def test_milestone_download_is_csv_with_the_filters_applied(client, demo):
    response = client.get(f"{DEMO}milestones/?status=completed&_export=csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    # Readable headers, and each code in a column named by its machine name.
    assert rows[0] == [
        "Milestone",
        "Identifier",
        "Project",
        "project",
        "Planned for",
        "Forecast for",
        "Completed on",
        "Status",
        "status",
        "Slippage (days)",
    ]
    assert (
        len(rows) - 1
        == Milestone.objects.filter(programme__slug="demo-hub", status="completed").count()
    )
    assert {row[7] for row in rows[1:]} == {"Completed"}
    assert {row[8] for row in rows[1:]} == {"completed"}


@pytest.mark.django_db
def test_projects_download_as_xlsx_and_json(client, demo):
    xlsx = client.get(f"{DEMO}?_export=xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.max_row - 1 == Project.objects.filter(programme__slug="demo-hub").count()
    rows = json.loads(client.get(f"{DEMO}?_export=json").content)
    assert "Demo: AI credit risk platform" in {row["name"] for row in rows}


@pytest.mark.django_db
def test_measurements_and_changes_download(client, demo):
    target = Target.objects.get(project__slug="smart-signals")
    response = client.get(f"{target.get_absolute_url()}?_export=csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) - 1 == target.measurements.count()
    assert rows[1][2] == "CNY"
    changes = client.get(f"{DEMO}changes/?_export=csv").content.decode("utf-8-sig")
    assert "Demo: supplier delivered the equipment late." in changes


@pytest.mark.django_db
def test_unknown_download_format_is_refused_with_a_message(client, demo):
    response = client.get(f"{DEMO}changes/?_export=pdf")
    assert response.status_code == 400
    assert "csv, xlsx or json" in response.content.decode()


# Feeds, calendar, badges


@pytest.mark.django_db
def test_update_and_change_feeds_parse(client, demo):
    updates = feedparser.parse(client.get(f"{DEMO}updates.atom").content)
    assert not updates.bozo
    assert len(updates.entries) == 6
    assert all("draft" not in entry.title for entry in updates.entries)
    changes = feedparser.parse(client.get(f"{DEMO}changes.atom").content)
    assert not changes.bozo
    assert any("supplier delivered" in entry.summary for entry in changes.entries)
    project = feedparser.parse(client.get(f"{DEMO}projects/credit-risk-ai/updates.atom").content)
    assert not project.bozo and len(project.entries) == 1


@pytest.mark.django_db
def test_pages_link_their_feeds(client, demo):
    html = client.get(DEMO).content.decode()
    assert '<link rel="alternate" type="application/atom+xml"' in html
    assert "/en/programmes/demo-hub/updates.atom" in html


@pytest.mark.django_db
def test_calendar_parses_and_keeps_uids_when_a_date_moves(client, demo):
    response = client.get(f"{DEMO}milestones.ics")
    assert response["Content-Type"].startswith("text/calendar")
    events = icalendar.Calendar.from_ical(response.content).walk("VEVENT")
    assert len(events) == Milestone.objects.filter(programme__slug="demo-hub").count()
    milestone = Milestone.objects.filter(programme__slug="demo-hub").order_by("pk").last()
    uid = f"milestone-{milestone.pk}@testserver"
    before = next(e for e in events if str(e["uid"]) == uid)

    milestone.planned_on += dt.timedelta(days=30)
    milestone._change_reason = "Moved."
    milestone.save()
    after = next(
        e
        for e in icalendar.Calendar.from_ical(client.get(f"{DEMO}milestones.ics").content).walk(
            "VEVENT"
        )
        if str(e["uid"]) == uid
    )
    assert after["dtstart"].dt == before["dtstart"].dt + dt.timedelta(days=30)
    assert int(after["sequence"]) == int(before["sequence"]) + 1


@pytest.mark.django_db
def test_badges_are_svg_with_cache_headers(client, demo, yizhuang):
    project = client.get("/badges/demo-hub/projects/city-brain.svg")
    assert project["Content-Type"].startswith("image/svg+xml")
    assert "max-age" in project["Cache-Control"]
    assert "Red: off course" in project.content.decode()
    target = Target.objects.get(programme__slug="beijing-etown-ai", kind="money")
    badge = client.get(f"/badges/beijing-etown-ai/targets/{target.pk}.svg").content.decode()
    assert "Due date passed, no data published" in badge, "nothing published: no failure claimed"
    assert "Missed" not in badge
    assert "#8a5a00" in badge and "#a12727" not in badge, "amber, not the red of a failure"
    demo_target = Target.objects.get(project__slug="smart-signals")
    progress = client.get(f"/badges/demo-hub/targets/{demo_target.pk}.svg").content.decode()
    assert "% of CN¥8 billion" in progress
    assert client.get("/badges/demo-hub/projects/nothing.svg").status_code == 404


@pytest.mark.django_db
def test_pages_offer_the_badge_to_embed(client, demo):
    html = client.get(f"{DEMO}projects/city-brain/").content.decode()
    assert "http://testserver/badges/demo-hub/projects/city-brain.svg" in html


# The programme document


def snapshot(programme_slug: str) -> dict:
    return export_programme(Programme.objects.get(slug=programme_slug))


@pytest.mark.django_db
def test_export_import_into_an_empty_database_and_export_again_is_identical(
    yizhuang, demo, tmp_path
):
    for slug in ("beijing-etown-ai", "demo-hub"):
        path = tmp_path / f"{slug}.json"
        call_command("export_programme", slug, output=str(path))
        first = json.loads(path.read_text())
        # Empty the database, then load the document back.
        for model in DEMO_MODELS:
            for obj in model.objects.all():
                obj.sources.clear() if hasattr(obj, "sources") else None
            model.objects.all().delete()
        call_command("import_programme", str(path), stdout=io.StringIO())
        assert snapshot(slug) == first
        assert Programme.objects.get(slug=slug).is_demo is (slug == "demo-hub")
        call_command("load_yizhuang", stdout=io.StringIO())
        if slug == "beijing-etown-ai":
            call_command("load_demo", stdout=io.StringIO())


@pytest.mark.django_db
def test_import_refuses_a_broken_document_and_writes_nothing(yizhuang, tmp_path):
    document = snapshot("beijing-etown-ai")
    document["programme"]["slug"] = "copy"
    document["programme"]["targets"][0]["target_value"] = "-5"
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(document))
    with pytest.raises(Exception, match="Nothing was imported: .*cannot be negative"):
        call_command("import_programme", str(path))
    assert not Programme.objects.filter(slug="copy").exists()
    path.write_text("not json")
    with pytest.raises(Exception, match="Cannot read"):
        call_command("import_programme", str(path))


@pytest.mark.django_db
def test_a_new_hubs_plan_loads_from_a_handwritten_document(tmp_path):
    plan = {
        "format": "policy-target-tracker/programme",
        "version": 1,
        "sources": [
            {
                "key": "S1",
                "title": {"en": "Plan"},
                "publisher": {"en": "Office"},
                "kind": "official",
            }
        ],
        "programme": {
            "slug": "new-hub",
            "name": {"en": "New hub", "zh_hans": "新基地"},
            "planned_project_count": 3,
            "sources": ["S1"],
            "targets": [
                {
                    "title": {"en": "Investment"},
                    "kind": "money",
                    "currency": "CNY",
                    "target_value": "1000000000",
                    "due_on": "2028-12-31",
                }
            ],
            "projects": [{"slug": "p1", "name": {"en": "Project one"}}],
        },
    }
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan))
    call_command("import_programme", str(path), stdout=io.StringIO())
    programme = Programme.objects.get(slug="new-hub")
    assert programme.targets.get().target_value == Decimal("1000000000")
    assert programme.projects.get().name == "Project one"


# Sitemap and robots


@pytest.mark.django_db
def test_sitemap_lists_public_pages_in_both_languages(client, demo):
    xml = sitemap_text(client)
    project = Project.objects.get(slug="city-brain")
    assert f"http://testserver/en/programmes/demo-hub/projects/{project.slug}/" in xml
    assert f"http://testserver/zh-hans/programmes/demo-hub/projects/{project.slug}/" in xml
    assert "/en/methodology/" in xml


def test_robots_txt_points_to_the_sitemap_and_keeps_out_of_the_admin(client):
    text = client.get("/robots.txt").content.decode()
    assert "Disallow: /admin/" in text
    assert "Sitemap: http://testserver/sitemap.xml" in text
