"""The verdict first: the home page for each programme, and every programme, project
and target page, opens with one line saying whether the pledge is kept; a status
summary counts targets by status and projects by rating, each count a link."""

import html
import re

import pytest

from tests.helpers import count_queries, page_text, sitemap_text, vnu_errors
from tracker.models import Project, Target


def verdicts(response) -> list[str]:
    """The text of each verdict line on the page, as a reader sees it."""
    assert response.status_code == 200
    found = re.findall(r"<p[^>]*data-verdict[^>]*>(.*?)</p>", response.content.decode(), re.S)
    return [html.unescape(" ".join(re.sub(r"<[^>]+>", "", each).split())) for each in found]


@pytest.mark.django_db
def test_home_gives_each_programme_its_verdict(client, yizhuang, demo, today):
    real, invented = verdicts(client.get("/en/"))
    # The market value is named as not reported: never read as an amount achieved.
    assert real == (
        "Verdict: Market value of the AI application base: not reported · "
        "AI application projects: not reported · 0 of 10 projects identified"
    )
    assert invented.startswith("Verdict: Market value of the demo projects: Off track · 19% of")
    assert invented.endswith("6 of 8 projects identified · 1 milestone overdue")
    text = page_text(client.get("/en/"))
    assert "Market value of the AI application base: pledged CN¥50 billion" in text


@pytest.mark.django_db
def test_programme_project_and_target_pages_open_with_their_verdict(client, yizhuang, demo, today):
    base = "/en/programmes/demo-hub/"
    assert verdicts(client.get(base)) == verdicts(client.get("/en/"))[1:]
    project = verdicts(client.get(f"{base}projects/credit-risk-ai/"))
    assert project == [
        "Verdict: Amber: at risk · Demo: investment in ai credit risk platform: "
        "Needs acceleration · 24% of CN¥5 billion"
    ]
    unreported = Target.objects.filter(programme=yizhuang, project=None).order_by("pk").first()
    assert verdicts(client.get(f"/en/programmes/{yizhuang.slug}/targets/{unreported.pk}/")) == [
        "Verdict: Due date passed, no data published"
    ]


@pytest.mark.django_db
def test_the_verdict_comes_before_the_page_s_details(client, yizhuang, demo, today):
    for url in ["/en/programmes/demo-hub/", "/en/programmes/demo-hub/projects/credit-risk-ai/"]:
        body = client.get(url).content.decode()
        assert body.index("data-verdict") < body.index('class="facts"'), url


@pytest.mark.django_db
def test_chinese_verdict_punctuates_in_chinese(client, yizhuang, demo, today):
    real = verdicts(client.get("/zh-hans/"))[0]
    assert real.startswith("结论：人工智能应用示范基地市场价值：")
    assert ": " not in real


@pytest.mark.django_db
def test_status_summary_counts_and_links_to_the_filtered_lists(client, yizhuang, demo, today):
    response = client.get("/en/status/")
    body = response.content.decode()
    link = '<a href="/en/programmes/beijing-etown-ai/?status=not_reported#targets-heading">2</a>'
    assert link in body
    assert '<a href="/en/programmes/demo-hub/?rating=amber#projects-heading">3</a>' in body
    banking = "/en/programmes/demo-hub/?sector=banking&amp;rating=green#projects-heading"
    assert f'<a href="{banking}">1</a>' in body
    # The footer of every page leads to it.
    assert 'href="/en/status/"' in client.get("/en/methodology/").content.decode()


@pytest.mark.django_db
def test_the_programme_page_shows_what_a_summary_count_counts(client, yizhuang, demo, today):
    base = "/en/programmes/demo-hub/"
    response = client.get(f"{base}?rating=amber")
    assert "Showing only: Amber: at risk" in page_text(response)
    rated = status_of_projects(today)
    body = response.content.decode()
    section = body[body.index('id="projects-heading"') : body.index('id="milestones-heading"')]
    rows = html.unescape(section)
    shown = [name for name in rated if name in rows]
    assert sorted(shown) == sorted(name for name, rating in rated.items() if rating == "amber")
    banking = page_text(client.get(f"{base}?rating=green&sector=banking"))
    assert "Showing only: Green: on course · Banking" in banking
    off_track = page_text(client.get(f"{base}?status=off_track"))
    assert "Market value of the demo projects At least" in off_track
    assert "Demo projects identified At least" not in off_track
    # The verdict still counts everything.
    assert verdicts(client.get(f"{base}?status=off_track")) == verdicts(client.get(base))


def status_of_projects(today) -> dict[str, str]:
    from tracker import status

    projects = Project.objects.filter(programme__slug="demo-hub").with_status(today)
    return {project.name: status.project_rating(project, today) for project in projects}


@pytest.mark.django_db
def test_verdict_pages_keep_a_bounded_query_count(client, yizhuang, demo, today):
    counts = count_queries(client, ["/en/", "/en/status/", "/en/programmes/demo-hub/?lead=1"])
    assert max(counts.values()) <= 15, counts


@pytest.mark.django_db
def test_status_summary_is_valid_html(client, yizhuang, demo, today, tmp_path):
    urls = ["/en/status/", "/zh-hans/status/", "/en/", "/en/programmes/demo-hub/?rating=amber"]
    assert vnu_errors({url: client.get(url) for url in urls}, tmp_path) == []


@pytest.mark.django_db
def test_the_sitemap_lists_the_status_summary(client, demo):
    assert "/en/status/</loc>" in sitemap_text(client)
