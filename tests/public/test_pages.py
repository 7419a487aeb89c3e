"""The public pages as readers see them, for the real programme and for the demo data."""

import datetime as dt
import re
from decimal import Decimal

import pytest

from tests import factories
from tests.helpers import count_queries, page_text, site_urls, table_text
from tracker.models import Milestone, Programme, Project, Target

YIZHUANG = "/{lang}/programmes/beijing-etown-ai/"


DEMO = "/{lang}/programmes/demo-hub/"


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_every_page_answers_for_the_real_programme_and_the_demo(client, yizhuang, demo, lang):
    for url in site_urls(lang):
        response = client.get(url)
        assert response.status_code == 200, url
        assert f'<html lang="{lang}">' in response.content.decode(), url


@pytest.mark.django_db
def test_yizhuang_dashboard_shows_the_gap_honestly(client, yizhuang, today):
    text = page_text(client.get(YIZHUANG.format(lang="en")))
    assert "0 of 10 projects publicly identified" in text
    assert "No project of this programme has been publicly identified yet." in text
    assert "Current value: no published measurement" in text
    # Both ends of "three to five years" have passed with nothing published: that is
    # not reported, not a failure the record cannot show.
    assert "Against the final date, Oct. 14, 2025: Due date passed, no data published" in text
    assert "Against the earlier date, Oct. 14, 2023: Due date passed, no data published" in text
    assert "Missed" not in text
    assert "Designated a national AI high-tech industrialisation base" in text
    assert "No progress update has been published." in text


@pytest.mark.django_db
def test_yizhuang_dashboard_in_chinese(client, yizhuang, today):
    text = page_text(client.get(YIZHUANG.format(lang="zh-hans")))
    assert "计划10个项目，已公开披露0个" in text
    assert "截止日期已过，未公布数据" in text
    assert "未达成" not in text
    assert "按最终截止日期（2025年10月14日）" in text
    assert "不低于 500亿元" in text


@pytest.mark.django_db
def test_yizhuang_target_page_says_there_is_no_measurement(client, yizhuang):
    target = Target.objects.get(programme=yizhuang, kind="money")
    text = page_text(client.get(target.get_absolute_url()))
    assert "No project has reported a value yet." in text
    assert "No source states a baseline value" in text
    assert "South China Morning Post" in text


@pytest.mark.django_db
def test_demo_dashboard_shows_statuses_projects_milestones_and_updates(client, demo):
    text = page_text(client.get(DEMO.format(lang="en")))
    assert "6 of 8 projects publicly identified" in text
    assert "Demo: AI credit risk platform" in text
    for words in ("On track", "Off track", "Overdue", "Due in the next 90 days"):
        assert words in text
    assert "Demo: quarterly update on" in text
    assert "Demo: draft programme review" not in text, "drafts are not public"
    assert "Demo data" in text


@pytest.mark.django_db
def test_dashboard_lists_the_earliest_overdue_and_due_milestones_and_counts_them_all(client, today):
    project = factories.ProjectFactory()
    programme = project.programme
    for n in range(12):
        factories.MilestoneFactory(
            project=project, title_en=f"Late {n:02}", planned_on=today - dt.timedelta(days=40 - n)
        )
    factories.MilestoneFactory(
        project=project,
        title_en="Late but withdrawn",
        planned_on=today - dt.timedelta(days=90),
        withdrawn_on=today,
        withdrawal_reason="Merged into another.",
    )
    factories.MilestoneFactory(
        project=project,
        title_en="Done early",
        planned_on=today - dt.timedelta(days=90),
        status=Milestone.Status.COMPLETED,
        completed_on=today - dt.timedelta(days=95),
    )
    for n in range(3):
        factories.MilestoneFactory(
            programme=programme,
            project=None,
            title_en=f"Soon {n}",
            planned_on=today + dt.timedelta(days=30 * n),
        )
    factories.MilestoneFactory(project=project, title_en="Far off", planned_on=today.replace(2028))

    text = page_text(client.get(f"/en/programmes/{programme.slug}/"))

    overdue = text.split("Overdue", 1)[1].split("Due in the next 90 days", 1)[0]
    shown = re.findall(r"Late \d\d", overdue)
    assert shown == [f"Late {n:02}" for n in range(10)], "the ten earliest, in date order"
    assert "All 12 overdue milestones" in overdue
    assert "withdrawn" not in overdue and "Done early" not in overdue
    due = text.split("Due in the next 90 days", 1)[1].split("Programme milestones", 1)[0]
    assert re.findall(r"Soon \d", due) == ["Soon 0", "Soon 1", "Soon 2"]
    assert "Far off" not in due and "milestones due soon" not in due


@pytest.mark.django_db
def test_demo_project_page_has_charts_timeline_updates_and_history(client, demo):
    project = Project.objects.get(slug="credit-risk-ai")
    html = client.get(project.get_absolute_url()).content.decode()
    text = page_text(client.get(project.get_absolute_url()))
    assert '<svg viewBox="0 0 640 300" role="img"' in html
    assert "Computed rating" in text and "Declared rating" in text
    assert "Demo: pilot in service" in text
    assert "Demo: quarterly update on ai credit risk platform" in text
    assert "Demo: supplier delivered the equipment late." in text, "the moved date's reason"


@pytest.mark.django_db
def test_target_page_has_chart_data_table_and_sources(client, demo):
    target = Target.objects.get(project__slug="smart-signals")
    html = client.get(target.get_absolute_url()).content.decode()
    text = page_text(client.get(target.get_absolute_url()))
    assert 'class="line-expected"' in html and 'class="line-measured"' in html
    assert "Measurements, newest first" in text
    rows = re.findall(r'<tr id="measurement-\d+">', html)
    assert len(rows) == target.measurements.count() > 0
    assert "Demo: illustrative progress report" in text


@pytest.mark.django_db
def test_revised_target_keeps_the_original_pledge_line(client, demo):
    target = Target.objects.get(project__slug="imaging-ai")
    original_due = target.due_on
    target.target_value = Decimal("1500000000")
    target.due_on = original_due + dt.timedelta(days=365)
    target._change_reason = "Scope cut by the investor."
    target.save()
    html = client.get(target.get_absolute_url()).content.decode()
    factories.MeasurementFactory(target=target, as_of=dt.date(2025, 6, 1), value=Decimal(1))
    html = client.get(target.get_absolute_url()).content.decode()
    assert 'class="line-pledge"' in html
    assert "the original pledge was CN¥2 billion" in page_text(
        client.get(target.get_absolute_url())
    )
    changes = page_text(client.get(f"{DEMO.format(lang='en')}changes/"))
    assert "Scope cut by the investor." in changes
    assert "CN¥2 billion" in changes and "CN¥1.5 billion" in changes


@pytest.mark.django_db
def test_milestone_page_shows_slippage_and_date_history(client, demo):
    milestone = Milestone.objects.filter(
        project__slug="credit-risk-ai", title_en="Demo: pilot in service"
    ).get()
    text = page_text(client.get(milestone.get_absolute_url()))
    assert "First planned for" in text
    assert "Planned date" in text and "Demo: supplier delivered the equipment late." in text
    assert re.search(r"Slippage \d+ days", text)


@pytest.mark.django_db
def test_milestone_table_filters_sorts_and_keeps_state_in_the_url(client, demo, today):
    base = f"{DEMO.format(lang='en')}milestones/"
    everything = page_text(client.get(base))
    completed = client.get(f"{base}?status=completed&sort=-planned_on")
    text = page_text(completed)
    assert "Demo: site and partners confirmed" in text
    assert "Demo: full roll-out" not in text and "Demo: full roll-out" in everything
    html = completed.content.decode()
    assert 'aria-sort="descending"' in html
    assert "status=completed" in html, "sort links keep the filter"
    overdue = page_text(client.get(f"{base}?window=overdue"))
    assert "Demo: pilot in service" in overdue and "Demo: full roll-out" not in overdue
    by_project = table_text(client.get(f"{base}?project=city-brain"))
    assert "Demo: City operations centre" in by_project
    assert "Demo: AI credit risk platform" not in by_project


@pytest.mark.django_db
def test_empty_tables_say_so(client, yizhuang):
    text = page_text(client.get(f"{YIZHUANG.format(lang='en')}milestones/?status=cancelled"))
    assert "No milestone matches." in text


BAD = [
    ("/en/programmes/nowhere/", 404),
    ("/en/programmes/beijing-etown-ai/projects/nothing/", 404),
    ("/en/programmes/beijing-etown-ai/targets/999999/", 404),
    ("/en/programmes/beijing-etown-ai/milestones/999999/", 404),
    ("/en/programmes/beijing-etown-ai/sectors/no-such-sector/", 404),
    ("/en/programmes/nowhere/milestones/", 404),
    ("/en/programmes/nowhere/changes/", 404),
    ("/en/programmes/nowhere/sectors/banking/", 404),
    ("/en/programmes/beijing-etown-ai/milestones/?page=999", 404),
    ("/en/programmes/beijing-etown-ai/milestones/?page=abc", 404),
    ("/en/programmes/beijing-etown-ai/changes/?page=-1", 200),
    ("/en/programmes/beijing-etown-ai/?sort=nonsense&page=zz", 200),
    ("/en/programmes/beijing-etown-ai/milestones/?sort=%00%27", 400),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("url", "status"), BAD)
def test_bad_addresses_answer_not_found_never_an_error(client, yizhuang, url, status):
    assert client.get(url).status_code == status


@pytest.mark.django_db
def test_junk_filter_values_answer_with_a_message(client, yizhuang):
    response = client.get(
        f"{YIZHUANG.format(lang='en')}milestones/?status=junk&project=nothing&window=7"
    )
    assert response.status_code == 200
    text = page_text(response)
    assert "Some filter values were not understood" in text
    assert "Select a valid choice." in text


@pytest.mark.django_db
def test_every_public_page_runs_at_most_15_queries_at_any_size(client, yizhuang, demo):
    programme = Programme.objects.get(slug="demo-hub")
    urls = site_urls()
    count_queries(client, urls)  # fill per-process caches first
    small = count_queries(client, urls)
    factories.extra_data(programme, 6)
    large = count_queries(client, urls)
    assert max(large.values()) <= 15, large
    grown = {url: (small[url], large[url]) for url in urls if small[url] != large[url]}
    assert not grown, grown


@pytest.mark.django_db
def test_no_public_page_loads_anything_from_another_host(client, yizhuang, demo):
    for url in site_urls():
        html = client.get(url).content.decode()
        for match in re.finditer(
            r'<(?:link|script|img|iframe|source|video|audio)\b[^>]*?(?:href|src)="([^"]*)"', html
        ):
            address = match.group(1)
            if 'rel="alternate"' in match.group(0):
                # A page in the other language, named whole (search engines ask for that):
                # a link, not a load, and on this host.
                address = address.removeprefix("http://testserver")
            assert address.startswith("/"), (url, match.group(1))
        assert "@import" not in html and "url(http" not in html


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_project_page_names_its_lead_organisations_and_sources_in_order(client, lang):
    """By name in the page's language; the sources newest first; nothing of another
    project's."""
    project, other = factories.ProjectFactory(), factories.ProjectFactory()
    leads = [
        factories.OrganisationFactory(name_en="Beta Bank", name_zh_hans="甲银行"),
        factories.OrganisationFactory(name_en="Alpha Grid", name_zh_hans="乙电网"),
    ]
    project.lead_organisations.add(*leads)
    other.lead_organisations.add(factories.OrganisationFactory(name_en="Elsewhere Ltd"))
    old = factories.SourceFactory(title_en="Older notice", published_on=dt.date(2024, 1, 1))
    new = factories.SourceFactory(title_en="Newer notice", published_on=dt.date(2025, 1, 1))
    project.sources.add(old, new)
    other.sources.add(factories.SourceFactory(title_en="Another project's notice"))
    page = client.get(f"/{lang}{project.get_absolute_url()[3:]}").content.decode()
    names = [lead.name_zh_hans if lang == "zh-hans" else lead.name_en for lead in leads]
    names.sort()
    assert page.index(names[0]) < page.index(names[1])
    assert "Elsewhere Ltd" not in page and "Another project's notice" not in page
    assert page.index("Newer notice") < page.index("Older notice")
