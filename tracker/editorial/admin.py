"""The staff's workplace: every model, with history, translations and bounded queries.

Inline forms carry no foreign-key drop-downs, since each would run a query per row;
those fields are edited on the record's own page, reached by the row's link.
"""

import csv
import itertools
import time
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import ForeignKey, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.dateparse import parse_datetime
from django.utils.html import format_html
from django.utils.text import capfirst, format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportMixin
from modeltranslation.admin import TranslationAdmin, TranslationTabularInline
from modeltranslation.translator import NotRegistered, translator
from modeltranslation.utils import build_localized_fieldname
from simple_history.admin import SimpleHistoryAdmin
from simple_history.utils import get_m2m_reverse_field_name

from tracker import status, stored
from tracker.editorial import archive, notifications, publishing, staff
from tracker.editorial import workflow as services
from tracker.editorial.forms import (
    EditableRowForm,
    EvidenceFileForm,
    MeasurementForm,
    MilestoneForm,
    PhotoForm,
    ProgressUpdateForm,
    TargetForm,
    TrackerForm,
    is_a_manager,
)
from tracker.editorial.paging import (
    LargeTablePaginator,
    ShortRelatedListFilter,
    name_filter,
    year_filter,
)
from tracker.editorial.resources import (
    MeasurementResource,
    MilestoneResource,
    ReasonConfirmImportForm,
    ReasonImportForm,
)
from tracker.editorial.scopes import programmes_for, projects_for, scope
from tracker.editorial.uploads import BoundedImportMixin
from tracker.formatting import format_target_value, punctuation
from tracker.models import (
    ChangeRequest,
    EvidenceFile,
    Measurement,
    Milestone,
    Organisation,
    Programme,
    ProgrammeGroup,
    ProgrammeQuerySet,
    ProgressUpdate,
    Project,
    Sector,
    Source,
    Target,
)
from tracker.public import files as public_files
from tracker.spreadsheets import ADMIN_EXPORT_FORMATS

admin.site.site_header = _("Policy target tracker: staff")
admin.site.site_title = _("Policy target tracker")
admin.site.index_title = _("Record progress")

# Managers find staff here, by name and e-mail, to assign them (tracker.editorial.staff).
admin.site.unregister(get_user_model())
admin.site.register(get_user_model(), staff.StaffUserAdmin)


SCOPED = (Programme, Project, Target, Milestone, Measurement, ProgressUpdate)


def scoped_choices(model, user) -> QuerySet:
    """The records of `model` a person may attach things to."""
    if model is Programme and not user.is_superuser:
        # An editor's records belong to the programmes of their projects.
        return (
            Programme.objects.filter(pk__in=projects_for(user).values("programme"))
            | programmes_for(user)
        ).distinct()
    return scope(model._default_manager.all(), user)


if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

    # The mixins below go in front of a ModelAdmin: checked as one.
    ModelAdminMixin = admin.ModelAdmin[Any]
else:
    ModelAdminMixin = object


class ScopedMixin(ModelAdminMixin):
    """Lists, forms, choices, autocompletes and exports hold only what the person may
    work on: another project's records are simply not there."""

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return scope(super().get_queryset(request), request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.related_model in SCOPED:
            kwargs["queryset"] = scoped_choices(db_field.related_model, request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.related_model in SCOPED:
            kwargs["queryset"] = scoped_choices(db_field.related_model, request.user)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


def provenance_read_only(model, fields) -> tuple[str, ...]:
    """Where a record came from is written by whatever loaded it (a FACTS.md row, an
    accepted submission), never typed in: staff read it, so a correction can be traced."""
    fields = tuple(fields)
    if any(field.name == "provenance" for field in model._meta.concrete_fields):
        fields = (*fields, "provenance")
    return fields


# By programme: a short list, and a box for part of a name (tracker.editorial.paging).
PROGRAMME_FILTERS = (
    ("programme", ShortRelatedListFilter),
    name_filter("programme", _("programme name")),
)


class TrackerAdmin(ScopedMixin, TranslationAdmin, SimpleHistoryAdmin):
    form = TrackerForm
    list_per_page = 50
    # A list of millions costs what a list of thousands does (tracker.editorial.paging),
    # without a second count of the whole table beside a filtered one.
    paginator = LargeTablePaginator
    show_full_result_count = False
    readonly_fields = ("is_demo", "created_at", "updated_at")

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.current_user = request.user  # type: ignore[attr-defined]  # for TrackerForm
        return form

    def get_readonly_fields(self, request, obj=None):
        return provenance_read_only(self.model, super().get_readonly_fields(request, obj))

    def _in_scope_or_404(self, request, object_id) -> None:
        # simple-history would fall back to the history of a record outside the list.
        if not self.get_queryset(request).filter(pk=unquote(object_id)).exists():
            raise Http404

    def history_view(self, request, object_id, extra_context=None):
        self._in_scope_or_404(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self._in_scope_or_404(request, object_id)
        if request.method != "GET":
            # Reverting would write around the publishing path, the scope and the rules
            # for shared records: an old version is read here, and changed on the form.
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)

    def save_form(self, request, form, change):
        warn_untranslated(request, form)
        return super().save_form(request, form, change)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if request.method == "GET" and obj is not None and obj.pk:
            note_untranslated(request, obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def save_model(self, request: HttpRequest, obj, form, change: bool) -> None:
        reason = form.cleaned_data.get("change_reason", "").strip()
        if reason:
            obj._change_reason = reason
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        for inline_form in formset.forms:
            if inline_form.has_changed() and inline_form not in formset.deleted_forms:
                warn_untranslated(request, inline_form)
        if formset.model in publishing.REVIEWED_MODELS and hasattr(self, "save_reviewed_formset"):
            self.save_reviewed_formset(request, formset)
            return
        # Each inline row may carry its own reason.
        for inline_form in formset.forms:
            reason = (getattr(inline_form, "cleaned_data", None) or {}).get("change_reason")
            if reason:
                inline_form.instance._change_reason = reason.strip()
        super().save_formset(request, form, formset, change)

    def get_history_queryset(self, request, history_manager, pk_name, object_id) -> QuerySet:
        # As simple-history does, but naming the related rows to fetch: a bare
        # select_related() is deprecated in Django 6.1.
        related = [
            field.name
            for field in history_manager.model.tracked_fields
            if isinstance(field, ForeignKey)
        ]
        return history_manager.filter(**{pk_name: object_id}).select_related(
            "history_user", *related
        )

    def set_history_delta_changes(self, request, historical_records, foreign_keys_are_objs=True):
        """Field changes per record, and many-to-many changes read in one query per field
        for the whole page (simple-history would query twice per record and field)."""
        records = list(historical_records)
        if not records:
            return
        m2m_names = [field.name for field in records[0]._history_m2m_fields]
        m2m_rows = {name: m2m_snapshots(records, name) for name in m2m_names}
        for newer, older in itertools.pairwise(records):
            delta = newer.diff_against(
                older, excluded_fields=m2m_names, foreign_keys_are_objs=foreign_keys_are_objs
            )
            helper = self.get_historical_record_context_helper(request, newer)
            changes = list(helper.context_for_delta_changes(delta))
            for field, snapshots, labels in m2m_rows.values():
                before, after = snapshots[older.pk], snapshots[newer.pk]
                if before != after:
                    changes.append(
                        {
                            "field": field.verbose_name,
                            "old": ", ".join(sorted(labels[pk] for pk in before)) or "—",
                            "new": ", ".join(sorted(labels[pk] for pk in after)) or "—",
                        }
                    )
            newer.history_delta_changes = changes

    @admin.display(boolean=True, description=_("demo"), ordering="is_demo")
    def demo(self, obj) -> bool:
        return obj.is_demo


def untranslated(model, data: dict) -> list[str]:
    """The labels of the texts a form gives in English and leaves empty in Chinese."""
    try:
        fields = translator.get_options_for_model(model).all_fields
    except NotRegistered:
        return []
    labels = []
    for name in fields:
        english = data.get(build_localized_fieldname(name, "en"))
        chinese_name = build_localized_fieldname(name, "zh-hans")
        given = str(english or "").strip()
        if given and chinese_name in data and not str(data[chinese_name] or "").strip():
            labels.append(str(model._meta.get_field(name).verbose_name))
    return labels


def untranslated_message(record, labels: list[str]) -> str:
    return gettext(
        "“%(record)s” has no Chinese version of: %(fields)s. The Chinese pages show "
        "the English text until one is given."
    ) % {"record": record, "fields": punctuation("list").join(labels)}


def warn_untranslated(request: HttpRequest, form) -> None:
    """A public text saved in English only is shown in English on the Chinese pages:
    say so, naming the texts, each time such a record is saved."""
    labels = untranslated(form._meta.model, form.cleaned_data)
    if labels:
        messages.warning(request, untranslated_message(form.instance, labels))


def note_untranslated(request: HttpRequest, obj) -> None:
    """The same warning on opening a record, unless a save just gave it."""
    values = {field.name: getattr(obj, field.name) for field in obj._meta.concrete_fields}
    labels = untranslated(type(obj), values)
    if not labels:
        return
    text = untranslated_message(obj, labels)
    queued = messages.get_messages(request)
    already = any(message.message == text for message in queued)
    queued.used = False  # type: ignore[union-attr]  # reading them must not drop them
    if not already:
        messages.warning(request, text)


class PublishingMixin(ModelAdminMixin):
    """Saves go through the one write path (publishing.save_change): a manager's change is
    published, an editor's waits for review, and neither is written around it. This
    covers the full form, its inline rows and the rows of an editable list."""

    change_form_template = "admin/tracker/reviewed_change_form.html"

    def changelist_view(self, request, extra_context=None):
        # One transaction, so that each row's stale check locks the row until it is saved.
        with transaction.atomic():
            return super().changelist_view(request, extra_context)

    def propose(self, request, obj, form, via: str):
        reason = (form.cleaned_data.get("change_reason") or "").strip()
        names = {field.name for field in publishing.m2m_fields(type(obj))}
        m2m = {
            name: form.cleaned_data[name]
            for name in form.changed_data
            if name in names and name in form.cleaned_data
        }
        loaded = parse_datetime(form.cleaned_data.get("loaded_version") or "")
        try:
            result = publishing.save_change(
                instance=obj,
                by=request.user,
                reason=reason,
                m2m=m2m,
                loaded_version=loaded,
                via=via,
            )
        except publishing.StaleRecord as error:
            raise PermissionDenied(error.messages[0]) from error
        if result is not None and result.state == ChangeRequest.State.PUBLISHED:
            obj.pk = result.object_id
            obj._state.adding = False
        pending = getattr(request, "pending_changes", [])
        if result is not None and result.state == ChangeRequest.State.PENDING:
            pending.append(result)
        request.pending_changes = pending
        return result

    def save_model(self, request, obj, form, change):
        via = "list" if request.resolver_match.url_name.endswith("changelist") else "form"
        self.propose(request, obj, form, via)

    def save_related(self, request, form, formsets, change):
        # Many-to-many fields went with the record; inline rows each go their own way.
        for formset in formsets:
            self.save_formset(request, form, formset, change)

    def save_reviewed_formset(self, request, formset):
        # What the admin's change message reads of a saved formset.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for inline_form in formset.forms:
            if not inline_form.has_changed() or inline_form in formset.deleted_forms:
                continue
            obj = inline_form.instance
            setattr(obj, formset.fk.name, formset.instance)
            self.propose(request, obj, inline_form, "form")

    def sent_for_review(self, request) -> bool:
        return bool(getattr(request, "pending_changes", None))

    def log_addition(self, request, obj, message):
        if obj.pk:
            return super().log_addition(request, obj, message)
        return None

    def log_change(self, request, obj, message):
        if not self.sent_for_review(request):
            return super().log_change(request, obj, message)
        return None

    def tell_sent(self, request) -> None:
        for change in request.pending_changes:
            url = reverse("admin:tracker_changerequest_change", args=[change.pk])
            messages.info(
                request,
                format_html(
                    gettext(
                        "Your change to “{}” was sent for review. It is not public until a "
                        'manager of the programme publishes it: <a href="{}">see the change</a>.'
                    ),
                    change.subject,
                    url,
                ),
            )

    def response_add(self, request, obj, post_url_continue=None):
        if obj.pk is None and self.sent_for_review(request):
            self.tell_sent(request)
            return HttpResponseRedirect(reverse("admin:tracker_changerequest_changelist"))
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        if self.sent_for_review(request):
            self.tell_sent(request)
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk:
            context["pending_changes"] = publishing.pending_for(obj)
        return super().render_change_form(request, context, add, change, form_url, obj)


def citing_programmes(source: Source) -> set[int]:
    """The programmes whose public record cites `source`."""
    cited = Programme.objects.filter(
        Q(sources=source)
        | Q(projects__sources=source)
        | Q(targets__sources=source)
        | Q(targets__reported_equivalent_source=source)
        | Q(targets__measurements__source=source)
        | Q(milestones__evidence=source)
        | Q(updates__in=ProgressUpdate.objects.published().filter(sources=source).values("pk"))
    )
    return set(cited.values_list("pk", flat=True))


# Said on a published update or a cited source that only review may change.
SECOND_MANAGER_NOTE = _(
    "This programme asks for a second manager, so what the public reads here is not "
    "changed in place: publish a correction as a new update, or cite a new source in a "
    "change, for another manager to review."
)


def source_author(source: Source) -> int | None:
    """Who added `source` (the user of its first history entry), if a person did."""
    return (
        source.history.order_by("history_date", "history_id")
        .values_list("history_user_id", flat=True)
        .first()
    )


def cited_where_two_review(source: Source) -> bool:
    """Whether a programme that asks for a second manager cites `source` publicly."""
    return Programme.objects.filter(
        pk__in=citing_programmes(source), requires_second_approval=True
    ).exists()


def m2m_snapshots(records: list, name: str) -> tuple:
    """For one many-to-many field: its model field, the related ids each historical record
    held, and a label for every related id, in two queries."""
    field = records[0].instance_type._meta.get_field(name)
    through = getattr(records[0], name).model
    column = get_m2m_reverse_field_name(field)
    snapshots: dict[int, set[int]] = {record.pk: set() for record in records}
    for history_id, related_id in through.objects.filter(
        history_id__in=snapshots.keys()
    ).values_list("history_id", column):
        snapshots[history_id].add(related_id)
    related_ids = set().union(*snapshots.values())
    labels = {
        pk: str(obj)
        for pk, obj in field.related_model._default_manager.in_bulk(related_ids).items()
    }
    labels.update({pk: f"#{pk}" for pk in related_ids - labels.keys()})
    return field, snapshots, labels


class SharedRecordMixin(ModelAdminMixin):
    """Sectors and organisations are shared by every programme: managers add them, and
    only a site administrator changes one, since a rename shows on every programme."""

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is not None and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)


@admin.register(Organisation)
class OrganisationAdmin(SharedRecordMixin, TrackerAdmin):
    list_display = ("name", "short_name", "kind", "website", "demo")
    list_filter = ("kind", "is_demo")
    search_fields = ("name_en", "name_zh_hans", "short_name_en", "short_name_zh_hans")


class EvidenceFileInline(TranslationTabularInline):
    """Files on a record's own page: checked as they come in (tracker.editorial.files),
    kept as they are once saved (a different file is a new row)."""

    model = EvidenceFile
    form = EvidenceFileForm
    extra = 1
    can_delete = False
    readonly_fields = ("stored", "sha256")

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form.current_user = request.user  # type: ignore[attr-defined]  # for the form
        return formset

    @admin.display(description=_("stored file"))
    def stored(self, obj: EvidenceFile) -> str:
        if not obj.pk:
            return "—"
        if obj.preview and obj.preview_width and obj.preview_height:
            scale = min(1, 160 / max(obj.preview_width, obj.preview_height))
            return format_html(
                '<a href="{}"><img src="{}" alt="{}" width="{}" height="{}"></a>',
                obj.get_absolute_url(),
                obj.get_preview_url(),
                obj.alt_text or obj.original_name,
                round(obj.preview_width * scale),
                round(obj.preview_height * scale),
            )
        return format_html('<a href="{}">{}</a>', obj.get_absolute_url(), obj.original_name)


class SourceFileInline(EvidenceFileInline):
    fk_name = "source"
    fields = ("upload", "kind", "stored", "caption", "retrieved_at", "sha256")
    verbose_name = _("document or archived copy")
    verbose_name_plural = _("documents and archived copies")

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "kind":
            kwargs["choices"] = [
                (value, label)
                for value, label in EvidenceFile.Kind.choices
                if value != EvidenceFile.Kind.PHOTO
            ]
        return super().formfield_for_choice_field(db_field, request, **kwargs)


class PhotoInline(EvidenceFileInline):
    form = PhotoForm
    fields = ("upload", "stored", "caption", "alt_text", "sha256")
    verbose_name = _("photo")
    verbose_name_plural = _("photos")


class UpdatePhotoInline(PhotoInline):
    """Published with the update: not public before a manager publishes it. Until then
    a photo may be taken off again (its file goes too, unless another record holds the
    same one); once published it stays, as everything published does."""

    fk_name = "update"
    can_delete = True

    def has_delete_permission(self, request, obj=None) -> bool:
        return (
            obj is not None
            and obj.state != ProgressUpdate.State.PUBLISHED
            and super().has_delete_permission(request, obj)
        )


class MilestonePhotoInline(PhotoInline):
    """Each new photo goes through the publishing path like the milestone's own fields."""

    fk_name = "milestone"


@admin.register(Source)
class SourceAdmin(TrackerAdmin):
    """A source is shared evidence: once the public record cites it, only the managers of
    every programme that cites it may change it (a site administrator always)."""

    list_display = ("title", "publisher", "kind", "published_on", "language", "demo")
    inlines = [SourceFileInline]
    actions = ["archive_copy"]

    @admin.action(description=_("Archive a copy of the page"))
    def archive_copy(self, request, queryset) -> None:
        """A manager keeps a copy of each selected source's page, with its SHA-256 and
        the time it was retrieved (tracker.editorial.archive)."""
        if not is_a_manager(request.user):
            messages.error(request, gettext("Only a programme manager can archive a copy."))
            return
        # Within the time a request may take (IMPORT_TIME_LIMIT_SECONDS, below gunicorn's
        # timeout): a source whose fetch might not fit is left for another go.
        started = time.monotonic()
        budget = settings.IMPORT_TIME_LIMIT_SECONDS - settings.ARCHIVE_TIMEOUT_SECONDS
        for index, source in enumerate(queryset):
            if time.monotonic() - started > budget:
                messages.warning(
                    request,
                    gettext("Not tried, for lack of time: %(count)s. Select fewer at once.")
                    % {"count": queryset.count() - index},
                )
                break
            # An archived copy adds evidence and changes nothing cited: the managers of
            # every citing programme may add one, second approval or not.
            if not (request.user.is_superuser or self.in_scope(request, source)):
                messages.error(
                    request,
                    gettext("“%(source)s”: you may not change this source.") % {"source": source},
                )
                continue
            try:
                copy = archive.archive_source(source=source, by=request.user)
            except archive.ArchiveError as error:
                messages.error(request, f"“{source}”: {error}")
            else:
                messages.success(
                    request,
                    gettext("“%(source)s”: archived copy kept, SHA-256 %(hash)s.")
                    % {"source": source, "hash": copy.sha256},
                )

    def in_scope(self, request, obj: Source) -> bool:
        """Whether the person manages every programme that cites the source; a source no
        public record cites yet is its author's alone (what another programme's editor
        adds to it would become that programme's evidence unseen)."""
        citing = citing_programmes(obj)
        if not citing:
            return source_author(obj) == request.user.pk
        return not citing - set(programmes_for(request.user).values_list("pk", flat=True))

    def has_change_permission(self, request, obj=None) -> bool:
        if not super().has_change_permission(request, obj):
            return False
        if obj is None or request.user.is_superuser:
            return True
        if cited_where_two_review(obj):
            # What the public reads of the evidence of a programme that asks for a second
            # manager changes only through review: a new source, cited by a change.
            return False
        return self.in_scope(request, obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        source = self.get_object(request, object_id)
        if source is not None and not request.user.is_superuser and cited_where_two_review(source):
            messages.info(request, SECOND_MANAGER_NOTE)
        return super().change_view(request, object_id, form_url, extra_context)

    list_filter = ("kind", "language", "is_demo")
    search_fields = ("title_en", "title_zh_hans", "publisher_en", "publisher_zh_hans", "reference")
    date_hierarchy = "published_on"


class ProgrammeTargetInline(TranslationTabularInline):
    model = Target
    form = TargetForm
    can_delete = False
    verbose_name = _("programme-level target")
    verbose_name_plural = _("programme-level targets")
    fields = (
        "title",
        "kind",
        "currency",
        "unit",
        "comparator",
        "target_value",
        "due_earliest",
        "due_on",
        "rollup",
        "change_reason",
        "loaded_version",
    )
    extra = 0
    show_change_link = True

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).filter(project__isnull=True)


@admin.register(Programme)
class ProgrammeAdmin(PublishingMixin, TrackerAdmin):
    list_display = (
        "name",
        "slug",
        "host",
        "announced_on",
        "projects_identified",
        "planned_project_count",
        "demo",
    )
    list_filter = ("is_demo",)
    list_select_related = ("host",)
    search_fields = ("name_en", "name_zh_hans", "slug")
    prepopulated_fields = {"slug": ("name_en",)}
    autocomplete_fields = ("designated_by", "host", "sources", "sectors", "managers")
    inlines = [ProgrammeTargetInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return cast(ProgrammeQuerySet, super().get_queryset(request)).with_project_count()

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        if not request.user.is_superuser:
            # Who manages a programme is given by an administrator; its managers staff
            # its projects on "Staff and editors" (tracker.editorial.staff).
            fields = (*fields, "managers")
        return fields

    @admin.display(description=_("projects identified"), ordering="project_count")
    def projects_identified(self, obj: Programme) -> int:
        return obj.project_count  # type: ignore[attr-defined]  # annotated by get_queryset


@admin.register(Sector)
class SectorAdmin(SharedRecordMixin, TrackerAdmin):
    list_display = ("name", "slug", "demo")
    search_fields = ("name_en", "name_zh_hans", "slug")
    prepopulated_fields = {"slug": ("name_en",)}


class ProjectTargetInline(TranslationTabularInline):
    model = Target
    form = TargetForm
    fk_name = "project"
    can_delete = False
    fields = (
        "title",
        "kind",
        "currency",
        "unit",
        "comparator",
        "baseline_value",
        "baseline_on",
        "target_value",
        "due_earliest",
        "due_on",
        "change_reason",
        "loaded_version",
    )
    extra = 0
    show_change_link = True


class ProjectMilestoneInline(TranslationTabularInline):
    model = Milestone
    form = MilestoneForm
    fk_name = "project"
    can_delete = False
    fields = (
        "title",
        "planned_on",
        "forecast_on",
        "completed_on",
        "status",
        "weight",
        "change_reason",
        "loaded_version",
    )
    extra = 0
    show_change_link = True


@admin.register(Project)
class ProjectAdmin(PublishingMixin, TrackerAdmin):
    list_display = (
        "name",
        "programme",
        "sector",
        "lifecycle_status",
        "declared_rating",
        "computed_rating_text",
        "start_on",
        "due_on",
        "demo",
    )
    list_filter = ("lifecycle_status", "declared_rating", *PROGRAMME_FILTERS, "sector", "is_demo")
    list_select_related = ("programme", "sector")
    search_fields = ("name_en", "name_zh_hans", "slug")
    prepopulated_fields = {"slug": ("name_en",)}
    autocomplete_fields = ("programme", "sector", "lead_organisations", "editors", "sources")
    # Targets and milestones added here take the project's programme (ProjectOrProgrammeRecord).
    inlines = [ProjectTargetInline, ProjectMilestoneInline]

    def changelist_view(self, request, extra_context=None):
        stored.refresh_stale()  # the list shows stored ratings (tracker.stored)
        return super().changelist_view(request, extra_context)

    def is_editor_only(self, request, obj) -> bool:
        return obj is not None and not programmes_for(request.user).filter(pk=obj.programme_id)

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        if self.is_editor_only(request, obj):
            # An editor works on the project; who edits it, and where, is the manager's call.
            fields = (*fields, "programme", "slug", "editors")
        return fields

    def get_prepopulated_fields(self, request, obj=None):
        return (
            {}
            if self.is_editor_only(request, obj)
            else super().get_prepopulated_fields(request, obj)
        )

    @admin.display(description=_("computed rating"), ordering="computed_rating")
    def computed_rating_text(self, obj: Project) -> str:
        return status.rating_text(obj.computed_rating)


class MeasurementInline(admin.TabularInline):
    """Read-only here: a measurement is recorded on its own page, with its source."""

    model = Measurement
    fields = ("as_of", "value", "source", "note")
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = True

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("source")


class ScopedImportExportMixin(BoundedImportMixin, ImportExportMixin):
    """Imports and exports see only the person's own projects; an import carries one
    reason for the whole file, offers an empty template to fill in, and is bounded in
    size, rows and cell length (tracker.editorial.uploads); exports are escaped so that no cell
    opens as a formula (tracker.spreadsheets)."""

    import_form_class = ReasonImportForm
    confirm_form_class = ReasonConfirmImportForm
    import_template_name = "admin/tracker/import.html"
    export_formats = ADMIN_EXPORT_FORMATS

    def get_resource_kwargs(self, request, *args, **kwargs):
        return {**super().get_resource_kwargs(request, *args, **kwargs), "user": request.user}

    def get_confirm_form_initial(self, request, import_form):
        initial = super().get_confirm_form_initial(request, import_form)
        if import_form is not None:
            initial["reason"] = import_form.cleaned_data.get("reason", "")
        return initial

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "import/template.csv",
                self.admin_site.admin_view(self.import_template),
                name="{}_{}_import_template".format(*info),
            ),
            *super().get_urls(),
        ]

    def import_template(self, request):
        """The columns an import reads, as an empty CSV file to fill in."""
        if not self.has_import_permission(request) or not self.has_add_permission(request):
            raise PermissionDenied
        resource = self.get_import_resource_classes(request)[0](user=request.user)
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="{self.opts.model_name}-import-template.csv"'
        )
        csv.writer(response).writerow(resource.get_export_headers())
        return response


class NoDeleteMixin(ModelAdminMixin):
    """What the public has seen is withdrawn with a reason, never deleted."""

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ProgrammeGroup)
class ProgrammeGroupAdmin(TranslationAdmin):
    """Families of programmes compared side by side on a public page. Only a site
    administrator keeps them (no staff role is given their permissions): a group spans
    programmes that different managers run."""

    list_display = ("name", "slug")
    search_fields = ("name_en", "name_zh_hans", "slug")
    prepopulated_fields = {"slug": ("name_en",)}
    autocomplete_fields = ("programmes",)
    readonly_fields = ("provenance", "created_at", "updated_at")


@admin.register(Target)
class TargetAdmin(PublishingMixin, NoDeleteMixin, TrackerAdmin):
    form = TargetForm
    list_display = (
        "title",
        "programme",
        "project",
        "kind",
        "target_display",
        "due_earliest",
        "due_on",
        "rollup",
        "computed_status",
        "demo",
    )
    list_filter = ("kind", "rollup", "comparator", *PROGRAMME_FILTERS, "is_demo")
    list_select_related = ("programme", "project")
    search_fields = ("title_en", "title_zh_hans")
    autocomplete_fields = ("programme", "project", "sources", "reported_equivalent_source")
    inlines = [MeasurementInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("programme", "project")

    def changelist_view(self, request, extra_context=None):
        stored.refresh_stale()  # the list shows stored statuses (tracker.stored)
        return super().changelist_view(request, extra_context)

    @admin.display(description=_("target value"), ordering="target_value")
    def target_display(self, obj: Target) -> str:
        return format_target_value(obj.target_value, obj)

    @admin.display(description=_("computed status"))
    def computed_status(self, obj: Target) -> str:
        return status.status_text(status.stored(obj))


@admin.register(Measurement)
class MeasurementAdmin(PublishingMixin, ScopedImportExportMixin, NoDeleteMixin, TrackerAdmin):
    form = MeasurementForm
    resource_classes = [MeasurementResource]
    list_display = ("target", "value_display", "as_of", "source", "demo")
    list_filter = (
        ("target__programme", ShortRelatedListFilter),
        name_filter("target__programme", _("programme name")),
        "target__kind",
        "is_demo",
    )
    list_select_related = ("target", "source")
    search_fields = ("target__title_en", "target__title_zh_hans", "note_en", "note_zh_hans")
    autocomplete_fields = ("target", "source")
    # Millions of rows: no second, unfiltered count, and no date drill-down (its
    # distinct-dates query reads the whole table); filter by programme instead.
    show_full_result_count = False
    # Newest first, read straight off an index: the model's own order (by target, which
    # orders by programme, project and title) would sort every row to show a page.
    ordering = ("-as_of", "-pk")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # __str__ names the target, also in autocomplete results; a queryset that already
        # selects related rows makes the list ignore list_select_related, so name them all.
        return super().get_queryset(request).select_related(*self.list_select_related)

    @admin.display(description=_("value"), ordering="value")
    def value_display(self, obj: Measurement) -> str:
        return format_target_value(obj.value, obj.target)


@admin.register(Milestone)
class MilestoneAdmin(PublishingMixin, ScopedImportExportMixin, NoDeleteMixin, TrackerAdmin):
    form = MilestoneForm
    resource_classes = [MilestoneResource]
    list_display = (
        "title",
        "project",
        "programme",
        "planned_on",
        "forecast_on",
        "completed_on",
        "status",
        "overdue",
        "slippage",
        "demo",
    )
    # Staff update many milestones at once from the list.
    list_editable = ("status", "forecast_on", "completed_on")
    list_filter = (
        "status",
        year_filter("planned_on", _("planned in")),
        *PROGRAMME_FILTERS,
        "project__sector",
        "is_demo",
    )
    list_select_related = ("programme", "project")
    # Each row of an editable list renders four form widgets, at about a millisecond
    # each on a slow machine: 25 rows keep the page under 300 ms (see `make bench`).
    list_per_page = 25
    show_full_result_count = False
    search_fields = ("title_en", "title_zh_hans", "project__name_en", "project__name_zh_hans")
    autocomplete_fields = ("programme", "project", "evidence")
    inlines = [MilestonePhotoInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).with_slippage()  # type: ignore[attr-defined]

    # Under django-import-export's buttons, which extend it.
    change_list_template = "admin/tracker/milestone/change_list.html"

    def get_changelist_form(self, request: HttpRequest, **kwargs):
        # Rows edited in place are checked as the full form is: nothing saved meanwhile
        # by someone else is overwritten (the version travels in change_list.html).
        kwargs.setdefault("form", EditableRowForm)
        return super().get_changelist_form(request, **kwargs)

    @admin.display(boolean=True, description=_("overdue"))
    def overdue(self, obj: Milestone) -> bool:
        return obj.is_overdue

    @admin.display(description=_("slippage (days)"))
    def slippage(self, obj: Milestone) -> int:
        return obj.slippage_days()


@admin.register(ProgressUpdate)
class ProgressUpdateAdmin(TrackerAdmin):
    """Editors write and submit; a manager of the programme publishes or returns."""

    form = ProgressUpdateForm
    change_form_template = "admin/tracker/progressupdate/change_form.html"
    list_display = (
        "title",
        "programme",
        "project",
        "state",
        "author",
        "submitted_at",
        "published_at",
        "demo",
    )
    list_filter = (
        "state",
        year_filter("published_at", _("published in")),
        *PROGRAMME_FILTERS,
        "is_demo",
    )
    list_select_related = ("programme", "project", "author")
    search_fields = ("title_en", "title_zh_hans", "body_en", "body_zh_hans")
    autocomplete_fields = ("programme", "project", "milestones", "measurements", "sources")
    inlines = [UpdatePhotoInline]
    workflow_fields = (
        "state",
        "author",
        "submitted_at",
        "reviewer",
        "reviewed_at",
        "published_at",
    )

    def can_review(self, request, obj) -> bool:
        return obj is not None and services.can_review(request.user, obj)

    def get_readonly_fields(self, request, obj=None):
        fields = (*super().get_readonly_fields(request, obj), *self.workflow_fields)
        reviewing = self.can_review(request, obj) and obj.state == ProgressUpdate.State.SUBMITTED
        return fields if reviewing else (*fields, "review_comment")

    def has_change_permission(self, request, obj=None) -> bool:
        if not super().has_change_permission(request, obj):
            return False
        if obj is None or request.user.is_superuser:
            return True
        if obj.state == ProgressUpdate.State.PUBLISHED and obj.programme.requires_second_approval:
            # Where a second manager must see what the public reads, no one manager
            # rewrites it once published: a correction is a new update, reviewed.
            return False
        if self.can_review(request, obj):
            return True
        # Once submitted, an update is the reviewer's until it is returned.
        return obj.state in (ProgressUpdate.State.DRAFT, ProgressUpdate.State.RETURNED)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        update = self.get_object(request, object_id)
        if (
            update is not None
            and update.state == ProgressUpdate.State.PUBLISHED
            and update.programme.requires_second_approval
            and not request.user.is_superuser
        ):
            messages.info(request, SECOND_MANAGER_NOTE)
        return super().change_view(request, object_id, form_url, extra_context)

    def has_delete_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.state == ProgressUpdate.State.PUBLISHED:
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.author = request.user
        super().save_model(request, obj, form, change)
        steps = {
            "_submit_for_review": lambda: services.update_submit(update=obj, by=request.user),
            "_publish": lambda: services.update_publish(update=obj, by=request.user),
            "_return": lambda: services.update_return(
                update=obj, by=request.user, comment=form.cleaned_data.get("review_comment", "")
            ),
        }
        for button, step in steps.items():
            if button in request.POST:
                try:
                    step()
                except services.WorkflowError as error:
                    messages.error(request, str(error))
                else:
                    messages.success(request, obj.get_state_display())

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context.update(
            {
                "can_submit": obj is None
                or obj.state in (ProgressUpdate.State.DRAFT, ProgressUpdate.State.RETURNED),
                "can_review": self.can_review(request, obj)
                and obj.state == ProgressUpdate.State.SUBMITTED,
            }
        )
        return super().render_change_form(request, context, add, change, form_url, obj)


class QueueFilter(admin.SimpleListFilter):
    """The queue opens on what waits for review; the other states are a click away."""

    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [*ChangeRequest.State.choices, ("all", _("All"))]

    def value(self):
        return super().value() or ChangeRequest.State.PENDING

    def queryset(self, request, queryset):
        value = self.value()
        return queryset if value == "all" else queryset.filter(state=value)

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == str(lookup),
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }


@admin.register(ChangeRequest)
class ChangeRequestAdmin(admin.ModelAdmin):
    """The review queue: each change to the public record, before and after, with who
    and why; a manager of the programme publishes it or returns it with a comment."""

    change_form_template = "admin/tracker/changerequest/change_form.html"
    change_list_template = "admin/tracker/changerequest/change_list.html"
    list_display = ("subject", "kind", "programme", "project", "author_name", "state", "created_at")
    list_filter = (QueueFilter, "programme")
    list_select_related = ("programme", "project", "author", "content_type")
    search_fields = ("subject", "reason")
    fields = ("review_comment",)
    show_full_result_count = False
    paginator = LargeTablePaginator

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(
            Q(programme__in=programmes_for(request.user).values("pk")) | Q(author=request.user)
        )

    def changelist_view(self, request, extra_context=None):
        # One queue: the updates submitted for review are listed above the changes.
        updates = ProgressUpdate.objects.filter(
            state=ProgressUpdate.State.SUBMITTED, programme__in=programmes_for(request.user)
        ).select_related("programme", "project")
        extra_context = {**(extra_context or {}), "submitted_updates": list(updates[:50])}
        return super().changelist_view(request, extra_context)

    @admin.display(description=_("kind of record"), ordering="content_type")
    def kind(self, obj: ChangeRequest) -> "str | StrPromise":
        label = capfirst(obj.content_type.model_class()._meta.verbose_name)  # type: ignore[union-attr]
        return format_lazy("{} ({})", label, _("new")) if obj.is_addition else str(label)

    @admin.display(description=_("author"), ordering="author")
    def author_name(self, obj: ChangeRequest) -> str:
        return person(obj.author)

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_view_permission(request, obj)

    def get_readonly_fields(self, request, obj=None):
        if (
            obj is not None
            and obj.state == ChangeRequest.State.PENDING
            and self.reviews(request, obj)
        ):
            return ()
        return ("review_comment",)

    def reviews(self, request, obj: ChangeRequest) -> bool:
        return publishing.can_publish(request.user, obj.programme)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        pending = obj is not None and obj.state == ChangeRequest.State.PENDING
        record_url = ""
        if obj is not None and obj.object_id:
            model = obj.content_type.model_class()
            record_url = reverse(
                f"admin:tracker_{model._meta.model_name}_change", args=[obj.object_id]
            )
        context.update(
            {
                "title": _("Review a change to the public record"),
                "change_request": obj,
                "rows": publishing.describe(obj) if obj is not None else [],
                "record_url": record_url,
                "can_review": pending and self.reviews(request, obj),
                "can_withdraw": pending and obj.author_id == request.user.pk,
                "author_name": person(obj.author) if obj else "",
                "reviewer_name": person(obj.reviewer) if obj and obj.reviewer_id else "",
                "via": publishing.VIA_LABELS.get(obj.source, obj.source) if obj else "",
                "pending_photo": pending_photo(obj),
                "show_save": False,
                "show_save_and_continue": False,
                "show_save_and_add_another": False,
            }
        )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_urls(self):
        return [
            path(
                "<path:object_id>/file/<str:field>/",
                self.admin_site.admin_view(self.pending_file),
                name="tracker_changerequest_file",
            ),
            *super().get_urls(),
        ]

    def pending_file(self, request, object_id, field):
        """The file a proposed photo names, for its reviewer (and author) to see before it
        is published; the public reaches it only once published (tracker.public.files)."""
        change = self.get_queryset(request).filter(pk=unquote(object_id)).first()
        name = (change.values.get(field) if change is not None else None) or ""
        if (
            change is None
            or change.content_type.model_class() is not EvidenceFile
            or field not in ("file", "preview")
            or not name.startswith("evidence/")
        ):
            raise Http404
        media_type = "image/jpeg" if field == "preview" else change.values.get("media_type", "")
        return public_files.serve(
            name,
            media_type or "application/octet-stream",
            name.rsplit("/", 1)[-1],
            attachment=not media_type.startswith("image/"),
        )

    def response_change(self, request, obj):
        steps = {
            "_publish": lambda: publishing.publish(change=obj, by=request.user),
            "_return": lambda: publishing.return_change(
                change=obj, by=request.user, comment=request.POST.get("review_comment", "")
            ),
            "_withdraw": lambda: publishing.withdraw(change=obj, by=request.user),
        }
        for button, step in steps.items():
            if button in request.POST:
                try:
                    done = step()
                except (ValidationError, PermissionDenied) as error:
                    text = error.messages[0] if isinstance(error, ValidationError) else str(error)
                    messages.error(request, text)
                    return HttpResponseRedirect(request.path)
                messages.success(
                    request,
                    format_lazy("{}: {}", done.subject, done.get_state_display()),
                )
                return HttpResponseRedirect(reverse("admin:tracker_changerequest_changelist"))
        return HttpResponseRedirect(request.path)

    def save_model(self, request, obj, form, change):
        # The comment is saved by the review step itself (publishing.return_change).
        pass


def pending_photo(change: ChangeRequest | None) -> dict | None:
    """A proposed photo's preview, shown on its review page."""
    if change is None or change.content_type.model_class() is not EvidenceFile:
        return None
    values = change.values
    if not values.get("preview"):
        return None
    url = reverse("admin:tracker_changerequest_file", args=[change.pk, "preview"])
    return {
        "preview": url,
        "file": reverse("admin:tracker_changerequest_file", args=[change.pk, "file"]),
        "alt": values.get("alt_text_en") or values.get("caption_en") or values.get("file"),
        "width": values.get("preview_width"),
        "height": values.get("preview_height"),
    }


def person(user) -> str:
    """A person as colleagues know them: full name and e-mail, else the login name."""
    return gettext("the system") if user is None else notifications.display_name(user)


# Readers' evidence, triaged by the programmes' managers; the outbox of queued e-mail,
# for superusers.
from tracker.editorial import evidence_admin, outbox_admin  # noqa: E402, F401
