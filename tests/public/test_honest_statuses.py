"""Honest statuses: the tracker states nothing that no source says.

The real programme (shared/seed/FACTS.md) has no measurement and no identified
project; every place that shows a status or a value must say so, in both languages,
and never show a failure, a zero or a line that nobody measured.
"""

import csv
import datetime as dt
import io
import re
from decimal import Decimal

import pytest

from tests import factories
from tests.helpers import page_text
from tracker import progress, status
from tracker.models import Programme, Project, Target

YIZHUANG = "/{lang}/programmes/beijing-etown-ai/"
NOT_REPORTED = {"en": "Due date passed, no data published", "zh-hans": "截止日期已过，未公布数据"}
NO_TOTAL = {
    "en": "No project has been publicly identified yet, so there is no total to show.",
    "zh-hans": "尚无项目被公开披露，因此没有可显示的合计。",
}
IDENTIFIED = {
    "en": "0 of 10 projects publicly identified",
    "zh-hans": "计划10个项目，已公开披露0个",
}
# What a failure or an invented zero would look like, in each language.
NEVER = {
    "en": ["Missed", "Current value: 0", "Current value: CN¥0", "as of Nov. 28, 2026"],
    "zh-hans": ["未达成", "当前值： 0", "当前值：0", "截至2026年11月28日"],
}


def statuses_shown(html: str) -> set[str]:
    return set(re.findall(r'class="status status-([a-z_]+)"', html))


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_yizhuang_shows_no_status_point_or_value_that_the_facts_do_not_give(
    client, yizhuang, today, lang
):
    base = YIZHUANG.format(lang=lang)
    targets = list(Target.objects.filter(programme=yizhuang).order_by("pk"))
    assert {t.rollup for t in targets} == {"sum", "count_projects"}

    dashboard = client.get(base).content.decode()
    target_pages = [client.get(t.get_absolute_url().replace("/en/", f"/{lang}/")) for t in targets]
    pages = [dashboard] + [page.content.decode() for page in target_pages]
    for html in pages:
        text = page_text(type("R", (), {"content": html.encode()}))
        # Both targets are due in three to five years and nothing was ever published.
        assert statuses_shown(html) == {"not_reported"}
        assert NOT_REPORTED[lang] in text
        for words in NEVER[lang]:
            assert words not in text, words
        # No measurement is drawn: no measured line and no dot, only the pledged path.
        assert "line-measured" not in html and 'class="dot"' not in html
    dashboard_text = page_text(type("R", (), {"content": dashboard.encode()}))
    assert dashboard_text.count(NOT_REPORTED[lang]) == 4, "both ends of both targets"
    assert IDENTIFIED[lang] in dashboard_text
    count_page = page_text(target_pages[[t.rollup for t in targets].index("count_projects")])
    assert IDENTIFIED[lang] in count_page, "beside the status of the count"
    # The count's data table has no row: no total of 0 on any date.
    assert NO_TOTAL[lang] in count_page
    # A count of 0 shows only as the pledge's stated baseline, never as a value or a row.
    zeros = re.findall(r"(?<![\d.,])0 ?(?:projects|个项目)", count_page)
    assert len(zeros) == 1, zeros

    methodology = page_text(client.get(f"/{lang}/methodology/"))
    assert NOT_REPORTED[lang] in methodology

    # The downloads: the projects table, the milestones, the changes.
    for url in (
        f"{base}?_export=csv",
        f"{base}milestones/?_export=csv",
        f"{base}changes/?_export=csv",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert "missed" not in body.lower() and "未达成" not in body, url
    projects = list(csv.reader(io.StringIO(client.get(f"{base}?_export=csv").content.decode())))
    assert len(projects) == 1, "a header and no project: none is identified"

    # The feeds carry no status and no figure beyond the record.
    for feed in ("updates.atom", "changes.atom", "milestones.ics"):
        response = client.get(f"{base}{feed}")
        assert response.status_code == 200, feed
        body = response.content.decode()
        assert "Missed" not in body and "未达成" not in body, feed

    # Badges, in the reader's language.
    for target in targets:
        badge = client.get(
            f"/badges/{yizhuang.slug}/targets/{target.pk}.svg", headers={"accept-language": lang}
        ).content.decode()
        assert NOT_REPORTED[lang] in badge
        assert "%" not in badge, "no share of the target without a value"
        assert "#a12727" not in badge, "not the red of a failure"


@pytest.mark.django_db
def test_yizhuang_api_reports_not_reported_with_no_value(client, yizhuang, today):
    items = client.get(f"/api/v1/programmes/{yizhuang.slug}/targets").json()["items"]
    assert len(items) == 2
    for target in items:
        for key in ("assessment", "assessment_earliest"):
            assessment = target[key]
            assert assessment["status"] == "not_reported", (target["kind"], key)
            assert assessment["actual"] is None and assessment["as_of"] is None
            assert assessment["forecast_on"] is None
        assert target["measurements"] == []
    programme = client.get(f"/api/v1/programmes/{yizhuang.slug}").json()
    assert programme["projects_identified"] == 0
    document = client.get("/api/v1/openapi.json").json()
    schema = document["components"]["schemas"]["AssessmentOut"]["properties"]["status"]
    assert "not_reported" in schema["enum"] and "missed" in schema["enum"]


@pytest.mark.django_db
def test_admin_shows_the_computed_status_as_not_reported(admin_client, yizhuang, today):
    html = admin_client.get("/admin/tracker/target/").content.decode()
    assert NOT_REPORTED["en"] in html
    assert "Missed" not in html


def count_programme(identified: list[dt.date]) -> tuple[Programme, Target]:
    programme = factories.ProgrammeFactory(
        announced_on=dt.date(2020, 10, 14), planned_project_count=10
    )
    target = factories.ProgrammeTargetFactory(
        programme=programme,
        rollup=Target.Rollup.COUNT_PROJECTS,
        kind=Target.Kind.COUNT,
        currency="",
        unit_en="projects",
        target_value=Decimal(10),
        baseline_value=Decimal(0),
        baseline_on=dt.date(2020, 10, 14),
        due_earliest=dt.date(2023, 10, 14),
        due_on=dt.date(2025, 10, 14),
    )
    for on in identified:
        factories.ProjectFactory(programme=programme, identified_on=on)
    return programme, target


@pytest.mark.django_db
def test_a_count_rollup_starts_at_the_first_project_identified(client, today):
    programme, target = count_programme([dt.date(2022, 6, 1), dt.date(2023, 2, 1)])
    factories.ProjectFactory(
        programme=programme,
        identified_on=dt.date(2021, 1, 1),
        lifecycle_status=Project.Lifecycle.CANCELLED,
    )
    series = status.rollup_points(programme, target, today)
    assert series == [
        progress.Point(dt.date(2022, 6, 1), Decimal(1)),
        progress.Point(dt.date(2023, 2, 1), Decimal(2)),
        progress.Point(today, Decimal(2)),
    ], "no zero at the baseline, the cancelled project not counted"
    final, earliest = status.assess_range(target, today)
    assert (final.status, earliest.status) == (progress.Status.MISSED, progress.Status.MISSED)
    assert final.actual == Decimal(2)

    html = client.get(target.get_absolute_url()).content.decode()
    text = page_text(client.get(target.get_absolute_url()))
    assert "Current value: 2 projects as of Nov. 28, 2026" in text
    zeros = re.findall(r"(?<![\d.,])0 projects", text)
    assert zeros == ["0 projects"], "the stated baseline only: no row of 0 before the first"
    assert html.count('class="dot"') == 3


@pytest.mark.django_db
def test_a_count_rollup_with_nothing_identified_before_its_due_date_has_no_data(client):
    programme, target = count_programme([])
    final, earliest = status.assess_range(target, dt.date(2022, 1, 1))
    assert (final.status, earliest.status) == (progress.Status.NO_DATA, progress.Status.NO_DATA)
    assert status.rollup_points(programme, target, dt.date(2022, 1, 1)) == []
    final, earliest = status.assess_range(target, dt.date(2024, 1, 1))
    assert (final.status, earliest.status) == (
        progress.Status.NO_DATA,
        progress.Status.NOT_REPORTED,
    )


@pytest.mark.django_db
def test_a_project_whose_target_is_not_reported_is_amber_never_red(client, today):
    project = factories.ProjectFactory()
    factories.TargetFactory(
        project=project,
        programme=project.programme,
        target_value=Decimal(100),
        baseline_on=dt.date(2020, 1, 1),
        due_on=dt.date(2022, 1, 1),
    )
    assert status.project_rating(project, today) == "amber"
    text = page_text(client.get(project.get_absolute_url()))
    assert "Amber: at risk" in text and "Red: off course" not in text
    assert NOT_REPORTED["en"] in text
    badge = client.get(
        f"/badges/{project.programme.slug}/projects/{project.slug}.svg"
    ).content.decode()
    assert "Amber: at risk" in badge
