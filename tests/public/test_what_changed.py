"""What changed is the programme's complete public log: new and withdrawn records,
completions, published measurements and updates, and revisions with their reasons;
each with its date, who made it (by role, never by name) and a link; filtered by kind;
the Atom feed and the downloads carry the same entries."""

import csv
import datetime as dt
import io
import re
from decimal import Decimal

import feedparser
import pytest
from django.test import Client

from tests import factories
from tests.helpers import (
    count_queries,
    editor_of,
    ensure_roles,
    manager_of,
    page_text,
    table_text,
    vnu_errors,
)
from tracker.editorial import publishing, workflow
from tracker.models import ChangeRequest, Measurement, Milestone, Programme, ProgressUpdate


@pytest.fixture
def log(db):
    """A programme where a command, an editor and a manager each changed something."""
    ensure_roles()
    programme = factories.ProgrammeFactory(slug="hub", name_en="Hub")
    project = factories.ProjectFactory(programme=programme, slug="mine", name_en="My project")
    editor = editor_of(project, username="edna", email="edna@example.org")
    manager = manager_of(programme, username="manny", email="manny@example.org")
    target = factories.TargetFactory(
        project=project,
        programme=programme,
        title_en="Sites connected",
        kind="count",
        unit_en="sites",
        target_value=10,
        due_on=dt.date(2027, 12, 31),
    )
    moved = factories.MilestoneFactory(
        project=project, programme=programme, title_en="Pilot", planned_on=dt.date(2026, 6, 30)
    )
    source = factories.SourceFactory(title_en="Gate count report")

    # A manager adds a milestone: public at once.
    new = Milestone(
        project=project, programme=programme, title_en="Roll-out", planned_on=dt.date(2027, 3, 1)
    )
    publishing.save_change(instance=new, by=manager, reason="Added from the 2026 plan.")
    # An editor moves a milestone; a manager publishes it.
    moved.planned_on = dt.date(2026, 9, 30)
    change = publishing.save_change(
        instance=moved, by=editor, reason="Supplier delivered the equipment late."
    )
    publishing.publish(change=change, by=manager)
    # The manager marks the pilot complete and withdraws the target.
    moved = Milestone.objects.get(pk=moved.pk)
    moved.status, moved.completed_on = Milestone.Status.COMPLETED, dt.date(2026, 10, 2)
    publishing.save_change(instance=moved, by=manager, reason="Opened to the public.")
    target.refresh_from_db()
    target.withdrawn_on, target.withdrawal_reason = dt.date(2026, 10, 5), "Merged into another."
    publishing.save_change(instance=target, by=manager, reason="Merged into another.")
    # The manager publishes a measurement; the editor's second one still waits for review.
    publishing.save_change(
        instance=Measurement(
            target=target, value=Decimal(4), as_of=dt.date(2026, 9, 1), source=source
        ),
        by=manager,
        reason="Gate count for August.",
    )
    publishing.save_change(
        instance=Measurement(
            target=target, value=Decimal(7), as_of=dt.date(2026, 10, 1), source=source
        ),
        by=editor,
        reason="Pending figure.",
    )
    assert ChangeRequest.objects.filter(state="pending").count() == 1
    # One update published through review, one still a draft.
    update = factories.ProgressUpdateFactory(
        project=project,
        programme=programme,
        title_en="Pilot opened",
        author=editor,
        state="draft",
        published_at=None,
    )
    workflow.update_submit(update=update, by=editor)
    workflow.update_publish(update=ProgressUpdate.objects.get(pk=update.pk), by=manager)
    factories.ProgressUpdateFactory(
        project=project,
        programme=programme,
        title_en="Draft notes",
        state="draft",
        published_at=None,
    )
    return {"programme": programme, "project": project, "target": target, "milestone": moved}


URL = "/{lang}/programmes/hub/changes/"


def rows(response) -> list[tuple[str, str]]:
    """Each row of the log as (kind code, text)."""
    html = response.content.decode().split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [
        (kind, re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).strip())
        for kind, body in re.findall(r'<tr data-kind="([a-z]+)">(.*?)</tr>', html, flags=re.S)
    ]


@pytest.mark.django_db
def test_the_log_has_every_kind_of_change_with_date_role_and_link(client, log):
    response = client.get(URL.format(lang="en"))
    assert response.status_code == 200
    found = rows(response)
    kinds = {kind for kind, _ in found}
    assert kinds == {"created", "withdrawn", "completed", "measurement", "update", "revised"}
    text = dict.fromkeys(kinds, "")
    for kind, row in found:
        text[kind] += row + " | "
    assert "Roll-out" in text["created"] and "Added from the 2026 plan." in text["created"]
    assert "programme manager" in text["created"]
    assert "Supplier delivered the equipment late." in text["revised"]
    assert "June 30, 2026" in text["revised"] and "Sept. 30, 2026" in text["revised"]
    assert " editor" in text["revised"]  # the editor's change, published by a manager
    assert "Pilot" in text["completed"] and "Completed" in text["completed"]
    assert "Sites connected" in text["withdrawn"] and "Merged into another." in text["withdrawn"]
    assert "4 sites" in text["measurement"] and "Gate count for August." in text["measurement"]
    assert "Pilot opened" in text["update"]
    # Records loaded by a command (the project, the target) say so.
    assert "My project" in text["created"] and "operator (command)" in text["created"]
    page = page_text(response)
    for hidden in ("Pending figure.", "7 sites", "Draft notes", "edna", "manny", "example.org"):
        assert hidden not in page, hidden
    html = response.content.decode()
    assert f'href="{log["milestone"].get_absolute_url()}"' in html
    assert f'href="{log["target"].get_absolute_url()}"' in html
    assert f'href="{log["project"].get_absolute_url()}"' in html


@pytest.mark.django_db
def test_the_log_is_filtered_by_kind_and_refuses_junk_with_a_message(client, log):
    completed = client.get(URL.format(lang="en") + "?kind=completed")
    assert completed.status_code == 200
    assert [kind for kind, _ in rows(completed)] == ["completed"]
    assert '<option value="completed" selected>' in completed.content.decode()
    assert "Pilot" in table_text(completed)
    junk = client.get(URL.format(lang="en") + "?kind=%3Cscript%3E")
    assert junk.status_code == 400
    text = page_text(junk)
    assert "is not a kind of change; choose one from the list." in text
    assert "<script>" not in junk.content.decode().split("</header>", 1)[-1]
    assert client.get(URL.format(lang="en") + "?kind=revised&page=zz").status_code == 200


@pytest.mark.django_db
def test_pages_of_a_filtered_log_keep_the_filter(client, log):
    target = log["target"]
    for day in range(55):
        factories.MeasurementFactory(target=target, as_of=dt.date(2020, 1, 1) + dt.timedelta(day))
    first = client.get(URL.format(lang="en") + "?kind=measurement")
    html = first.content.decode()
    assert 'href="?kind=measurement&amp;page=2"' in html
    second = client.get(URL.format(lang="en") + "?kind=measurement&page=2")
    assert {kind for kind, _ in rows(second)} == {"measurement"}
    assert len(rows(first)) + len(rows(second)) == 56


@pytest.mark.django_db
def test_the_feed_lists_the_same_entries_in_the_same_order(client, log):
    page = client.get(URL.format(lang="en"))
    links = re.findall(
        r'<tr data-kind="[a-z]+">.*?<a href="([^"]+)"', page.content.decode(), flags=re.S
    )
    feed = feedparser.parse(client.get("/en/programmes/hub/changes.atom").content)
    assert not feed.bozo
    assert [entry.link.removeprefix("http://testserver") for entry in feed.entries] == links
    # Each entry carries its kind as a category, the code ?kind= takes.
    assert [entry.tags[0].term for entry in feed.entries] == [kind for kind, _ in rows(page)]
    assert all(
        "edna" not in entry.summary and "manny" not in entry.summary for entry in feed.entries
    )
    completed = client.get(URL.format(lang="en") + "?kind=completed").content.decode()
    assert 'href="/en/programmes/hub/changes.atom?kind=completed"' in completed
    only = feedparser.parse(client.get("/en/programmes/hub/changes.atom?kind=completed").content)
    assert [entry.link for entry in only.entries] == [
        "http://testserver" + log["milestone"].get_absolute_url()
    ]
    assert only.entries[0].title == "Pilot: Status"
    chinese = feedparser.parse(client.get("/zh-hans/programmes/hub/changes.atom").content)
    assert all("：" in entry.title and ": " not in entry.title for entry in chinese.entries)
    project = feedparser.parse(client.get("/en/programmes/hub/projects/mine/changes.atom").content)
    assert len(project.entries) == len(feed.entries)  # everything here is in the one project


@pytest.mark.django_db
def test_the_download_carries_the_kind_and_role_codes(client, log):
    response = client.get(URL.format(lang="en") + "?_export=csv")
    table = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header = table[0]
    kinds = {row[header.index("kind")] for row in table[1:]}
    assert kinds == {"created", "withdrawn", "completed", "measurement", "update", "revised"}
    assert {row[header.index("role")] for row in table[1:]} == {"manager", "editor", "operator"}
    only = client.get(URL.format(lang="en") + "?kind=withdrawn&_export=json").json()
    assert [row["kind"] for row in only] == ["withdrawn"]
    assert only[0]["reason"] == "Merged into another."


@pytest.mark.django_db
def test_the_log_reads_a_constant_number_of_queries(client, log, demo):
    urls = [
        "/en/programmes/demo-hub/changes/",
        "/en/programmes/demo-hub/changes/?kind=revised",
        "/en/programmes/demo-hub/changes.atom",
        "/en/programmes/demo-hub/changes/?_export=json",
    ]
    count_queries(client, urls)
    small = count_queries(client, urls)
    programme = Programme.objects.get(slug="demo-hub")
    factories.extra_data(programme, 5)
    manager = manager_of(programme, username="boss")
    for milestone in Milestone.objects.filter(programme=programme)[:5]:
        milestone.status, milestone.completed_on = "completed", dt.date(2026, 11, 1)
        publishing.save_change(instance=milestone, by=manager, reason="Done.")
    large = count_queries(client, urls)
    assert large == small
    assert max(large.values()) <= 15, large


@pytest.mark.django_db
def test_demo_records_appear_in_the_log(client, demo):
    text = page_text(client.get("/en/programmes/demo-hub/changes/"))
    assert "Demo: supplier delivered the equipment late." in text
    assert "Measurement published" in text and "New" in text


@pytest.mark.django_db
def test_the_log_is_valid_html_in_both_languages(client, log, tmp_path):
    pages = {}
    for lang in ("en", "zh-hans"):
        for query in ("", "?kind=completed"):
            pages[URL.format(lang=lang) + query] = client.get(URL.format(lang=lang) + query)
    pages["/en/programmes/hub/projects/mine/"] = client.get("/en/programmes/hub/projects/mine/")
    assert not vnu_errors(pages, tmp_path)


@pytest.mark.django_db
def test_anonymous_reader_sees_no_names_anywhere_in_the_log(log):
    anonymous = Client()
    for url in (
        URL.format(lang="zh-hans"),
        "/en/programmes/hub/changes.atom",
        "/api/v1/programmes/hub/changes",
    ):
        body = anonymous.get(url).content.decode()
        assert "edna" not in body and "manny" not in body, url
