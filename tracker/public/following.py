"""Following by e-mail, without an account: the "Follow" form on programme, project and
target pages, the confirmation, the follower's own page, and one-click unsubscription.
What is sent, and when, is tracker/followers.py.

The form sits on pages the page cache keeps for every visitor (tracker.ops.pagecache),
so it cannot hold a visitor's own CSRF token; the sign-up is exempt from the check
instead. That is safe because sign-up is double opt-in: a forged sign-up can do no more
than the visitor could do themselves, which is to have one confirmation message sent to
an address (limited per sender and per address), and it changes nothing for an address
that already follows. Everything after that is reached by a secret link from a message
and is never cached: the confirmation and the follower's page check CSRF as any form
does; the unsubscription does not, since RFC 8058 has mail programs POST it without a
cookie, and the token in its address is the proof.

Every page answers the same whether or not an address already follows, so the form
cannot be used to find out who does."""

import hashlib
import hmac

from django import forms
from django.conf import settings
from django.contrib.auth.base_user import BaseUserManager
from django.core import signing
from django.db import transaction
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone, translation
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from django_ratelimit.core import is_ratelimited

from tracker import followers
from tracker.formatting import punctuation
from tracker.models import Follow, Follower, Programme, Project, Target
from tracker.public import limits
from tracker.public.evidence import about

# What the form says about what is kept, on the form and on the follower's page.
KEPT = _(
    "Only your e-mail address, the language and frequency you chose, what you follow, the "
    "secret of your links, when you asked and confirmed and when your last weekly digest "
    "went are kept: not your IP address or browser, and no copy of what was sent. Every "
    "message has a link that deletes it all at once. An address not confirmed within a "
    "week is deleted."
)
RECORD_LABELS = {
    "programme": _("Programme"),
    "project": _("Project"),
    "target": _("Target"),
}


def language_choices() -> list[tuple[str, str]]:
    """Each language by its own name (English, 简体中文), as a reader looks for it."""
    return [
        (code, translation.get_language_info(code)["name_local"])
        for code, _name in settings.LANGUAGES
    ]


class FollowForm(forms.Form):
    email = forms.EmailField(
        label=_("Your e-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "maxlength": 254}),
    )
    language = forms.ChoiceField(label=_("Language of the e-mail"), choices=language_choices)
    frequency = forms.ChoiceField(
        label=_("How often"),
        choices=Follower.Frequency,
        initial=Follower.Frequency.IMMEDIATE,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "follow-%s")
        kwargs.setdefault("initial", {"language": get_language() or settings.LANGUAGE_CODE})
        super().__init__(*args, **kwargs)

    def clean_email(self) -> str:
        return BaseUserManager.normalize_email(self.cleaned_data["email"])


class FollowedChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Model) -> str:
        follow: Follow = obj  # type: ignore[assignment]  # the queryset's model
        return f"{RECORD_LABELS[follow.kind]}{punctuation(':')}{follow.record}"


class ManageForm(forms.ModelForm):
    language = forms.ChoiceField(
        label=_("Language of the e-mail"), choices=language_choices, widget=forms.RadioSelect
    )
    follows = FollowedChoice(
        label=_("What you follow"),
        queryset=Follow.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Untick what you no longer want e-mail about."),
    )

    class Meta:
        model = Follower
        fields = ["language", "frequency"]
        labels = {"frequency": _("How often")}
        widgets = {"frequency": forms.RadioSelect}

    def save(self, commit: bool = True) -> Follower:
        if "frequency" in self.changed_data:
            # A weekly digest starts now: what was sent at once is not sent again.
            self.instance.digest_through = timezone.now()
        return super().save(commit)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        follows = self.instance.follows.select_related(
            "programme", "project__programme", "target__programme"
        ).order_by("pk")
        self.fields["follows"].queryset = follows  # type: ignore[attr-defined]
        self.fields["follows"].initial = list(follows)


def record_of(programme: Programme, kind: str, key: int | str) -> Programme | Project | Target:
    """The published programme, project or target the form is on."""
    if kind == "programme":
        return programme
    return about(kind, programme, key)  # type: ignore[return-value]  # a project or target


def _by_address(email: str):
    def key(group: str, request: HttpRequest) -> str:
        return hmac.new(
            settings.SECRET_KEY.encode(), email.lower().encode(), hashlib.sha256
        ).hexdigest()

    return key


@csrf_exempt  # see the module's docstring: double opt-in makes a forged sign-up harmless
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def follow(request: HttpRequest, programme: str, kind: str, key: int | str = "") -> HttpResponse:
    """The form on its own page (GET), and a sign-up (POST): the same page in return
    every time, and a confirmation message sent."""
    programme_obj = get_object_or_404(Programme.objects.published(), slug=programme)
    record = record_of(programme_obj, kind, key)
    context = {"programme": programme_obj, "record": record, "kind": kind}
    if request.method != "POST":
        return render(request, "tracker/follow_form.html", {**context, "form": FollowForm()})
    refused = limits.refusal(
        request,
        group="follow",
        rate=settings.FOLLOW_RATE,
        context=context,
        over_template="tracker/follow_limited.html",
    )
    if refused is not None:
        return refused
    form = FollowForm(request.POST)
    if not form.is_valid():
        return render(request, "tracker/follow_form.html", {**context, "form": form}, status=400)
    data = form.cleaned_data
    # Past a few messages a day to one address, asking again sends nothing more; the
    # page says the same, so that it tells nothing about the address either.
    if not is_ratelimited(
        request,
        group="follow-address",
        key=_by_address(data["email"]),
        rate=settings.FOLLOW_ADDRESS_RATE,
        increment=True,
    ):
        followers.sign_up(
            email=data["email"],
            language=data["language"],
            frequency=data["frequency"],
            record=record,
        )
    return render(request, "tracker/follow_sent.html", {**context, "days": followers.CONFIRM_DAYS})


def _refused(request: HttpRequest, problem: str, status: int) -> HttpResponse:
    """A link that does not work, said plainly: `problem` is "expired", "invalid" or
    "unknown"."""
    response = render(request, "tracker/follow_refused.html", {"problem": problem}, status=status)
    response["Cache-Control"] = "no-store"
    return response


def _follower(token: str) -> Follower | None:
    if not token or len(token) > 64:
        return None
    return Follower.objects.filter(token=token).first()


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The link in the confirmation message: a page with a button (GET: a mail
    program's link checker, which opens links, confirms nothing), and the confirmation
    (POST), which adds the record to what the address follows."""
    try:
        follower_pk, kind, pk = followers.read_confirmation(token)
    except signing.SignatureExpired:
        return _refused(request, "expired", 400)
    except signing.BadSignature:
        return _refused(request, "invalid", 400)
    follower = Follower.objects.filter(pk=follower_pk).first()
    record = followers.record_of(kind, pk)
    if follower is None or record is None:
        return _refused(request, "unknown", 404)
    context = {"follower": follower, "record": record, "token": token}
    if request.method != "POST":
        return render(request, "tracker/follow_confirm.html", context)
    with transaction.atomic():
        follower = Follower.objects.select_for_update().get(pk=follower.pk)
        if follower.confirmed_at is None:
            follower.confirmed_at = timezone.now()
            follower.save(update_fields=["confirmed_at"])
        Follow.objects.get_or_create(follower=follower, **{kind: record})  # type: ignore[arg-type]
    return render(request, "tracker/follow_confirmed.html", {**context, "follower": follower})


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def manage(request: HttpRequest, token: str) -> HttpResponse:
    """The follower's own page: language, frequency, what is followed, or delete it all.
    Unticking everything deletes the subscription, as nothing would be sent."""
    follower = _follower(token)
    if follower is None:
        return _refused(request, "unknown", 404)
    form = ManageForm(request.POST or None, instance=follower)
    context = {"follower": follower, "form": form, "kept": KEPT}
    if request.method != "POST":
        return render(request, "tracker/follow_manage.html", context)
    if not form.is_valid():
        return render(request, "tracker/follow_manage.html", context, status=400)
    with transaction.atomic():
        form.save()
        follower.follows.exclude(pk__in=[f.pk for f in form.cleaned_data["follows"]]).delete()
        if not follower.follows.exists():
            follower.delete()
            return render(request, "tracker/follow_unsubscribed.html", context)
    context["form"] = ManageForm(instance=follower)
    return render(request, "tracker/follow_manage.html", {**context, "saved": True})


@csrf_exempt  # RFC 8058: the mail program POSTs with no cookie; the token is the proof
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """One click: a POST (from the mail program, or the button of the page a GET shows)
    deletes the address and everything it follows at once."""
    follower = _follower(token)
    if follower is None:
        return _refused(request, "unknown", 404)
    if request.method != "POST":
        return render(request, "tracker/follow_unsubscribe.html", {"follower": follower})
    follower.delete()
    return render(request, "tracker/follow_unsubscribed.html", {})
