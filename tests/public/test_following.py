"""Following by e-mail: sign up on a record's page, confirm by the link sent, get one
message per publication in one's language, and unsubscribe with one click."""

import datetime as dt
import re
from urllib.parse import urlsplit

import pytest
import time_machine
from django.core import mail
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests import factories
from tests.helpers import editor_of, manager_of, page_text, vnu_errors
from tracker import followers
from tracker.editorial import publishing
from tracker.editorial import workflow as services
from tracker.models import Follow, Follower, Measurement, Milestone, OutgoingMessage
from tracker.ops import pagecache

pytestmark = pytest.mark.django_db

SITE = "http://127.0.0.1:8000"


@pytest.fixture
def hub(db):
    programme = factories.ProgrammeFactory(slug="hub", name_en="Hub", name_zh_hans="枢纽")
    project = factories.ProjectFactory(
        programme=programme, slug="grid", name_en="Smart grid", name_zh_hans="智能电网"
    )
    target = factories.TargetFactory(
        project=project,
        programme=programme,
        title_en="Substations built",
        title_zh_hans="建成变电站",
        kind="count",
        currency="",
        target_value=10,
        due_on=dt.date(2027, 12, 31),
    )
    milestone = factories.MilestoneFactory(
        project=project,
        programme=programme,
        title_en="Grid connected",
        title_zh_hans="并网",
        planned_on=dt.date(2026, 6, 30),
    )
    other = factories.ProjectFactory(programme=programme, slug="other", name_en="Other")
    return {
        "programme": programme,
        "project": project,
        "target": target,
        "milestone": milestone,
        "other": other,
        "manager": manager_of(programme),
        "editor": editor_of(project),
        "source": factories.SourceFactory(),
    }


def follow_url(record, lang: str = "en") -> str:
    base = f"/{lang}/programmes/hub/"
    kind = type(record).__name__.lower()
    return {
        "programme": f"{base}follow/",
        "project": f"{base}projects/{getattr(record, 'slug', '')}/follow/",
        "target": f"{base}targets/{record.pk}/follow/",
    }[kind]


def sign_up(client, record, address: str, capture, **fields):
    data = {"email": address, "language": "en", "frequency": "immediate", **fields}
    with capture(execute=True):
        return client.post(follow_url(record), data)


def path_of(url: str) -> str:
    assert url.startswith(SITE + "/"), url
    return urlsplit(url).path


def links_in(message) -> list[str]:
    return re.findall(rf"{re.escape(SITE)}/\S+", message.body)


def confirm(client, message, capture) -> None:
    """Open the confirmation link of `message` and press its button."""
    url = next(link for link in links_in(message) if "/follow/confirm/" in link)
    page = client.get(path_of(url))
    assert page.status_code == 200 and '<form method="post"' in page.content.decode()
    with capture(execute=True):
        done = client.post(path_of(url))
    assert done.status_code == 200 and "/follow/manage/" in done.content.decode()


def follower(client, record, email, capture, **fields) -> Follower:
    """A confirmed follower of `record`; the mail outbox emptied after."""
    sign_up(client, record, email, capture, **fields)
    confirm(client, mail.outbox[-1], capture)
    mail.outbox.clear()
    return Follower.objects.get(email=email)


def complete_milestone(hub, capture, by="manager", **extra):
    milestone = Milestone.objects.get(pk=hub["milestone"].pk)
    milestone.status = Milestone.Status.COMPLETED
    milestone.completed_on = dt.date(2026, 6, 1)
    with capture(execute=True):
        return publishing.save_change(instance=milestone, by=hub[by], **extra)


def measure(hub, capture, value=3, as_of=dt.date(2026, 9, 30), by="manager"):
    measurement = Measurement(target=hub["target"], value=value, as_of=as_of, source=hub["source"])
    with capture(execute=True):
        return publishing.save_change(instance=measurement, by=hub[by])


# Signing up


def test_the_record_pages_offer_the_form_without_a_token_of_anyones(client, hub):
    for record in ("programme", "project", "target"):
        page = client.get(hub[record].get_absolute_url())
        html = page.content.decode()
        assert "Follow by e-mail" in page_text(page), record
        assert f'action="{follow_url(hub[record])}"' in html, record
        assert 'type="email"' in html and "csrfmiddlewaretoken" not in html
        assert "not your IP address or browser" in page_text(page)


def test_signing_up_sends_only_a_confirmation(
    client, hub, django_capture_on_commit_callbacks, settings
):
    response = sign_up(
        client, hub["project"], "Reader@Example.ORG", django_capture_on_commit_callbacks
    )
    assert response.status_code == 200
    assert "Check your inbox" in page_text(response)
    assert "Nothing else is sent until you confirm" in page_text(response)
    [message] = mail.outbox
    assert message.to == ["Reader@example.org"]
    assert message.subject == "Confirm: e-mail about Smart grid"
    assert "/en/follow/confirm/" in message.body
    assert message.alternatives[0][1] == "text/html"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    stored = Follower.objects.get()
    assert stored.confirmed_at is None and not stored.follows.exists()
    # Nothing is sent before the link is followed.
    complete_milestone(hub, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1


def test_an_address_already_signed_up_or_following_gets_the_very_same_page(
    client, hub, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    new = sign_up(client, hub["project"], "a@example.org", capture)
    again = sign_up(client, hub["project"], "a@example.org", capture)
    confirm(client, mail.outbox[-1], capture)
    following = sign_up(client, hub["project"], "A@example.org", capture)
    stranger = sign_up(client, hub["project"], "b@example.org", capture)
    assert new.content == again.content == following.content == stranger.content
    # The confirmed address is offered its page rather than signed up twice.
    assert Follower.objects.filter(email__iexact="a@example.org").count() == 1
    last = mail.outbox[-2]
    assert last.to == ["A@example.org"] or last.to == ["a@example.org"]
    assert "already follows other records" in last.body
    assert "/en/follow/manage/" in last.body


def test_the_confirmation_adds_what_was_asked_and_a_link_checker_confirms_nothing(
    client, hub, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    sign_up(client, hub["target"], "c@example.org", capture, frequency="weekly")
    url = next(link for link in links_in(mail.outbox[-1]) if "/confirm/" in link)
    page = client.get(path_of(url))
    assert "Confirm that you want e-mail" in page_text(page)
    assert Follower.objects.get().confirmed_at is None
    confirm(client, mail.outbox[-1], capture)
    stored = Follower.objects.get()
    assert stored.confirmed_at is not None and stored.frequency == "weekly"
    assert [f.record for f in stored.follows.all()] == [hub["target"]]
    # The same link again changes nothing.
    with capture(execute=True):
        assert client.post(path_of(url)).status_code == 200
    assert stored.follows.count() == 1


def test_junk_form_input_is_refused_with_a_message_and_nothing_kept(
    client, hub, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    cases = [
        ({"email": "not an address"}, "Enter a valid email address"),
        ({"email": "x" * 300 + "@example.org"}, "at most 254 characters"),
        ({"language": "xx"}, "Select a valid choice"),
        ({"frequency": "hourly"}, "Select a valid choice"),
        ({"email": ""}, "This field is required"),
    ]
    for fields, complaint in cases:
        response = sign_up(client, hub["programme"], "d@example.org", capture, **fields)
        assert response.status_code == 400, fields
        assert complaint in page_text(response), fields
    assert not Follower.objects.exists() and not mail.outbox
    assert client.post("/en/programmes/hub/targets/999999/follow/", {}).status_code == 404
    assert client.post("/en/programmes/nowhere/follow/", {}).status_code == 404
    assert client.put(follow_url(hub["programme"])).status_code == 405
    assert client.get(follow_url(hub["programme"])).status_code == 200


def test_sign_ups_are_limited_per_sender_and_per_address(
    client, hub, django_capture_on_commit_callbacks, settings
):
    capture = django_capture_on_commit_callbacks
    settings.FOLLOW_RATE = "2/h"
    settings.FOLLOW_ADDRESS_RATE = "1/d"
    cache.clear()
    first = sign_up(client, hub["programme"], "e@example.org", capture)
    # The same address again, from the same sender: the same page, no second message.
    second = sign_up(client, hub["programme"], "e@example.org", capture)
    assert first.content == second.content and len(mail.outbox) == 1
    refused = sign_up(client, hub["programme"], "f@example.org", capture)
    assert refused.status_code == 429
    assert "Too many sign-ups from your address" in page_text(refused)
    assert "Nothing was sent" in page_text(refused)
    assert len(mail.outbox) == 1
    other = Client(REMOTE_ADDR="203.0.113.9")
    assert sign_up(other, hub["programme"], "f@example.org", capture).status_code == 200
    assert len(mail.outbox) == 2


def test_with_the_cache_down_sign_up_pauses_and_says_the_site_is_why(
    client, hub, django_capture_on_commit_callbacks, settings
):
    from tests.ops.test_production import DEAD_REDIS

    settings.CACHES = DEAD_REDIS
    down = sign_up(client, hub["programme"], "h@example.org", django_capture_on_commit_callbacks)
    assert down.status_code == 503
    assert "The form is unavailable for a moment" in page_text(down)
    assert "Too many" not in page_text(down)
    assert not mail.outbox and not Follower.objects.exists()


@pytest.mark.page_cache
def test_the_form_works_from_a_cached_page_and_a_sign_up_keeps_the_cache(
    hub, django_capture_on_commit_callbacks
):
    reader = Client(enforce_csrf_checks=True)
    url = hub["project"].get_absolute_url()
    reader.get(url)
    assert reader.get(url)["X-Cache"] == "hit"
    version = cache.get(pagecache.VERSION_KEY)
    other = Client(enforce_csrf_checks=True)
    response = sign_up(other, hub["project"], "g@example.org", django_capture_on_commit_callbacks)
    assert response.status_code == 200 and "Check your inbox" in page_text(response)
    assert "private" in response["Cache-Control"] and "X-Cache" not in response
    # A reader following by e-mail is not a change to any public page.
    assert cache.get(pagecache.VERSION_KEY) == version
    assert reader.get(url)["X-Cache"] == "hit"
    token = Follower.objects.get().token
    manage = reader.get(f"/en/follow/manage/{token}/")
    assert "X-Cache" not in manage and "private" in manage["Cache-Control"]


# Messages


def test_one_message_per_publication_per_follower_in_their_language(
    client, hub, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    english = follower(client, hub["programme"], "en@example.org", capture)
    Follow.objects.create(follower=english, project=hub["project"])  # both: still one message
    chinese = follower(client, hub["target"], "zh@example.org", capture, language="zh-hans")
    stranger = follower(client, hub["other"], "other@example.org", capture)

    complete_milestone(hub, capture)
    [message] = mail.outbox
    assert message.to == ["en@example.org"]
    assert message.subject == "Milestone · Completed: Grid connected"
    milestone_url = f"{SITE}/en/programmes/hub/milestones/{hub['milestone'].pk}/"
    assert milestone_url in message.body
    assert f'<a href="{milestone_url}">Grid connected</a>' in message.alternatives[0][0]
    mail.outbox.clear()

    measure(hub, capture)
    assert sorted(m.to[0] for m in mail.outbox) == ["en@example.org", "zh@example.org"]
    zh = next(m for m in mail.outbox if m.to == ["zh@example.org"])
    assert zh.subject == "发布测量值：建成变电站（2026年9月30日）"
    target_url = f"{SITE}/zh-hans/programmes/hub/targets/{hub['target'].pk}/"
    assert f"{target_url}#measurement-" in zh.body
    unsubscribe = f"{SITE}/zh-hans/follow/unsubscribe/{chinese.token}/"
    assert zh.extra_headers["List-Unsubscribe"] == f"<{unsubscribe}>"
    assert zh.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe in zh.body and 'lang="zh-hans"' in zh.alternatives[0][0]
    # Every link in it works.
    for link in links_in(zh):
        assert client.get(path_of(link)).status_code == 200, link
    assert stranger.pk and not any(m.to == ["other@example.org"] for m in mail.outbox)


def test_one_transaction_of_many_publications_is_one_message(
    client, hub, django_capture_on_commit_callbacks
):
    from django.db import transaction

    capture = django_capture_on_commit_callbacks
    follower(client, hub["project"], "h@example.org", capture)
    milestone = Milestone.objects.get(pk=hub["milestone"].pk)
    milestone.planned_on = dt.date(2026, 12, 31)
    measurement = Measurement(target=hub["target"], value=4, as_of=dt.date(2026, 10, 1))
    measurement.source = hub["source"]
    with capture(execute=True), transaction.atomic():
        publishing.save_change(instance=milestone, by=hub["manager"], reason="Delayed.")
        publishing.save_change(instance=measurement, by=hub["manager"])
    [message] = mail.outbox
    assert message.subject == "2 new items in what you follow"
    assert "Milestone · Revised: Grid connected" in message.body
    assert "Measurement published: Substations built" in message.body


def test_an_editors_change_is_news_only_once_a_manager_publishes_it(
    client, hub, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    follower(client, hub["project"], "i@example.org", capture)
    change = measure(hub, capture, by="editor")
    assert change.state == "pending"
    assert not [m for m in mail.outbox if m.to == ["i@example.org"]]
    with capture(execute=True):
        publishing.publish(change=change, by=hub["manager"])
    [message] = [m for m in mail.outbox if m.to == ["i@example.org"]]
    assert "Measurement published: Substations built" in message.body


def test_a_published_progress_update_is_news(client, hub, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    follower(client, hub["project"], "j@example.org", capture)
    update = factories.ProgressUpdateFactory(
        project=hub["project"],
        programme=hub["programme"],
        title_en="Cables laid",
        state="draft",
        published_at=None,
        author=hub["editor"],
    )
    with capture(execute=True):
        services.update_submit(update=update, by=hub["editor"])
    assert not [m for m in mail.outbox if m.to == ["j@example.org"]]
    with capture(execute=True):
        services.update_publish(update=update, by=hub["manager"])
    [message] = [m for m in mail.outbox if m.to == ["j@example.org"]]
    assert message.subject == "Progress update published: Cables laid"
    assert f"{SITE}/en/programmes/hub/projects/grid/#update-{update.pk}" in message.body


def test_loaders_and_demonstrations_tell_nobody(client, hub, django_capture_on_commit_callbacks):
    import io

    from django.core.management import call_command

    from tracker.models import ChangeRequest, Programme, Target

    capture = django_capture_on_commit_callbacks
    stored = follower(client, hub["programme"], "k@example.org", capture)
    # What an operator's command loads (the seed and document loaders) is not news ...
    complete_milestone(hub, capture, by="manager", via="command")
    assert not mail.outbox
    measure(hub, capture)  # ... while the same kind of change by a person is.
    assert len(mail.outbox) == 1
    mail.outbox.clear()
    with capture(execute=True):
        call_command("load_yizhuang", stdout=io.StringIO())
    yizhuang = Programme.objects.get(slug="beijing-etown-ai")
    Follow.objects.create(follower=stored, programme=yizhuang)
    # The seed loader puts back a figure changed behind its back: published, by command.
    target = Target.objects.filter(programme=yizhuang).exclude(target_value=None).first()
    Target.objects.filter(pk=target.pk).update(target_value=target.target_value + 1)
    published = ChangeRequest.objects.filter(state="published").count()
    with capture(execute=True):
        call_command("load_yizhuang", stdout=io.StringIO())
        call_command("load_demo", stdout=io.StringIO())
    assert ChangeRequest.objects.filter(state="published").count() > published
    assert not mail.outbox


# Leaving


def test_one_post_to_the_unsubscribe_address_deletes_everything_at_once(
    client, hub, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    follower(client, hub["project"], "l@example.org", capture)
    measure(hub, capture)
    [message] = mail.outbox
    # What was sent is not kept: the outbox keeps the key (sent once), not the text.
    sent = OutgoingMessage.objects.get(key__startswith="follow:", state="sent")
    assert sent.body == "" and sent.html == "" and sent.headers == {}
    url = message.extra_headers["List-Unsubscribe"].strip("<>")
    # As a mail program sends it (RFC 8058): no cookie, no CSRF token, no confirmation.
    program = Client(enforce_csrf_checks=True)
    response = program.post(
        path_of(url),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert "You are unsubscribed" in page_text(response)
    assert not Follower.objects.exists() and not Follow.objects.exists()
    # Nor is any message to them kept in the outbox, sent or waiting.
    assert not [m for m in OutgoingMessage.objects.all() if "l@example.org" in m.to]
    mail.outbox.clear()
    measure(hub, capture, value=5, as_of=dt.date(2026, 10, 31))
    assert not mail.outbox
    again = program.post(path_of(url))
    assert again.status_code == 404
    assert "No subscription matches this link" in page_text(again)


def test_the_unsubscribe_link_opened_shows_a_button_and_deletes_nothing(
    client, hub, django_capture_on_commit_callbacks
):
    stored = follower(client, hub["project"], "m@example.org", django_capture_on_commit_callbacks)
    page = client.get(f"/en/follow/unsubscribe/{stored.token}/")
    assert page.status_code == 200
    assert "Unsubscribe and delete" in page_text(page)
    assert Follower.objects.filter(pk=stored.pk).exists()


def test_the_followers_page_changes_language_frequency_and_what_is_followed(
    client, hub, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    stored = follower(client, hub["project"], "n@example.org", capture)
    Follow.objects.create(follower=stored, target=hub["target"])
    url = f"/en/follow/manage/{stored.token}/"
    page = client.get(url)
    assert "Project: Smart grid" in page_text(page) and "Target: Substations built" in page_text(
        page
    )
    assert "not your IP address or browser" in page_text(page)
    keep = stored.follows.get(target=hub["target"])
    response = client.post(
        url, {"language": "zh-hans", "frequency": "weekly", "follows": [keep.pk]}
    )
    assert response.status_code == 200 and "Saved." in page_text(response)
    stored.refresh_from_db()
    assert (stored.language, stored.frequency) == ("zh-hans", "weekly")
    assert [f.record for f in stored.follows.all()] == [hub["target"]]
    junk = client.post(url, {"language": "klingon", "frequency": "weekly", "follows": ["x"]})
    assert junk.status_code == 400 and "Select a valid choice" in page_text(junk)
    # Unticking everything leaves nothing to send: the subscription is deleted.
    gone = client.post(url, {"language": "en", "frequency": "weekly"})
    assert "You are unsubscribed" in page_text(gone)
    assert not Follower.objects.exists()


def test_bad_and_expired_links_get_a_clear_page_never_an_error(
    client, hub, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    sign_up(client, hub["project"], "o@example.org", capture)
    url = path_of(next(link for link in links_in(mail.outbox[-1]) if "/confirm/" in link))
    token = url.split("/")[-2]
    cases = {
        "/en/follow/confirm/junk/": (400, "This link is not valid"),
        f"/en/follow/confirm/{token[:-3]}abc/": (400, "This link is not valid"),
        "/en/follow/manage/junk/": (404, "No subscription matches this link"),
        f"/en/follow/manage/{'x' * 500}/": (404, "No subscription matches this link"),
        "/en/follow/unsubscribe/junk/": (404, "No subscription matches this link"),
        "/zh-hans/follow/unsubscribe/junk/": (404, ""),
    }
    for address, (status, words) in cases.items():
        for method in (client.get, client.post):
            response = method(address)
            assert response.status_code == status, address
            assert words in page_text(response), address
    with time_machine.travel(timezone.now() + dt.timedelta(days=8)):
        expired = client.get(url)
    assert expired.status_code == 400 and "This link has expired" in page_text(expired)
    # A good link to an address deleted since.
    Follower.objects.all().delete()
    assert client.get(url).status_code == 404


def test_an_address_never_confirmed_or_following_nothing_is_deleted(
    client, hub, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    sign_up(client, hub["project"], "p@example.org", capture)
    # Nor is an address kept that follows nothing any more (the record was deleted).
    gone = follower(client, hub["other"], "gone@example.org", capture)
    kept = follower(client, hub["target"], "kept@example.org", capture)
    hub["other"].delete()
    assert Follower.objects.filter(pk=gone.pk).exists()
    with time_machine.travel(timezone.now() + dt.timedelta(days=8)):
        followers.send_digests()
    assert list(Follower.objects.all()) == [kept]


# The weekly digest


def test_the_weekly_digest_has_each_item_once(client, hub, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    start = timezone.now()
    weekly = follower(client, hub["project"], "q@example.org", capture, frequency="weekly")
    with time_machine.travel(start + dt.timedelta(days=1)):
        complete_milestone(hub, capture)
    with time_machine.travel(start + dt.timedelta(days=3)):
        measure(hub, capture)
    assert not mail.outbox  # a weekly follower hears nothing at once
    assert followers.send_digests(start + dt.timedelta(days=5)) == 0  # not a week yet
    with capture(execute=True):
        assert followers.send_digests(start + dt.timedelta(days=8)) == 1
    [digest] = mail.outbox
    assert digest.to == ["q@example.org"]
    assert "Milestone · Completed: Grid connected" in digest.body
    assert "Measurement published: Substations built" in digest.body
    assert digest.extra_headers["List-Unsubscribe"].endswith(f"/unsubscribe/{weekly.token}/>")
    # Run again: nothing twice.
    assert followers.send_digests(start + dt.timedelta(days=8, hours=1)) == 0
    with time_machine.travel(start + dt.timedelta(days=10)):
        measure(hub, capture, value=6, as_of=dt.date(2026, 10, 31))
    mail.outbox.clear()
    with capture(execute=True):
        assert followers.send_digests(start + dt.timedelta(days=16)) == 1
    [second] = mail.outbox
    assert second.body.count("Measurement published") == 1
    assert "Grid connected" not in second.body


def test_the_digest_command_runs(client, hub, django_capture_on_commit_callbacks):
    import io

    from django.core.management import call_command

    out = io.StringIO()
    call_command("send_follow_digests", stdout=out)
    assert "Sent 0 weekly digest(s)." in out.getvalue()


# Pages


def test_the_new_pages_are_valid_html_in_both_languages(
    client, hub, django_capture_on_commit_callbacks, tmp_path
):
    capture = django_capture_on_commit_callbacks
    stored = follower(client, hub["project"], "r@example.org", capture)
    measure(hub, capture)
    message = mail.outbox[-1]
    sign_up(client, hub["target"], "s@example.org", capture)
    confirmation = mail.outbox[-1]
    confirm_path = path_of(next(u for u in links_in(confirmation) if "/confirm/" in u))
    pages = {"news e-mail": HttpResponse(message.alternatives[0][0])}
    pages["confirmation e-mail"] = HttpResponse(confirmation.alternatives[0][0])
    for lang in ("en", "zh-hans"):

        def at(path: str, lang: str = lang) -> str:
            return path.replace("/en/", f"/{lang}/", 1)

        pages[f"{lang} programme"] = client.get(at(hub["programme"].get_absolute_url()))
        pages[f"{lang} target"] = client.get(at(hub["target"].get_absolute_url()))
        pages[f"{lang} form"] = client.get(at(follow_url(hub["project"])))
        pages[f"{lang} sent"] = client.post(
            at(follow_url(hub["project"])),
            {"email": "t@example.org", "language": lang, "frequency": "weekly"},
        )
        pages[f"{lang} confirm"] = client.get(at(confirm_path))
        pages[f"{lang} manage"] = client.get(f"/{lang}/follow/manage/{stored.token}/")
        pages[f"{lang} unsubscribe"] = client.get(f"/{lang}/follow/unsubscribe/{stored.token}/")
    invalid = client.post(follow_url(hub["project"]), {"email": "nope"})
    assert invalid.status_code == 400
    invalid.status_code = 200  # checked as a page like the others
    pages["invalid form"] = invalid
    refused = client.get("/zh-hans/follow/confirm/junk/")
    refused.status_code = 200
    pages["refused"] = refused
    done = client.post(f"/zh-hans/follow/unsubscribe/{stored.token}/")
    pages["unsubscribed"] = done
    assert not vnu_errors(pages, tmp_path)


def test_chinese_pages_and_messages_punctuate_in_chinese(
    client, hub, django_capture_on_commit_callbacks
):
    import html

    from tests.public.test_bilingual import western_marks

    capture = django_capture_on_commit_callbacks
    stored = follower(client, hub["project"], "u@example.org", capture, language="zh-hans")
    Follow.objects.create(follower=stored, target=hub["target"])
    complete_milestone(hub, capture)
    news = mail.outbox[-1]
    sign_up(client, hub["target"], "u@example.org", capture)
    confirmation = mail.outbox[-1]
    confirm_path = path_of(next(u for u in links_in(confirmation) if "/confirm/" in u))
    pages = [
        client.get(f"/zh-hans/programmes/hub/targets/{hub['target'].pk}/"),
        client.get("/zh-hans/programmes/hub/follow/"),
        client.post("/zh-hans/programmes/hub/follow/", {"email": "nope"}),
        client.post(
            "/zh-hans/programmes/hub/follow/",
            {"email": "v@example.org", "language": "zh-hans", "frequency": "weekly"},
        ),
        client.get(confirm_path.replace("/en/", "/zh-hans/")),
        client.get(f"/zh-hans/follow/manage/{stored.token}/"),
        client.get(f"/zh-hans/follow/unsubscribe/{stored.token}/"),
        client.get("/zh-hans/follow/confirm/junk/"),
    ]
    texts = {page.request["PATH_INFO"]: page_text(page) for page in pages}
    texts["news"] = news.subject + news.body + page_text(HttpResponse(news.alternatives[0][0]))
    texts["confirmation"] = confirmation.subject + confirmation.body
    found = {name: western_marks(html.unescape(text)) for name, text in texts.items()}
    assert not {name: marks for name, marks in found.items() if marks}
    assert "里程碑 · 已完成：并网" in news.body


def test_switching_to_the_weekly_digest_sends_nothing_already_sent(
    client, hub, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    stored = follower(client, hub["project"], "w@example.org", capture)
    measure(hub, capture)
    assert len(mail.outbox) == 1
    client.post(
        f"/en/follow/manage/{stored.token}/",
        {"language": "en", "frequency": "weekly", "follows": [stored.follows.get().pk]},
    )
    assert Follower.objects.get().frequency == "weekly"
    mail.outbox.clear()
    with capture(execute=True):
        assert followers.send_digests(timezone.now() + dt.timedelta(days=8)) == 0
    assert not mail.outbox


@pytest.mark.parametrize("count", [2, 40])
def test_telling_many_followers_takes_a_fixed_number_of_queries(hub, count):
    from tracker.models import ChangeRequest, OutgoingMessage

    measurement = Measurement(target=hub["target"], value=3, as_of=dt.date(2026, 9, 30))
    measurement.source = hub["source"]
    change = publishing.save_change(instance=measurement, by=hub["manager"])
    for n in range(count):
        stored = Follower.objects.create(
            email=f"x{n}@example.org",
            token=f"token-{n}",
            confirmed_at=timezone.now(),
            language=("en", "zh-hans")[n % 2],
        )
        Follow.objects.create(follower=stored, project=hub["project"])
    news = followers.news_of_changes([ChangeRequest.objects.get(pk=change.pk)])
    # The followers with what they follow, then the record once in each language; the
    # rest is the outbox, one row per message (tracker.ops.mail).
    with CaptureQueriesContext(connection) as run:
        assert followers.send_news(news) == count
    reads = [
        q["sql"]
        for q in run.captured_queries
        if "tracker_outgoingmessage" not in q["sql"] and "SAVEPOINT" not in q["sql"]
    ]
    assert len(reads) <= 3, reads
    assert OutgoingMessage.objects.count() == count


def test_the_messages_are_composed_by_the_worker_not_the_publishing_request(
    client, hub, django_capture_on_commit_callbacks, settings
):
    from django.tasks import default_task_backend

    from tracker.models import OutgoingMessage

    capture = django_capture_on_commit_callbacks
    follower(client, hub["project"], "w@example.org", capture)
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    measure(hub, capture)
    # The publication only queued the announcement: nothing composed, nothing sent.
    assert not OutgoingMessage.objects.filter(key__startswith="follow:").exists()
    (queued,) = [r for r in default_task_backend.results if r.task.name == "announce"]
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    with capture(execute=True):
        assert followers.announce.call(*queued.args) == 1
        # Run twice (a worker restarted): still one message.
        assert followers.announce.call(*queued.args) == 1
    assert len(mail.outbox) == 1 and "w@example.org" in mail.outbox[0].to
