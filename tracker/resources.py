"""Bulk import and export of milestones and measurements (django-import-export).

Rows name their project by the programme's and the project's slugs, as people write
them in a spreadsheet; a row outside the importing person's projects is refused like
an unknown one. Any bad row stops the whole import, and names its row.
"""

from __future__ import annotations

from import_export import fields, resources, widgets

from tracker.models import Measurement, Milestone, Project, Source, Target
from tracker.scopes import scope

DATE = widgets.DateWidget(format="%Y-%m-%d")


class ScopedForeignKeyWidget(widgets.ForeignKeyWidget):
    """A foreign key that only finds what the importing person may work on."""

    def __init__(self, model, field="pk", *, user=None, message: str = ""):
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


class ScopedResource(resources.ModelResource):
    def __init__(self, user=None, **kwargs):
        super().__init__(**kwargs)
        self.user = user
        for field in self.fields.values():
            if isinstance(field.widget, ScopedForeignKeyWidget):
                field.widget.user = user

    def validate_instance(self, instance, *args, **kwargs):
        # A project's milestone belongs to the project's programme (as in the admin).
        if getattr(instance, "project_id", None) and not instance.programme_id:
            instance.programme_id = instance.project.programme_id
        super().validate_instance(instance, *args, **kwargs)

    def filter_export(self, queryset, **kwargs):
        queryset = super().filter_export(queryset, **kwargs)
        return scope(queryset, self.user) if self.user is not None else queryset


class ProjectWidget(ScopedForeignKeyWidget):
    """`programme-slug/project-slug`, unique across programmes."""

    def __init__(self, **kwargs):
        super().__init__(Project, message="Unknown project “%(value)s”.", **kwargs)

    def clean(self, value, row=None, **kwargs):
        if value in (None, ""):
            return None
        programme, _, slug = str(value).strip().partition("/")
        found = self.get_queryset(value, row).filter(programme__slug=programme, slug=slug).first()
        if found is None:
            raise ValueError(self.message % {"value": value})
        return found

    def render(self, value, obj=None, **kwargs):
        return f"{value.programme.slug}/{value.slug}" if value else ""


class MilestoneResource(ScopedResource):
    project = fields.Field(attribute="project", column_name="project", widget=ProjectWidget())
    planned_on = fields.Field(attribute="planned_on", column_name="planned_on", widget=DATE)
    forecast_on = fields.Field(attribute="forecast_on", column_name="forecast_on", widget=DATE)
    completed_on = fields.Field(attribute="completed_on", column_name="completed_on", widget=DATE)
    weight = fields.Field(attribute="weight", column_name="weight", widget=widgets.IntegerWidget())

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
        )
        export_order = fields
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True

    def before_save_instance(self, instance, row, **kwargs):
        instance._change_reason = "Imported from a file."

    def get_queryset(self):
        return super().get_queryset().select_related("project__programme")


class MeasurementResource(ScopedResource):
    target = fields.Field(
        attribute="target",
        column_name="target",
        widget=ScopedForeignKeyWidget(Target, message="Unknown target “%(value)s”."),
    )
    value = fields.Field(attribute="value", column_name="value", widget=widgets.DecimalWidget())
    as_of = fields.Field(attribute="as_of", column_name="as_of", widget=DATE)
    source = fields.Field(
        attribute="source",
        column_name="source",
        widget=ScopedForeignKeyWidget(Source, message="Unknown source “%(value)s”."),
    )

    class Meta:
        model = Measurement
        fields = ("id", "target", "value", "as_of", "source", "note_en", "note_zh_hans")
        export_order = fields
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True

    def before_save_instance(self, instance, row, **kwargs):
        instance._change_reason = "Imported from a file."
