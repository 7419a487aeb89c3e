"""Fields kept in English and Simplified Chinese (django-modeltranslation)."""

from modeltranslation.translator import TranslationOptions, register, translator

from tracker import models


@register(models.Organisation)
class OrganisationTranslation(TranslationOptions):
    fields = ("name", "short_name", "description")
    required_languages = {"en": ("name",)}


@register(models.Source)
class SourceTranslation(TranslationOptions):
    fields = ("title", "publisher")
    required_languages = {"en": ("title",)}


@register(models.Programme)
class ProgrammeTranslation(TranslationOptions):
    fields = ("name", "scheme", "summary", "pledge")
    required_languages = {"en": ("name",)}


@register(models.Sector)
class SectorTranslation(TranslationOptions):
    fields = ("name",)
    required_languages = {"en": ("name",)}


@register(models.Project)
class ProjectTranslation(TranslationOptions):
    fields = ("name", "summary", "declared_rating_reason")
    required_languages = {"en": ("name",)}


@register(models.Target)
class TargetTranslation(TranslationOptions):
    fields = ("title", "description", "unit")
    required_languages = {"en": ("title",)}


@register(models.Measurement)
class MeasurementTranslation(TranslationOptions):
    fields = ("note",)


@register(models.Milestone)
class MilestoneTranslation(TranslationOptions):
    fields = ("title", "description")
    required_languages = {"en": ("title",)}


@register(models.ProgressUpdate)
class ProgressUpdateTranslation(TranslationOptions):
    fields = ("title", "body")
    required_languages = {"en": ("title",)}


@register(models.ProgrammeGroup)
class ProgrammeGroupTranslation(TranslationOptions):
    fields = ("name", "description")
    required_languages = {"en": ("name",)}


@register(models.EvidenceFile)
class EvidenceFileTranslation(TranslationOptions):
    fields = ("caption", "alt_text")


# History keeps both languages: each historical model gets the same translated fields,
# so a change to the Chinese text is recorded like a change to the English.
for _options in list(translator._registry.values()):
    _model = _options.model
    if hasattr(_model, "history"):
        _historical = _model.history.model
        translator.register(
            _historical,
            type(
                f"Historical{_model.__name__}Translation",
                (TranslationOptions,),
                {"fields": tuple(_options.local_fields), "required_languages": ()},
            ),
        )
        # simple-history copies and compares only the fields it saw at start-up.
        _historical.tracked_fields = [
            *_historical.tracked_fields,
            *(
                field
                for fields in translator.get_options_for_model(_model).all_fields.values()
                for field in fields
            ),
        ]
