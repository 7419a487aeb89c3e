"""Evidence from the public: the form on the record's pages, its defences against spam
and abuse, and the open questions of a programme."""

import re

import pytest
from django.core.cache import cache

from tests.helpers import page_text, vnu_errors
from tracker.models import EvidenceSubmission, Target

pytestmark = pytest.mark.django_db


@pytest.fixture
def market_value(yizhuang):
    return Target.objects.get(programme=yizhuang, kind="money", project__isnull=True)


def form_url(target) -> str:
    return f"/en/programmes/{target.programme.slug}/targets/{target.pk}/evidence/"


def evidence(**fields) -> dict:
    return {
        "url": "https://example.org/report",
        "document_reference": "",
        "quote": "The base's output reached 12 billion yuan in 2025.",
        "value": "12000000000",
        "as_of": "2025-12-31",
        "contact_email": "reader@example.org",
        "homepage": "",
        **fields,
    }


def test_target_page_links_to_the_evidence_form_and_open_questions(client, market_value):
    text = page_text(client.get(market_value.get_absolute_url()))
    assert "Know something? Send evidence" in text
    page = client.get(form_url(market_value))
    assert page.status_code == 200
    assert "Market value of the AI application base" in page_text(page)


def test_a_submission_is_stored_pending_and_not_public(client, market_value):
    response = client.post(form_url(market_value), evidence())
    assert response.status_code == 200
    assert "your evidence was received" in page_text(response)
    submission = EvidenceSubmission.objects.get()
    assert submission.state == "pending"
    assert submission.target == market_value
    assert submission.language == "en"
    # The address is kept only as a keyed hash.
    assert "127.0.0.1" not in submission.address_hash and len(submission.address_hash) == 64
    page = page_text(client.get(market_value.get_absolute_url()))
    assert "12 billion" not in page and "Evidence sent by a reader" not in page


def test_the_honeypot_thanks_a_robot_and_stores_nothing(client, market_value):
    response = client.post(form_url(market_value), evidence(homepage="https://spam.example"))
    assert "your evidence was received" in page_text(response)
    assert not EvidenceSubmission.objects.exists()


def test_an_address_over_the_limit_is_refused_with_a_clear_page(client, market_value, settings):
    settings.EVIDENCE_RATE = "2/h"
    cache.clear()
    for _ in range(2):
        assert client.post(form_url(market_value), evidence()).status_code == 200
    refused = client.post(form_url(market_value), evidence())
    assert refused.status_code == 429
    assert "Too many submissions from your address" in page_text(refused)
    assert EvidenceSubmission.objects.count() == 2
    # Another address is not held back.
    other = client.post(form_url(market_value), evidence(), REMOTE_ADDR="203.0.113.9")
    assert other.status_code == 200


def test_an_ipv6_sender_is_counted_by_its_network_not_each_address(client, market_value, settings):
    settings.EVIDENCE_RATE = "2/h"
    cache.clear()
    # One /64 (one household or machine) may use any of its addresses: they count as one.
    for address in ("2001:db8:1:2::1", "2001:db8:1:2:abcd::7"):
        sent = client.post(form_url(market_value), evidence(), REMOTE_ADDR=address)
        assert sent.status_code == 200
    refused = client.post(form_url(market_value), evidence(), REMOTE_ADDR="2001:db8:1:2:ffff::9")
    assert refused.status_code == 429
    # Another network is not held back; nor is an IPv4 sender.
    elsewhere = client.post(form_url(market_value), evidence(), REMOTE_ADDR="2001:db8:1:3::1")
    assert elsewhere.status_code == 200
    assert client.post(form_url(market_value), evidence()).status_code == 200


def test_html_is_refused_with_a_message_and_nothing_stored(client, market_value):
    response = client.post(
        form_url(market_value), evidence(quote='Output <script>alert("x")</script> doubled')
    )
    assert response.status_code == 400
    assert "Please send plain text: remove the HTML tags" in page_text(response)
    assert not EvidenceSubmission.objects.exists()


def test_an_oversized_quotation_is_refused_with_a_message(client, market_value):
    response = client.post(form_url(market_value), evidence(quote="x" * 2001))
    assert response.status_code == 400
    assert "at most 2000 characters" in page_text(response)
    assert not EvidenceSubmission.objects.exists()


def test_only_web_addresses_and_a_source_of_some_kind_are_accepted(client, market_value):
    response = client.post(form_url(market_value), evidence(url="javascript:alert(1)"))
    assert response.status_code == 400
    assert "Enter a valid URL" in page_text(response)
    response = client.post(form_url(market_value), evidence(url=""))
    assert "Give a source address or a document reference" in page_text(response)
    assert not EvidenceSubmission.objects.exists()


@pytest.mark.page_cache
def test_the_form_works_when_the_record_page_came_from_the_cache(market_value):
    from django.test import Client

    reader = Client(enforce_csrf_checks=True)
    reader.get(form_url(market_value))  # the reader's CSRF cookie is set
    first = reader.get(market_value.get_absolute_url())
    second = reader.get(market_value.get_absolute_url())
    assert second["X-Cache"] == "hit" and "Send evidence" in page_text(first)
    # The form itself is never kept: each visitor gets a token of their own.
    form = reader.get(form_url(market_value))
    assert "X-Cache" not in form and "private" in form["Cache-Control"]
    other = Client(enforce_csrf_checks=True)
    page = other.get(form_url(market_value))
    token = page.cookies["csrftoken"].value
    response = other.post(form_url(market_value), {**evidence(), "csrfmiddlewaretoken": token})
    assert response.status_code == 200
    assert EvidenceSubmission.objects.count() == 1


def test_open_questions_list_what_the_record_lacks(client, yizhuang, market_value, today):
    page = client.get(f"/en/programmes/{yizhuang.slug}/open-questions/")
    text = page_text(page)
    assert re.search(r"AI application projects ?: 0 of 10 planned projects identified", text)
    assert re.search(r"Market value of the AI application base ?: no published figure", text)
    assert form_url(market_value) in page.content.decode()


def test_evidence_pages_are_valid_html(client, yizhuang, market_value, tmp_path):
    pages = {
        form_url(market_value): client.get(form_url(market_value)),
        "open": client.get(f"/en/programmes/{yizhuang.slug}/open-questions/"),
        "zh": client.get(form_url(market_value).replace("/en/", "/zh-hans/")),
    }
    project = yizhuang.projects.first()
    milestone = yizhuang.milestones.first()
    if milestone:
        pages["m"] = client.get(
            f"/en/programmes/{yizhuang.slug}/milestones/{milestone.pk}/evidence/"
        )
    if project:
        pages["p"] = client.get(f"/en/programmes/{yizhuang.slug}/projects/{project.slug}/evidence/")
    pages["invalid"] = client.get(form_url(market_value))
    assert not vnu_errors(pages, tmp_path)


def test_the_limit_is_counted_in_redis_and_the_form_pauses_while_redis_is_down(
    client, market_value, settings
):
    from tests.ops.test_production import DEAD_REDIS, REAL_REDIS

    settings.CACHES = REAL_REDIS
    settings.EVIDENCE_RATE = "1/h"
    cache.clear()
    assert client.post(form_url(market_value), evidence()).status_code == 200
    assert client.post(form_url(market_value), evidence()).status_code == 429
    cache.clear()
    settings.CACHES = DEAD_REDIS
    down = client.post(form_url(market_value), evidence())
    # The site, not the reader's address, is why: 503 and a message that says so.
    assert down.status_code == 503
    assert "The form is unavailable for a moment" in page_text(down)
    assert "Too many submissions" not in page_text(down)
    assert EvidenceSubmission.objects.count() == 1
