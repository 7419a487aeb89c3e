"""One publishing path: an editor's change is public only once a manager publishes it,
and then exactly as published, with its source and reason."""

import datetime as dt
import io
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.formats import date_format

from tests import factories
from tests.helpers import admin_form_data, editor_of, list_rows, manager_of, page_text
from tracker.models import ChangeRequest, Measurement, Milestone, ProgressUpdate, Source


@pytest.fixture
def hub(db):
    programme = factories.ProgrammeFactory(slug="hub")
    mine = factories.ProjectFactory(programme=programme, slug="mine", name_en="My project")
    editor = editor_of(mine)
    manager = manager_of(programme)
    source = factories.SourceFactory(title_en="Gate count report")
    return {
        "programme": programme,
        "project": mine,
        "editor": editor,
        "manager": manager,
        "source": source,
        "target": factories.TargetFactory(
            project=mine,
            programme=programme,
            kind="count",
            unit_en="sites",
            target_value=10,
            due_on=dt.date(2027, 12, 31),
        ),
        "milestone": factories.MilestoneFactory(
            project=mine, programme=programme, planned_on=dt.date(2026, 6, 30)
        ),
    }


def as_user(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def edit_milestone(hub, who: str = "editor", **changes):
    """Post the milestone's admin form as `who` with `changes`; the client, address,
    posted data and response."""
    client = as_user(hub[who])
    url = reverse("admin:tracker_milestone_change", args=[hub["milestone"].pk])
    data = {**admin_form_data(client.get(url)), **changes}
    return client, url, data, client.post(url, data)


def public_record(hub) -> str:
    """Everything the public can read about the programme: pages, API, feeds, calendar,
    badges and downloads, as one text."""
    slug, project, target = hub["programme"].slug, hub["project"], hub["target"]
    milestone = hub["milestone"]
    urls = [
        f"/en/programmes/{slug}/",
        project.get_absolute_url(),
        target.get_absolute_url(),
        milestone.get_absolute_url(),
        f"/en/programmes/{slug}/milestones/",
        f"/en/programmes/{slug}/changes/",
        f"/en/programmes/{slug}/changes.atom",
        f"/en/programmes/{slug}/milestones.ics",
        f"/api/v1/programmes/{slug}/targets",
        f"/api/v1/programmes/{slug}/milestones",
        f"/api/v1/programmes/{slug}/changes",
        f"/api/v1/programmes/{slug}/projects/{project.slug}",
        "/api/v1/sources",
        f"/badges/{slug}/targets/{target.pk}.svg",
        f"/badges/{slug}/projects/{project.slug}.svg",
        f"{target.get_absolute_url()}?_export=csv",
        f"/en/programmes/{slug}/milestones/?_export=csv",
    ]
    anonymous = Client()
    texts = []
    for url in urls:
        response = anonymous.get(url)
        assert response.status_code == 200, url
        texts.append(page_text(response))
    return " ".join(texts)


def publish(hub, change: ChangeRequest) -> None:
    url = reverse("admin:tracker_changerequest_change", args=[change.pk])
    response = as_user(hub["manager"]).post(url, {"_publish": "Publish"})
    assert response.status_code == 302
    change.refresh_from_db()
    assert change.state == "published", change


def test_editors_measurement_is_public_only_once_published_with_its_source(hub):
    editor = as_user(hub["editor"])
    url = reverse("admin:tracker_measurement_add")
    data = admin_form_data(editor.get(url))
    data.update({"target": hub["target"].pk, "value": "10", "as_of": "2026-03-31"})
    refused = editor.post(url, data)
    assert refused.status_code == 200
    assert "A published figure needs its source" in page_text(refused)

    data["source"] = hub["source"].pk
    sent = editor.post(url, data, follow=True)
    assert "was sent for review" in page_text(sent)
    assert not Measurement.objects.exists()
    before = public_record(hub)
    assert "2026-03-31" not in before and "Gate count report" not in before
    assert "Achieved" not in before

    change = ChangeRequest.objects.get()
    assert (change.state, change.author, change.is_addition) == ("pending", hub["editor"], True)
    review = page_text(
        as_user(hub["manager"]).get(reverse("admin:tracker_changerequest_change", args=[change.pk]))
    )
    assert "Gate count report" in review and "March 31, 2026" in review
    publish(hub, change)

    after = public_record(hub)
    assert "2026-03-31" in after and "Gate count report" in after and "Achieved" in after
    target_page = Client().get(hub["target"].get_absolute_url()).content.decode()
    assert hub["source"].url in target_page, "the figure links its source"


def test_editors_completion_from_the_list_waits_for_review(hub):
    milestone = hub["milestone"]
    editor = as_user(hub["editor"])
    listing = reverse("admin:tracker_milestone_changelist")
    version = milestone.updated_at.isoformat()
    row = {
        "id": milestone.pk,
        "status": "completed",
        "forecast_on": "",
        "completed_on": "2026-02-14",
        "loaded_version": version,
    }
    assert editor.post(listing, list_rows(row)).status_code == 302
    milestone.refresh_from_db()
    assert milestone.status == "planned"
    before = public_record(hub)
    assert "2026-02-14" not in before

    publish(hub, ChangeRequest.objects.get(state="pending"))
    milestone.refresh_from_db()
    assert (milestone.status, milestone.completed_on) == ("completed", dt.date(2026, 2, 14))
    assert "2026-02-14" in public_record(hub)


def test_editors_moved_date_shows_with_its_reason_once_published(hub):
    milestone = hub["milestone"]
    editor = as_user(hub["editor"])
    url = reverse("admin:tracker_milestone_change", args=[milestone.pk])
    data = admin_form_data(editor.get(url))
    data.update({"planned_on": "2026-12-31", "change_reason": "The site was handed over late."})
    assert editor.post(url, data).status_code == 302
    pending = page_text(editor.get(url))
    assert "Waiting for review" in pending
    before = public_record(hub)
    assert "2026-12-31" not in before and "handed over late" not in before
    assert "2026-06-30" in before

    change = ChangeRequest.objects.get(state="pending")
    review = page_text(
        as_user(hub["manager"]).get(reverse("admin:tracker_changerequest_change", args=[change.pk]))
    )
    old, new = (
        date_format(d, "DATE_FORMAT") for d in (dt.date(2026, 6, 30), dt.date(2026, 12, 31))
    )
    assert re.search(rf"Planned for {re.escape(old)} {re.escape(new)}", review), review
    assert "The site was handed over late." in review
    publish(hub, change)
    after = public_record(hub)
    assert "2026-12-31" in after and "The site was handed over late." in after


def test_a_second_save_by_the_editor_replaces_their_pending_change(hub):
    editor, url, data, response = edit_milestone(
        hub, "editor", planned_on="2026-12-31", change_reason="Late."
    )
    data.update({"planned_on": "2027-01-31", "change_reason": "Later still."})
    editor.post(url, data)
    change = ChangeRequest.objects.get(state="pending")
    assert (change.values["planned_on"], change.reason) == ("2027-01-31", "Later still.")


def test_returned_change_leaves_the_record_and_tells_the_author_why(hub):
    editor, url, data, response = edit_milestone(
        hub, "editor", planned_on="2026-12-31", change_reason="Late."
    )
    change = ChangeRequest.objects.get()
    review = reverse("admin:tracker_changerequest_change", args=[change.pk])
    manager = as_user(hub["manager"])
    refused = manager.post(review, {"_return": "1", "review_comment": ""}, follow=True)
    assert "needs a comment" in page_text(refused)
    manager.post(review, {"_return": "1", "review_comment": "Which source says so?"})
    change.refresh_from_db()
    assert (change.state, change.review_comment) == ("returned", "Which source says so?")
    hub["milestone"].refresh_from_db()
    assert hub["milestone"].planned_on == dt.date(2026, 6, 30)
    assert "Which source says so?" in page_text(editor.get(review))


def test_editor_cannot_publish_their_own_change(hub):
    editor, url, data, response = edit_milestone(
        hub, "editor", planned_on="2026-12-31", change_reason="Late."
    )
    change = ChangeRequest.objects.get()
    review = reverse("admin:tracker_changerequest_change", args=[change.pk])
    assert "Publish" not in page_text(editor.get(review))
    editor.post(review, {"_publish": "Publish"})
    change.refresh_from_db()
    assert change.state == "pending"
    hub["milestone"].refresh_from_db()
    assert hub["milestone"].planned_on == dt.date(2026, 6, 30)


def test_managers_own_change_is_published_at_once_and_kept_in_the_record(hub):
    manager, url, data, response = edit_milestone(
        hub, "manager", planned_on="2026-09-30", change_reason="Agreed with the contractor."
    )
    assert response.status_code == 302
    hub["milestone"].refresh_from_db()
    assert hub["milestone"].planned_on == dt.date(2026, 9, 30)
    change = ChangeRequest.objects.get()
    assert (change.state, change.reviewer, change.reason) == (
        "published",
        hub["manager"],
        "Agreed with the contractor.",
    )
    assert "Agreed with the contractor." in public_record(hub)


def test_four_eyes_programme_needs_a_second_manager(hub):
    programme = hub["programme"]
    programme.requires_second_approval = True
    programme.save()
    second = manager_of(programme, "second")
    manager, url, data, response = edit_milestone(
        hub, "manager", planned_on="2026-09-30", change_reason="Agreed."
    )
    change = ChangeRequest.objects.get()
    assert change.state == "pending"
    review = reverse("admin:tracker_changerequest_change", args=[change.pk])
    refused = manager.post(review, {"_publish": "1"}, follow=True)
    assert "someone else must publish it" in page_text(refused)
    as_user(second).post(review, {"_publish": "1"})
    hub["milestone"].refresh_from_db()
    assert hub["milestone"].planned_on == dt.date(2026, 9, 30)


def test_change_to_a_record_that_moved_since_is_not_published_over_it(hub):
    editor, url, data, response = edit_milestone(
        hub, "editor", planned_on="2026-12-31", change_reason="Late."
    )
    stale = ChangeRequest.objects.get()
    manager = as_user(hub["manager"])
    data = admin_form_data(manager.get(url))
    data.update({"planned_on": "2026-08-31", "change_reason": "Contract signed."})
    manager.post(url, data)
    review = reverse("admin:tracker_changerequest_change", args=[stale.pk])
    refused = page_text(manager.post(review, {"_publish": "1"}, follow=True))
    assert "changed after this was sent" in refused
    hub["milestone"].refresh_from_db()
    assert hub["milestone"].planned_on == dt.date(2026, 8, 31)


def test_review_queue_holds_only_the_managers_programmes(hub):
    other = factories.ProgrammeFactory(slug="elsewhere")
    other_project = factories.ProjectFactory(programme=other)
    outsider = editor_of(other_project, "outsider")
    milestone = factories.MilestoneFactory(project=other_project, programme=other)
    client = as_user(outsider)
    url = reverse("admin:tracker_milestone_change", args=[milestone.pk])
    data = admin_form_data(client.get(url))
    data.update({"title_en": "Renamed elsewhere"})
    client.post(url, data)
    queue = page_text(
        as_user(hub["manager"]).get(reverse("admin:tracker_changerequest_changelist"), follow=True)
    )
    assert "Renamed elsewhere" not in queue
    change = ChangeRequest.objects.get()
    review = reverse("admin:tracker_changerequest_change", args=[change.pk])
    as_user(hub["manager"]).post(review, {"_publish": "1"})
    change.refresh_from_db()
    assert change.state == "pending"


def test_public_views_read_only_the_published_record(hub):
    """No public view reads the pending changes, and updates only through published()."""
    factories.ProgressUpdateFactory(
        project=hub["project"], programme=hub["programme"], state="draft", published_at=None
    )
    editor, url, data, response = edit_milestone(
        hub, "editor", planned_on="2026-12-31", change_reason="Late."
    )
    with CaptureQueriesContext(connection) as captured:
        public_record(hub)
    pending_table = ChangeRequest._meta.db_table
    updates_table = ProgressUpdate._meta.db_table
    for query in captured.captured_queries:
        sql = query["sql"]
        assert pending_table not in sql, sql
        if re.search(rf'^SELECT .*"{updates_table}"\."title', sql):
            # Reading updates' contents: only through ProgressUpdate.objects.published().
            assert "\"state\" = 'published'" in sql, sql
    assert any(updates_table in query["sql"] for query in captured.captured_queries)
    assert Milestone.objects.published().get().planned_on == dt.date(2026, 6, 30)


# Imports follow the same rules


def upload(client, model: str, text: str, reason: str = ""):
    url = reverse(f"admin:tracker_{model}_import")
    formats = {
        label.lower(): value
        for value, label in client.get(url).context["form"].fields["format"].choices
        if value != ""
    }
    file = io.BytesIO(text.encode())
    file.name = "rows.csv"
    data = {"import_file": file, "format": formats["csv"], "resource": "0", "reason": reason}
    return client.post(url, data)


def confirm(client, model: str, preview):
    form = preview.context["confirm_form"]
    data = {name: form[name].value() for name in form.fields}
    return client.post(reverse(f"admin:tracker_{model}_process_import"), data)


MILESTONE_HEADER = "id,project,title_en,planned_on,status,weight\n"


def test_import_cannot_touch_records_outside_the_importers_projects(hub):
    other = factories.ProgrammeFactory(slug="beijing")
    foreign = factories.MilestoneFactory(programme=other, project=None, title_en="Real one")
    neighbour = factories.ProjectFactory(programme=hub["programme"], slug="theirs")
    theirs = factories.MilestoneFactory(programme=hub["programme"], project=neighbour)
    editor = as_user(hub["editor"])
    for record in (foreign, theirs):
        row = f"{record.pk},hub/mine,Taken over,2026-01-01,planned,1\n"
        preview = upload(editor, "milestone", MILESTONE_HEADER + row, reason="Mine now.")
        assert preview.context.get("confirm_form") is None
        assert f"No milestone with id {record.pk} among yours" in page_text(preview)
    foreign.refresh_from_db()
    theirs.refresh_from_db()
    assert (foreign.title_en, foreign.project, foreign.programme) == ("Real one", None, other)
    assert theirs.project == neighbour
    assert not ChangeRequest.objects.exists()


def test_import_never_moves_a_record_to_another_project(hub):
    second = factories.ProjectFactory(programme=hub["programme"], slug="second")
    milestone = hub["milestone"]
    row = f"{milestone.pk},hub/second,{milestone.title_en},2026-06-30,planned,1\n"
    preview = upload(as_user(hub["manager"]), "milestone", MILESTONE_HEADER + row)
    assert "An import cannot move a record to another project" in page_text(preview)
    milestone.refresh_from_db()
    assert milestone.project == hub["project"] != second


def test_import_never_chooses_an_id(hub):
    manager = as_user(hub["manager"])
    huge = 9223372036854775807
    preview = upload(
        manager, "milestone", MILESTONE_HEADER + f"{huge},hub/mine,Big,2026-01-01,planned,1\n"
    )
    assert f"No milestone with id {huge} among yours" in page_text(preview)
    preview = upload(
        manager, "milestone", MILESTONE_HEADER + ",hub/mine,Fresh,2026-01-01,planned,1\n"
    )
    confirm(manager, "milestone", preview)
    fresh = Milestone.objects.get(title_en="Fresh")
    assert hub["milestone"].pk < fresh.pk < hub["milestone"].pk + 10, "the database chose it"
    added = factories.MilestoneFactory(project=hub["project"], programme=hub["programme"])
    assert fresh.pk < added.pk < fresh.pk + 10, "and later adds still work"


def test_imported_date_change_needs_a_reason_previews_readably_and_waits_for_review(hub):
    milestone = hub["milestone"]
    editor = as_user(hub["editor"])
    row = f"{milestone.pk},hub/mine,{milestone.title_en},2026-12-31,planned,1\n"
    refused = upload(editor, "milestone", MILESTONE_HEADER + row)
    assert "give the reason" in page_text(refused)
    preview = upload(editor, "milestone", MILESTONE_HEADER + row, reason="Contractor replaced.")
    html = preview.content.decode()
    assert "<del>2026-06-30</del> → <ins>2026-12-31</ins>" in html
    assert "Contractor replaced." in page_text(preview)
    assert not ChangeRequest.objects.exists(), "a preview saves nothing"
    confirm(editor, "milestone", preview)
    milestone.refresh_from_db()
    assert milestone.planned_on == dt.date(2026, 6, 30)
    change = ChangeRequest.objects.get()
    assert (change.source, change.reason, change.state) == (
        "import",
        "Contractor replaced.",
        "pending",
    )
    publish(hub, change)
    assert "Contractor replaced." in public_record(hub)


def test_measurements_import_by_target_title_with_plain_numbers(hub):
    manager = as_user(hub["manager"])
    header = "id,target,value,as_of,source\n"
    title = hub["target"].title_en
    bad = upload(
        manager, "measurement", header + f',{title},"1,250",2026-03-31,{hub["source"].pk}\n'
    )
    text = page_text(bad)
    assert "Enter a plain number without units or thousands separators" in text
    assert "decimal" not in text.lower()
    missing = upload(manager, "measurement", header + f",{title},4,2026-03-31,\n")
    assert "A published figure needs its source" in page_text(missing) or "source" in page_text(
        missing
    )
    good = upload(manager, "measurement", header + f",{title},4,2026-03-31,{hub['source'].pk}\n")
    confirm(manager, "measurement", good)
    measurement = Measurement.objects.get()
    assert (measurement.target, measurement.value) == (hub["target"], 4)


def test_import_template_lists_the_columns(hub):
    response = as_user(hub["editor"]).get(reverse("admin:tracker_milestone_import_template"))
    assert response["Content-Type"].startswith("text/csv")
    header = response.content.decode().strip()
    assert (
        header == "id,project,title_en,title_zh_hans,planned_on,forecast_on,completed_on,status,"
        "weight,reason"
    )
    form = page_text(as_user(hub["editor"]).get(reverse("admin:tracker_milestone_import")))
    assert "YYYY-MM-DD" in form and "Download an empty template" in form


# Shared records


def test_a_cited_source_is_changed_only_by_managers_of_every_programme_citing_it(hub):
    beijing = factories.ProgrammeFactory(slug="beijing")
    real = factories.SourceFactory(url="https://www.scmp.com/tech/article/3105676")
    beijing.sources.add(real)
    url = reverse("admin:tracker_source_change", args=[real.pk])
    for person in (hub["editor"], hub["manager"]):
        client = as_user(person)
        data = admin_form_data(client.get(url)) if client.get(url).status_code == 200 else {}
        data.update({"url": "https://phishing.example/", "title_en": "x", "kind": "press"})
        assert client.post(url, data).status_code == 403
    real.refresh_from_db()
    assert real.url == "https://www.scmp.com/tech/article/3105676"
    beijing.managers.add(hub["manager"])
    client = as_user(hub["manager"])
    data = admin_form_data(client.get(url))
    data.update({"archived_url": "https://archive.example/3105676", "change_reason": "Archived."})
    assert client.post(url, data).status_code == 302
    real.refresh_from_db()
    assert real.archived_url == "https://archive.example/3105676"


def test_an_uncited_source_is_open_to_its_author_only_and_not_public(hub):
    fresh = factories.SourceFactory.build(title_en="Draft evidence")
    fresh._history_user = hub["editor"]
    fresh.save()
    assert "Draft evidence" not in public_record(hub)
    url = reverse("admin:tracker_source_change", args=[fresh.pk])
    client = as_user(hub["editor"])
    data = admin_form_data(client.get(url))
    data["publisher_en"] = "Site visit team"
    assert client.post(url, data).status_code == 302
    # An editor of another programme may not rewrite it before anyone cites it.
    stranger = as_user(editor_of(factories.ProjectFactory(programme=factories.ProgrammeFactory())))
    assert stranger.post(url, data | {"publisher_en": "Someone else"}).status_code != 302
    fresh.refresh_from_db()
    assert fresh.publisher_en == "Site visit team"


@pytest.mark.parametrize("model", ["sector", "organisation"])
def test_managers_add_but_do_not_rename_shared_records(hub, model):
    record = factories.SectorFactory() if model == "sector" else factories.OrganisationFactory()
    client = as_user(hub["manager"])
    url = reverse(f"admin:tracker_{model}_change", args=[record.pk])
    assert client.post(url, {"name_en": "Renamed"}).status_code == 403
    record.refresh_from_db()
    assert record.name_en != "Renamed"
    assert client.get(reverse(f"admin:tracker_{model}_add")).status_code == 200


def test_manager_home_and_daily_digest_list_changes_waiting_for_review(
    hub, django_capture_on_commit_callbacks
):
    from django.core import mail
    from django.core.management import call_command

    editor = as_user(hub["editor"])
    url = reverse("admin:tracker_milestone_change", args=[hub["milestone"].pk])
    data = admin_form_data(editor.get(url))
    data.update({"title_en": "Permit granted"})
    editor.post(url, data)
    home = page_text(as_user(hub["manager"]).get(reverse("admin:index")))
    assert "Changes waiting for your review (1)" in home
    assert hub["milestone"].title_en in home
    hub["manager"].email = "manager@example.org"
    hub["manager"].save()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_reminders", stdout=io.StringIO())
    digest = next(m for m in mail.outbox if m.to == ["manager@example.org"])
    assert "Changes waiting for your review" in digest.body
    assert hub["milestone"].title_en in digest.body


def test_review_queue_also_lists_updates_submitted_for_review(hub):
    factories.ProgressUpdateFactory(
        programme=hub["programme"],
        project=hub["project"],
        title_en="Quarterly report",
        state="submitted",
        published_at=None,
    )
    queue = as_user(hub["manager"]).get(reverse("admin:tracker_changerequest_changelist"))
    assert "Progress updates waiting for review" in page_text(queue)
    assert "Quarterly report" in page_text(queue)


def test_import_cannot_rewrite_another_targets_measurement(hub):
    other_target = factories.TargetFactory(programme=factories.ProgrammeFactory(slug="far"))
    theirs = factories.MeasurementFactory(target=other_target, value=7)
    row = f"{theirs.pk},{hub['target'].pk},9,2026-03-31,{hub['source'].pk}\n"
    preview = upload(as_user(hub["editor"]), "measurement", "id,target,value,as_of,source\n" + row)
    assert f"No measurement with id {theirs.pk} among yours" in page_text(preview)
    theirs.refresh_from_db()
    assert (theirs.target, theirs.value) == (other_target, 7)


def test_reviewers_and_author_are_emailed_at_each_step(hub, django_capture_on_commit_callbacks):
    from django.core import mail

    hub["manager"].email, hub["editor"].email = "manager@example.org", "editor@example.org"
    hub["manager"].save()
    hub["editor"].save()
    editor = as_user(hub["editor"])
    url = reverse("admin:tracker_milestone_change", args=[hub["milestone"].pk])
    data = admin_form_data(editor.get(url))
    data.update({"planned_on": "2026-12-31", "change_reason": "Late delivery."})
    with django_capture_on_commit_callbacks(execute=True):
        editor.post(url, data)
    (sent,) = mail.outbox
    assert sent.to == ["manager@example.org"]
    assert "Late delivery." in sent.body and sent.alternatives, "text and HTML"
    change = ChangeRequest.objects.get()
    review = reverse("admin:tracker_changerequest_change", args=[change.pk])
    with django_capture_on_commit_callbacks(execute=True):
        as_user(hub["manager"]).post(review, {"_return": "1", "review_comment": "Which letter?"})
    assert mail.outbox[-1].to == ["editor@example.org"]
    assert "Which letter?" in mail.outbox[-1].body
    data["change_reason"] = "Late delivery, says the contractor's letter of 3 March."
    with django_capture_on_commit_callbacks(execute=True):
        editor.post(url, data)
    change = ChangeRequest.objects.get(state="pending")
    review = reverse("admin:tracker_changerequest_change", args=[change.pk])
    with django_capture_on_commit_callbacks(execute=True):
        as_user(hub["manager"]).post(review, {"_publish": "1"})
    assert mail.outbox[-1].to == ["editor@example.org"]
    assert len(mail.outbox) == 4


# Found by the attack review


def test_history_revert_form_writes_nothing(hub):
    beijing = factories.ProgrammeFactory(slug="beijing")
    cited = factories.SourceFactory(title_en="Real source")
    beijing.sources.add(cited)
    editor = as_user(hub["editor"])
    record = cited.history.first()
    url = reverse("admin:tracker_source_simple_history", args=[cited.pk, record.history_id])
    data = {"title_en": "Phishing", "kind": "press", "publisher_en": "x", "language": "en"}
    assert editor.post(url, data).status_code == 403
    cited.refresh_from_db()
    assert cited.title_en == "Real source"


def test_editor_proposes_a_new_target_for_their_project(hub):
    editor = as_user(hub["editor"])
    url = reverse("admin:tracker_target_add")
    data = admin_form_data(editor.get(url))
    data.update(
        {
            "project": hub["project"].pk,
            "title_en": "Jobs created",
            "kind": "count",
            "comparator": "at_least",
            "target_value": "100",
            "due_on": "2027-12-31",
            "rollup": "none",
        }
    )
    assert editor.post(url, data).status_code == 302
    change = ChangeRequest.objects.get()
    assert (change.state, change.is_addition) == ("pending", True)
    data["rollup"] = "sum"
    refused = editor.post(url, data)
    assert refused.status_code == 200
    assert "can roll up projects" in page_text(refused)


def test_source_cited_as_a_reported_equivalent_is_the_citing_managers(hub):
    beijing = factories.ProgrammeFactory(slug="beijing")
    cited = factories.SourceFactory(title_en="Dollar report")
    factories.TargetFactory(
        programme=beijing,
        project=None,
        reported_equivalent_value=7,
        reported_equivalent_currency="USD",
        reported_equivalent_source=cited,
    )
    editor = as_user(hub["editor"])
    url = reverse("admin:tracker_source_change", args=[cited.pk])
    assert editor.post(url, {"title_en": "Changed", "kind": "press"}).status_code == 403
    assert cited in Source.objects.published()


def test_four_eyes_applies_to_progress_updates(hub):
    programme = hub["programme"]
    programme.requires_second_approval = True
    programme.save()
    update = factories.ProgressUpdateFactory(
        programme=programme,
        project=hub["project"],
        author=hub["manager"],
        state="submitted",
        published_at=None,
    )
    from tracker.editorial import workflow as services

    with pytest.raises(services.WorkflowError, match="second manager"):
        services.update_publish(update=update, by=hub["manager"])


def test_forged_format_in_the_import_confirmation_is_answered_with_a_message(hub):
    manager = as_user(hub["manager"])
    preview = upload(
        manager, "milestone", MILESTONE_HEADER + ",hub/mine,New,2026-01-01,planned,1\n"
    )
    form = preview.context["confirm_form"]
    data = {name: form[name].value() for name in form.fields}
    for forged in ("x", "99"):
        response = manager.post(
            reverse("admin:tracker_milestone_process_import"), {**data, "format": forged}
        )
        assert response.status_code in (200, 302, 400)
    assert not Milestone.objects.filter(title_en="New").exists()
