"""Managers triage readers' evidence in the admin: accepted evidence becomes a source
(and a figure a measurement, through review), rejected or duplicate evidence is told
to the reader, and the public sees only what was accepted and published."""

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from tests import factories
from tests.helpers import admin_form_data, ensure_roles, manager_of, page_text
from tracker.models import ChangeRequest, EvidenceSubmission, Measurement, Target

pytestmark = pytest.mark.django_db


@pytest.fixture
def market_value(yizhuang):
    ensure_roles()
    return Target.objects.get(programme=yizhuang, kind="money", project__isnull=True)


def as_user(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def send(target, lang: str = "en", **fields) -> EvidenceSubmission:
    url = f"/{lang}/programmes/{target.programme.slug}/targets/{target.pk}/evidence/"
    data = {
        "url": "https://example.org/report",
        "quote": "The base's output reached 12 billion yuan in 2025.",
        "value": "12000000000",
        "as_of": "2025-12-31",
        "contact_email": "reader@example.org",
        **fields,
    }
    assert Client().post(url, data).status_code == 200
    return EvidenceSubmission.objects.latest("created_at")


def decide(client: Client, submission: EvidenceSubmission, **decision):
    url = reverse("admin:tracker_evidencesubmission_change", args=[submission.pk])
    data = admin_form_data(client.get(url))
    data.update(decision)
    return client.post(url, data, follow=True)


def test_accepted_figure_goes_through_review_then_shows_with_credit(
    market_value, django_capture_on_commit_callbacks
):
    programme = market_value.programme
    programme.requires_second_approval = True
    programme.save()
    first, second = manager_of(programme, "first"), manager_of(programme, "second")
    submission = send(market_value)
    public = market_value.get_absolute_url()
    with django_capture_on_commit_callbacks(execute=True):
        decide(
            as_user(first),
            submission,
            decision="accept",
            source_title="Yizhuang AI base annual report 2025",
            publisher="Beijing E-Town",
        )
    submission.refresh_from_db()
    assert submission.state == "accepted"
    change = ChangeRequest.objects.get(source="evidence")
    assert change.state == "pending" and not Measurement.objects.filter(target=market_value)
    assert "Evidence sent by a reader" not in page_text(Client().get(public))
    # The reader hears the outcome.
    told = [m for m in mail.outbox if m.to == ["reader@example.org"]]
    assert told and "Accepted" in told[0].subject
    review = reverse("admin:tracker_changerequest_change", args=[change.pk])
    as_user(second).post(review, {"_publish": "1"})
    assert Measurement.objects.get(target=market_value).source == submission.source
    text = page_text(Client().get(public))
    assert "Yizhuang AI base annual report 2025" in text
    assert "Evidence sent by a reader" in text


def test_a_manager_without_second_approval_publishes_at_once(market_value):
    manager = manager_of(market_value.programme)
    submission = send(market_value, value="", as_of="")
    decide(
        as_user(manager), submission, decision="accept", source_title="Report", publisher="Press"
    )
    assert market_value.sources.filter(sent_by_reader=True, title="Report").exists()
    assert "Evidence sent by a reader" in page_text(Client().get(market_value.get_absolute_url()))


def test_rejected_evidence_needs_a_reason_and_the_reader_is_told_in_their_language(
    market_value, django_capture_on_commit_callbacks
):
    client = as_user(manager_of(market_value.programme))
    submission = send(market_value, lang="zh-hans")
    refused = decide(client, submission, decision="reject", reason="")
    assert "Give the reader a reason." in page_text(refused)
    with django_capture_on_commit_callbacks(execute=True):
        decide(client, submission, decision="reject", reason="The report is about another park.")
    submission.refresh_from_db()
    assert submission.state == "rejected"
    (message,) = mail.outbox
    assert message.to == ["reader@example.org"]
    assert "The report is about another park." in message.body
    # In the reader's language (the catalogue's sentences arrive at merge): the record's
    # Chinese name.
    assert "人工智能应用示范基地市场价值" in message.body
    assert "another park" not in page_text(Client().get(market_value.get_absolute_url()))


def test_duplicate_evidence_points_to_the_first(market_value):
    client = as_user(manager_of(market_value.programme))
    first, again = send(market_value), send(market_value, contact_email="")
    decide(client, again, decision="duplicate", duplicate_of=str(first.pk))
    again.refresh_from_db()
    assert again.state == "duplicate" and again.duplicate_of == first
    assert not mail.outbox


def test_managers_see_only_their_programmes_evidence(market_value):
    submission = send(market_value)
    other = manager_of(factories.ProgrammeFactory(), "other")
    client = as_user(other)
    listing = client.get(reverse("admin:tracker_evidencesubmission_changelist"))
    assert listing.status_code == 200 and "Market value" not in page_text(listing)
    url = reverse("admin:tracker_evidencesubmission_change", args=[submission.pk])
    assert client.get(url).status_code in (302, 404)


def test_evidence_on_a_milestone_or_project_becomes_its_credited_source(demo):
    from tracker.models import Milestone, Project

    ensure_roles()
    milestone = Milestone.objects.filter(evidence__isnull=True).order_by("pk").first()
    project = Project.objects.get(slug="credit-risk-ai")
    for record, kind, key in (
        (milestone, "milestones", milestone.pk),
        (project, "projects", project.slug),
    ):
        url = f"/en/programmes/{record.programme.slug}/{kind}/{key}/evidence/"
        data = {"document_reference": "Notice 12", "quote": "It was done."}
        assert Client().post(url, data).status_code == 200
        submission = EvidenceSubmission.objects.latest("created_at")
        manager = manager_of(record.programme, f"manager-{kind}")
        decide(
            as_user(manager),
            submission,
            decision="accept",
            source_title=f"Notice for {kind}",
            publisher="The district",
        )
        text = page_text(Client().get(record.get_absolute_url()))
        assert f"Notice for {kind}" in text and "Evidence sent by a reader" in text
