"""Bulk import and export of milestones and measurements (django-import-export).

An imported row is a change like any other: it goes through publishing.save_change,
so it obeys the same scope, reason and review rules as the admin form (an editor's
rows wait for a manager). Rows name their project by the programme's and the
project's slugs, as people write them in a spreadsheet. An `id` only finds an existing
record among the importing person's own; it never chooses the id of a new one, and a
record never changes project, programme or target through an import. Any bad row
stops the whole import, and says what is wrong in words, next to its column.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import fields, resources, widgets
from import_export.forms import ConfirmImportForm
from import_export.resources import Diff

from tracker.editorial import publishing
from tracker.editorial.scopes import scope
from tracker.editorial.uploads import BoundedImportForm
from tracker.models import Measurement, Milestone, Project, Source, Target

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

FORMATS_HELP = gettext_lazy(
    "Dates as YYYY-MM-DD (2026-03-31); numbers plain, without units or thousands "
    "separators (1250000 or 12.5); leave id empty for a new record, or give the id of one "
    "of your records to change it. A change to a planned date or a target needs a reason: "
    "in a reason column, or below for the whole file."
)


class ReasonImportForm(BoundedImportForm):
    reason = forms.CharField(
        label=gettext_lazy("Reason for these changes"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy(
            "Shown to the public beside each changed date or target, unless a row gives "
            "its own in a reason column."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["import_file"].help_text = FORMATS_HELP


class ReasonConfirmImportForm(ConfirmImportForm):
    reason = forms.CharField(required=False, widget=forms.HiddenInput)


class DateWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        if value in (None, ""):
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value).strip())
        except ValueError:
            raise ValueError(
                _("Enter the date as YYYY-MM-DD, such as 2026-03-31 (not “%(value)s”).")
                % {"value": value}
            ) from None

    def render(self, value, obj=None, **kwargs):
        return value.isoformat() if value else ""


class NumberWidget(widgets.Widget):
    def __init__(self, integer: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.integer = integer

    def clean(self, value, row=None, **kwargs):
        if value in (None, ""):
            return None
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite() or (self.integer and number % 1):
            message = (
                _("Enter a whole number, such as 2 (not “%(value)s”).")
                if self.integer
                else _(
                    "Enter a plain number without units or thousands separators, such as "
                    "1250000 or 12.5 (not “%(value)s”)."
                )
            )
            raise ValueError(message % {"value": value})
        return int(number) if self.integer else number

    def render(self, value, obj=None, **kwargs):
        # A number stays a number in a spreadsheet.
        return "" if value is None else value


class ScopedForeignKeyWidget(widgets.ForeignKeyWidget):
    """A foreign key that only finds what the importing person may work on."""

    def __init__(self, model, field="pk", *, user=None, message: str | StrPromise = ""):
        super().__init__(model, field)
        self.user = user
        self.message = message

    def get_queryset(self, value, row, *args, **kwargs):
        queryset = self.model.objects.all()
        return scope(queryset, self.user) if self.user is not None else queryset

    def clean(self, value, row=None, **kwargs):
        if value in (None, ""):
            return None
        try:
            return super().clean(value, row, **kwargs)
        except (self.model.DoesNotExist, ValueError) as error:
            raise ValueError(self.message % {"value": value}) from error


class ProjectWidget(ScopedForeignKeyWidget):
    """`programme-slug/project-slug`, unique across programmes."""

    def __init__(self, **kwargs):
        super().__init__(Project, message=gettext_lazy("Unknown project “%(value)s”."), **kwargs)

    def clean(self, value, row=None, **kwargs):
        if value in (None, ""):
            return None
        # A file names the same few projects on every row: look each up once.
        known = self.__dict__.setdefault("known", {})
        key = str(value).strip()
        if key not in known:
            programme, _sep, slug = key.partition("/")
            known[key] = (
                self.get_queryset(value, row)
                .filter(programme__slug=programme, slug=slug)
                .select_related("programme")
                .first()
            )
        found = known[key]
        if found is None:
            raise ValueError(
                _("No project “%(value)s” among yours: write it as programme/project.")
                % {"value": value}
            )
        return found

    def render(self, value, obj=None, **kwargs):
        return f"{value.programme.slug}/{value.slug}" if value else ""


class TargetWidget(ScopedForeignKeyWidget):
    """A target by its id, or by its title (in either language) within the row's project."""

    def __init__(self, **kwargs):
        super().__init__(Target, message="", **kwargs)

    def clean(self, value, row=None, **kwargs):
        if value in (None, ""):
            return None
        text = str(value).strip()
        targets = self.get_queryset(value, row)
        if text.isdigit():
            found = targets.filter(pk=int(text)).first()
            if found is None:
                raise ValueError(_("No target with id %(value)s among yours.") % {"value": text})
            return found
        project = (row or {}).get("project")
        if project:
            programme, _sep, slug = str(project).strip().partition("/")
            targets = targets.filter(project__programme__slug=programme, project__slug=slug)
        matches = list(targets.filter(Q(title_en=text) | Q(title_zh_hans=text))[:2])
        if not matches:
            raise ValueError(_("No target titled “%(value)s” among yours.") % {"value": text})
        if len(matches) > 1:
            raise ValueError(
                _(
                    "Several of your targets are titled “%(value)s”: give its id, or the "
                    "project in a project column."
                )
                % {"value": text}
            )
        return matches[0]


class ReadableDiff(Diff):
    """The preview shows each changed value as old → new, whole, not a character diff."""

    def as_html(self):
        cells = []
        for before, after in zip(self.left, self.right, strict=False):
            before, after = str(before or ""), str(after or "")
            if self.new or before == after:
                cells.append(format_html("{}", after))
            else:
                cells.append(
                    format_html("<del>{}</del> → <ins>{}</ins>", before or "—", after or "—")
                )
        return cells


class ReviewedResource(resources.ModelResource):
    """Rows found only within the person's scope, saved through the publishing path."""

    reason = fields.Field(column_name="reason", readonly=False)

    owner_fields: tuple[str, ...] = ()

    def __init__(self, user=None, form=None, **kwargs):
        super().__init__(**kwargs)
        self.user = user
        cleaned = getattr(form, "cleaned_data", None) or {}
        self.file_reason = (cleaned.get("reason") or "").strip()
        for field in self.fields.values():
            if isinstance(field.widget, ScopedForeignKeyWidget):
                field.widget.user = user

    @classmethod
    def get_diff_class(cls):
        return ReadableDiff

    def scoped(self):
        queryset = self._meta.model.objects.all()
        return scope(queryset, self.user) if self.user is not None else queryset

    def get_instance(self, instance_loader, row):
        text = str(row.get("id") or "").strip()
        if not text:
            return None
        name = self._meta.model._meta.verbose_name
        if not text.isdigit():
            raise ValidationError(
                {"id": _("An id is a whole number (not “%(value)s”).") % {"value": text}}
            )
        found = self.scoped().filter(pk=int(text)).first()
        if found is None:
            raise ValidationError(
                {
                    "id": _(
                        "No %(kind)s with id %(id)s among yours: leave id empty to add a new one."
                    )
                    % {"kind": name, "id": text}
                }
            )
        return found

    def init_instance(self, row=None):
        return self._meta.model()

    def import_instance(self, instance, row, **kwargs):
        existing = instance.pk
        owners = {name: getattr(instance, f"{name}_id") for name in self.owner_fields}
        super().import_instance(instance, row, **kwargs)
        # The id column only finds a record; it never sets one.
        instance.pk = existing
        if existing:
            moved = [name for name, pk in owners.items() if getattr(instance, f"{name}_id") != pk]
            if moved:
                raise ValidationError(
                    {
                        name: _("An import cannot move a record to another %(what)s.")
                        % {"what": self._meta.model._meta.get_field(name).verbose_name}
                        for name in moved
                    }
                )

    def save_instance(self, instance, is_create, row, **kwargs):
        reason = str(row.get("reason") or "").strip() or self.file_reason
        try:
            publishing.save_change(instance=instance, by=self.user, reason=reason, via="import")
        except PermissionDenied as error:
            raise ValidationError(str(error)) from error

    def filter_export(self, queryset, **kwargs):
        queryset = super().filter_export(queryset, **kwargs)
        return scope(queryset, self.user) if self.user is not None else queryset


class MilestoneResource(ReviewedResource):
    project = fields.Field(attribute="project", column_name="project", widget=ProjectWidget())
    planned_on = fields.Field(attribute="planned_on", column_name="planned_on", widget=DateWidget())
    forecast_on = fields.Field(
        attribute="forecast_on", column_name="forecast_on", widget=DateWidget()
    )
    completed_on = fields.Field(
        attribute="completed_on", column_name="completed_on", widget=DateWidget()
    )
    weight = fields.Field(
        attribute="weight", column_name="weight", widget=NumberWidget(integer=True)
    )
    owner_fields = ("programme", "project")

    class Meta:
        model = Milestone
        fields = (
            "id",
            "project",
            "title_en",
            "title_zh_hans",
            "planned_on",
            "forecast_on",
            "completed_on",
            "status",
            "weight",
            "reason",
        )
        import_id_fields = ("id",)
        export_order = fields
        skip_unchanged = True
        report_skipped = True
        # publishing.save_change validates each row once; no second full_clean here.
        clean_model_instances = False

    def get_queryset(self):
        return super().get_queryset().select_related("project__programme")

    def import_instance(self, instance, row, **kwargs):
        super().import_instance(instance, row, **kwargs)
        if instance.project_id and not instance.programme_id:
            instance.programme_id = instance.project.programme_id


class MeasurementResource(ReviewedResource):
    target = fields.Field(attribute="target", column_name="target", widget=TargetWidget())
    value = fields.Field(attribute="value", column_name="value", widget=NumberWidget())
    as_of = fields.Field(attribute="as_of", column_name="as_of", widget=DateWidget())
    source = fields.Field(
        attribute="source",
        column_name="source",
        widget=ScopedForeignKeyWidget(
            Source, message=gettext_lazy("No source with id “%(value)s”.")
        ),
    )
    owner_fields = ("target",)

    class Meta:
        model = Measurement
        fields = ("id", "target", "value", "as_of", "source", "note_en", "note_zh_hans", "reason")
        import_id_fields = ("id",)
        export_order = fields
        skip_unchanged = True
        report_skipped = True
        # publishing.save_change validates each row once; no second full_clean here.
        clean_model_instances = False
