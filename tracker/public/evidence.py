"""Evidence from the public: "Know something? Send evidence" on every target, milestone
and project page, and each programme's open questions.

The record's pages only link here, so they stay cacheable; the form is its own page,
marked private (never kept by the page cache, tracker.ops.pagecache), so its CSRF token
is always the visitor's own. A submission is stored pending, never shown to the public
until a manager of the programme accepts it (tracker/editorial/evidence.py). Abuse is
held off without third-party services: a limit per address (django-ratelimit, in the
shared cache), a honeypot field, size limits, and no HTML."""

import re

from django import forms
from django.conf import settings
from django.core.validators import URLValidator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from tracker import status, stored
from tracker.models import EvidenceSubmission, Milestone, Programme, Project, Target
from tracker.public import limits
from tracker.public.limits import address_hash

# Anything that looks like a tag: a reader's text is shown as text, never as markup.
TAG = re.compile(r"<\s*/?\s*[a-zA-Z!?][^>]*>")
HONEYPOT = "homepage"


def no_html(value: str) -> None:
    if value and TAG.search(value):
        raise forms.ValidationError(
            _("Please send plain text: remove the HTML tags (the parts in angle brackets)."),
            code="html",
        )


class EvidenceForm(forms.ModelForm):
    url = forms.URLField(
        label=_("Source address"),
        required=False,
        max_length=500,
        assume_scheme="https",
        validators=[URLValidator(schemes=["http", "https"])],
        help_text=_("A web address starting with http:// or https://."),
    )
    # The honeypot: hidden from people (and from screen readers), filled by robots.
    homepage = forms.CharField(required=False, label=_("Leave this empty"))

    class Meta:
        model = EvidenceSubmission
        fields = ["url", "document_reference", "quote", "value", "as_of", "contact_email"]
        labels = {
            "document_reference": _("Document reference"),
            "quote": _("Quotation"),
            "value": _("Value (optional)"),
            "as_of": _("Date of the value (optional)"),
            "contact_email": _("Your e-mail (optional)"),
        }
        help_texts = {
            "document_reference": _(
                "A document number or title, if there is no web address (for example "
                "国科发高〔2020〕260号)."
            ),
            "quote": _("The passage that supports it, as written, in any language."),
            "contact_email": _("Only to tell you what became of it; never shown."),
        }
        widgets = {
            "quote": forms.Textarea(attrs={"rows": 6, "maxlength": 2000}),
            "as_of": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["homepage"].widget.attrs.update(
            {"tabindex": "-1", "autocomplete": "off", "class": "honeypot-input"}
        )
        self.fields["document_reference"].widget.attrs["maxlength"] = 200

    def clean(self):
        data = super().clean() or {}
        for name in ("url", "document_reference", "quote"):
            try:
                no_html(data.get(name) or "")
            except forms.ValidationError as error:
                self.add_error(name, error)
        if not data.get("url") and not data.get("document_reference"):
            raise forms.ValidationError(
                _("Give a source address or a document reference, so that it can be checked."),
                code="no_source",
            )
        if data.get("value") is not None and not data.get("as_of"):
            self.add_error("as_of", _("Give the date the value is for."))
        return data


def about(kind: str, programme: Programme, key: int | str) -> Target | Milestone | Project:
    """The published record the evidence is about."""
    if kind == "target":
        return get_object_or_404(Target.objects.published(), programme=programme, pk=key)
    if kind == "milestone":
        return get_object_or_404(Milestone.objects.published(), programme=programme, pk=key)
    if kind == "project":
        return get_object_or_404(Project.objects.published(), programme=programme, slug=key)
    raise Http404


@never_cache
def send_evidence(request: HttpRequest, programme: str, kind: str, key: int | str) -> HttpResponse:
    """The form (GET), and a submission (POST): stored pending, or refused with a message."""
    programme_obj = get_object_or_404(Programme.objects.published(), slug=programme)
    record = about(kind, programme_obj, key)
    context = {"programme": programme_obj, "record": record, "kind": kind}
    if request.method != "POST":
        return render(request, "tracker/evidence_form.html", {**context, "form": EvidenceForm()})
    refused = limits.refusal(
        request,
        group="evidence",
        rate=settings.EVIDENCE_RATE,
        context=context,
        over_template="tracker/evidence_limited.html",
    )
    if refused is not None:
        return refused
    if request.POST.get(HONEYPOT):
        # A robot: thanked like anyone, and nothing is kept.
        return render(request, "tracker/evidence_thanks.html", context)
    form = EvidenceForm(request.POST)
    if not form.is_valid():
        return render(request, "tracker/evidence_form.html", {**context, "form": form}, status=400)
    submission = form.save(commit=False)
    submission.programme = programme_obj
    setattr(submission, kind, record)
    submission.language = get_language() or settings.LANGUAGE_CODE
    submission.address_hash = address_hash(request)
    submission.save()
    return render(request, "tracker/evidence_thanks.html", context)


def open_questions(request: HttpRequest, programme: str) -> HttpResponse:
    """What the programme's public record is missing, each with a link to send evidence."""
    programme_obj = stored.fresh(
        lambda: get_object_or_404(Programme.objects.published().with_stored(), slug=programme),
        lambda found: [found],
    )
    questions = status.open_questions(programme_obj)
    return render(
        request,
        "tracker/open_questions.html",
        {"programme": programme_obj, "questions": questions},
    )
