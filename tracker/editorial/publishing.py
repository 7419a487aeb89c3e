"""The one write path for the public record.

Every change to a programme, project, target, milestone or measurement, whether it
comes from an admin form, a row of an admin list, an imported file or a command, goes
through `save_change()`. It checks the person's scope and the reason the public will
read, and then either publishes the change (a manager of the programme, or the system)
or keeps it as a pending `ChangeRequest` for a manager to publish or return. The
public tables therefore only ever hold what was published, and public pages read them
through each model's `published()`.

Values travel as text per field (`Field.value_to_string`, read back with
`Field.to_python`), so a pending change is data, not a half-saved record.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, NoReturn, cast

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from modeltranslation.translator import NotRegistered, translator

from tracker import followers
from tracker.editorial import notifications
from tracker.editorial.scopes import scope
from tracker.formatting import format_number
from tracker.models import (
    ChangeRequest,
    EvidenceFile,
    Measurement,
    Milestone,
    Programme,
    Project,
    Source,
    Target,
)

REVIEWED_MODELS: tuple[type[models.Model], ...] = (
    Programme,
    Project,
    Target,
    Milestone,
    Measurement,
    # A milestone's photo, published with review like the milestone; an update's photos
    # are published with the update (workflow.py), a source's files with the source.
    EvidenceFile,
)

# Bookkeeping, never proposed.
SKIPPED = {"id", "is_demo", "created_at", "updated_at"}

# What a record belongs to. An edit never moves a record to another programme, project
# or target; only a manager of both may.
OWNER_FIELDS: dict[type[models.Model], tuple[str, ...]] = {
    Project: ("programme",),
    Target: ("programme", "project"),
    Milestone: ("programme", "project"),
    Measurement: ("target",),
    EvidenceFile: ("source", "update", "milestone"),
}

# Who works on a project, and what identifies it, is the manager's call.
MANAGER_FIELDS: dict[type[models.Model], tuple[str, ...]] = {
    Project: ("slug", "editors"),
    Target: ("rollup",),
}

# Changes the public reads in "What changed": each needs a stated reason.
REASON_FIELDS: dict[type[models.Model], tuple[str, ...]] = {
    Target: (
        "target_value",
        "due_on",
        "due_earliest",
        "title_en",
        "title_zh_hans",
        "description_en",
        "description_zh_hans",
        "withdrawn_on",
    ),
    Milestone: ("planned_on", "withdrawn_on"),
}


class StaleRecord(ValidationError):
    """Someone saved the record after the form that changes it was loaded."""


# Fields


def _translated_originals(model: type[models.Model]) -> set[str]:
    try:
        return set(translator.get_options_for_model(model).all_fields)
    except NotRegistered:
        return set()


def value_fields(model: type[models.Model]) -> list[models.Field]:
    """The concrete fields a change may set: each language of a translated field, never
    the untranslated original (modeltranslation fills it)."""
    originals = _translated_originals(model)
    return [
        field
        for field in model._meta.concrete_fields
        if field.editable
        and not field.primary_key
        and field.name not in SKIPPED
        and field.name not in originals
    ]


def m2m_fields(model: type[models.Model]) -> list[models.Field]:
    return [field for field in model._meta.many_to_many if field.editable]


def dump(field: models.Field, obj: models.Model) -> str | None:
    """One field's value as text, the same text for the same value however it was read
    (a form's Decimal("5") and the database's Decimal("5.0000"); None and "" for text)."""
    value = field.value_from_object(obj)
    if isinstance(field, models.CharField | models.TextField):
        return value or ""
    if value is None:
        return None
    if isinstance(field, models.DecimalField):
        try:
            value = field.to_python(value)
        except ValidationError:
            return str(value)
        return str(value.quantize(Decimal(10) ** -field.decimal_places))
    return field.value_to_string(obj)


def load(field: models.Field, text: str | None) -> Any:
    return None if text is None else field.to_python(text)


def snapshot(obj: models.Model, with_m2m: bool = True) -> dict[str, Any]:
    """The record's values as stored in a change (many-to-many as sorted ids)."""
    values: dict[str, Any] = {field.name: dump(field, obj) for field in value_fields(type(obj))}
    if with_m2m and obj.pk:
        for field in m2m_fields(type(obj)):
            values[field.name] = sorted(getattr(obj, field.name).values_list("pk", flat=True))
    return values


# Who may do what


def owner_of(obj: models.Model) -> tuple[Programme, Project | None]:
    """The programme and project a record (new or not) belongs to."""
    if isinstance(obj, Programme):
        return obj, None
    if isinstance(obj, Project):
        return obj.programme, obj
    if isinstance(obj, Measurement):
        return obj.target.programme, obj.target.project
    if isinstance(obj, EvidenceFile):
        if obj.record is None or isinstance(obj.record, Source):
            _refuse(_("A source's files are kept on the source."))
        return owner_of(obj.record)
    # Every other record is a ProjectPart.
    project = obj.project if obj.project_id else None  # type: ignore[attr-defined]
    return (project.programme if project else obj.programme), project  # type: ignore[attr-defined]


def can_publish(user, programme: Programme) -> bool:
    """Managers of the programme publish its changes (a superuser anywhere)."""
    if user is None:
        return True  # the system: loaders and commands run by the operator
    if not user.is_active:
        return False
    return user.is_superuser or manages(user, programme.pk)


def _remembered(user, key: tuple, ask) -> bool:
    """A yes or no about `user`, asked once per request (an import asks it every row)."""
    answers = user.__dict__.setdefault("_publishing_answers", {})
    if key not in answers:
        answers[key] = ask()
    return answers[key]


def manages(user, programme_id: int) -> bool:
    return _remembered(
        user,
        ("manages", programme_id),
        lambda: Programme.objects.filter(pk=programme_id, managers=user).exists(),
    )


def edits(user, project_id: int) -> bool:
    return _remembered(
        user,
        ("edits", project_id),
        lambda: Project.objects.filter(pk=project_id, editors=user).exists(),
    )


def publishes_directly(user, programme: Programme) -> bool:
    """Whether a change by `user` is published as it is saved."""
    if user is None:
        return True
    return can_publish(user, programme) and not programme.requires_second_approval


def _refuse(message: str) -> NoReturn:
    raise PermissionDenied(message)


def check_scope(
    user, obj: models.Model, live: models.Model | None, values: Mapping[str, Any]
) -> None:
    """Refuse a change outside the person's scope, with the reason in words."""
    if user is None or user.is_superuser:
        return
    model = type(obj)
    if live is None:
        # A new record carries every field: a manager's field counts as set only when
        # it differs from the default.
        defaults = snapshot(model(), with_m2m=False)
        changed = {name for name, text in values.items() if defaults.get(name, []) != text}
    else:
        changed = set(values)
    programme, project = owner_of(obj)
    is_manager = manages(user, programme.pk)
    if live is not None and not scope(model._default_manager.filter(pk=live.pk), user).exists():
        _refuse(_("This record is not in your projects."))
    if model is Programme:
        if live is None or not is_manager:
            _refuse(_("Only a manager of the programme can change it."))
        return
    if live is not None and changed & set(OWNER_FIELDS.get(model, ())):
        _refuse(_("A record cannot be moved to another programme, project or target."))
    if not is_manager:
        if project is None:
            _refuse(
                _(
                    "Only a manager of the programme can record something for the whole "
                    "programme: choose one of your projects."
                )
            )
        if not edits(user, project.pk):
            _refuse(_("This record is not in your projects."))
        if changed & set(MANAGER_FIELDS.get(model, ())) or (model is Project and live is None):
            _refuse(_("Only a manager of the programme can change this."))


def check_reason(model: type[models.Model], changed: Iterable[str], reason: str) -> None:
    needing = [name for name in changed if name in REASON_FIELDS.get(model, ())]
    if needing and not reason.strip():
        fields = [cast("models.Field[Any, Any]", model._meta.get_field(name)) for name in needing]
        labels = ", ".join(str(field.verbose_name) for field in fields)
        raise ValidationError(
            _("Changing %(fields)s is shown to the public: give the reason.") % {"fields": labels},
            code="reason",
        )


# Saving


def _assign(obj: models.Model, values: Mapping[str, Any]) -> dict[str, list]:
    """Set the plain fields of `values` on `obj`; return the many-to-many ones."""
    many = {}
    for name, text in values.items():
        field = cast("models.Field[Any, Any]", type(obj)._meta.get_field(name))
        if field.many_to_many:
            many[name] = text
        else:
            setattr(obj, field.attname, load(field, text))
    return many


def _write(obj: models.Model, many: Mapping[str, list], *, reason: str, author) -> models.Model:
    # What django-simple-history records with the save.
    obj._change_reason = reason  # type: ignore[attr-defined]
    obj._history_user = author  # type: ignore[attr-defined]
    obj.full_clean()
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError as error:
        # Two saves raced past validation: answer as validation would have.
        obj.full_clean()
        raise ValidationError(
            _("This record could not be saved: %(error)s") % {"error": error}
        ) from error
    for name, ids in many.items():
        getattr(obj, name).set(ids)
    return obj


@transaction.atomic
def save_change(
    *,
    instance: models.Model,
    by,
    reason: str = "",
    m2m: Mapping[str, Iterable[models.Model]] | None = None,
    loaded_version: dt.datetime | None = None,
    via: str = "form",
) -> ChangeRequest | None:
    """Publish or propose `instance` (unsaved, with the new values; a pk for an existing
    record). Returns the change, or None when nothing differs from the public record.

    Raises PermissionDenied outside the person's scope, ValidationError for a missing
    reason or invalid values, StaleRecord if the record was saved after
    `loaded_version`."""
    model = type(instance)
    if model not in REVIEWED_MODELS:
        raise TypeError(f"{model.__name__} is not a reviewed model")
    reason = (reason or "").strip()
    live = None
    if instance.pk:
        # The row lock makes the check and the write one step: a second save of the same
        # stale form waits here, then sees the first one's version.
        live = (
            model._default_manager.select_for_update(of=("self",))
            .filter(pk=instance.pk)
            .order_by()
            .first()
        )
        if live is None:
            _refuse(_("This record is not in your projects."))
        if loaded_version is not None and live.updated_at > loaded_version:  # type: ignore[attr-defined]
            raise StaleRecord(
                _("Someone saved this record after you loaded it: reload and try again."),
                code="stale",
            )
    before = snapshot(live) if live is not None else {}
    values = changed_values(instance, before, m2m)
    if live is not None and not values:
        return None
    # The public record with the change applied (a new record is the instance itself, with
    # the related records it already holds): what is validated, and written if published.
    candidate = copy.copy(live) if live is not None else instance
    many = _assign(candidate, values)
    check_scope(by, live if live is not None else candidate, live, values)
    if live is not None:
        check_reason(model, values, reason)
    if isinstance(instance, EvidenceFile):
        # A pending change names the file by its stored name: it is stored now, and
        # served only once a published record holds it (EvidenceFile.objects.published).
        instance.store_files()
    programme, project = owner_of(candidate)
    change = ChangeRequest(
        project=project,
        content_type=ContentType.objects.get_for_model(model),
        object_id=live.pk if live is not None else None,
        is_addition=live is None,
        subject=str(live if live is not None else candidate)[:300],
        values=values,
        previous={name: before[name] for name in values if name in before},
        reason=reason,
        author=by,
        source=via,
        is_demo=getattr(candidate, "is_demo", False),
    )
    if programme.pk is None:
        # A new programme: only the system or a superuser makes one, published at once.
        if by is not None and not by.is_superuser:
            _refuse(_("Only a site administrator can add a programme."))
        obj = _write(candidate, many, reason=reason, author=by)
        change.programme = obj
        return _published(change, obj, by)
    change.programme = programme
    if publishes_directly(by, programme):
        obj = _write(candidate, many, reason=reason, author=by)  # validates, then saves
        return _published(change, obj, by)
    # Validated now, so that a pending change is one that can be published as it stands.
    candidate.full_clean()
    if live is not None:
        # One pending change per person and record: a second save replaces the first.
        ChangeRequest.objects.filter(
            state=ChangeRequest.State.PENDING,
            content_type=change.content_type,
            object_id=live.pk,
            author=by,
        ).delete()
    change.save()
    _tell(change, "submitted", by)
    return change


def _tell(change: ChangeRequest, event: str, actor) -> None:
    """E-mail whoever acts next: queued with the step, sent once it commits."""
    notifications.notify_change(change=change, event=event, actor=actor)


def changed_values(
    instance: models.Model, before: Mapping[str, Any], m2m: Mapping[str, Iterable] | None
) -> dict[str, Any]:
    """What `instance` (and its many-to-many values) changes of the record `before`."""
    proposed = snapshot(instance, with_m2m=False)
    for name, related in (m2m or {}).items():
        proposed[name] = sorted(item.pk for item in related)
    return {
        name: text for name, text in proposed.items() if name not in before or before[name] != text
    }


def refusal(*, instance: models.Model, by, m2m: Mapping[str, Iterable] | None = None) -> str:
    """Why `by` may not make this change ("" if they may): what save_change would refuse,
    for a form to say next to the fields before anything is saved."""
    model = type(instance)
    live = model._default_manager.filter(pk=instance.pk).first() if instance.pk else None
    values = changed_values(instance, snapshot(live) if live is not None else {}, m2m)
    try:
        check_scope(by, live if live is not None else instance, live, values)
    except PermissionDenied as error:
        return str(error)
    return ""


def _m2m_names(model: type[models.Model]) -> set[str]:
    return {field.name for field in m2m_fields(model)}


def _published(change: ChangeRequest, obj: models.Model, by) -> ChangeRequest:
    change.object_id = obj.pk
    change.subject = str(obj)[:300]
    change.state = ChangeRequest.State.PUBLISHED
    change.reviewer = by
    change.reviewed_at = timezone.now()
    change.save()
    # Readers following the record hear of it once the transaction commits.
    followers.published(change=change)
    return change


def pending_for(obj: models.Model) -> list[ChangeRequest]:
    return list(
        ChangeRequest.objects.filter(
            state=ChangeRequest.State.PENDING,
            content_type=ContentType.objects.get_for_model(type(obj)),
            object_id=obj.pk,
        ).select_related("author")
    )


def conflicts(change: ChangeRequest, live: models.Model) -> list[str]:
    """Fields whose public value moved since the change was proposed."""
    now = snapshot(live)
    return [name for name, text in change.previous.items() if now.get(name) != text]


@transaction.atomic
def publish(*, change: ChangeRequest, by) -> ChangeRequest:
    """A manager publishes a pending change: it is applied to the public record with its
    author's reason."""
    change = ChangeRequest.objects.select_for_update().get(pk=change.pk)
    if change.state != ChangeRequest.State.PENDING:
        raise ValidationError(_("Only a change waiting for review can be published."))
    if not can_publish(by, change.programme):
        _refuse(_("Only a manager of this programme can publish its changes."))
    if by is not None and by == change.author and change.programme.requires_second_approval:
        _refuse(_("This programme asks for a second manager: someone else must publish it."))
    model = cast("type[models.Model]", change.content_type.model_class())  # one of ours
    if change.object_id:
        obj = (
            model._default_manager.select_for_update(of=("self",))
            .order_by()
            .get(pk=change.object_id)
        )
        programme, project = owner_of(obj)
        if (programme.pk, project.pk if project else None) != (
            change.programme_id,
            change.project_id,
        ):
            raise ValidationError(
                _("This record has moved since the change was sent: return the change.")
            )
        moved = conflicts(change, obj)
        if moved:
            labels = ", ".join(field_label(model, name) for name in moved)
            raise ValidationError(
                _(
                    "The public record of %(fields)s changed after this was sent: return it "
                    "so that its author can check it against the current version."
                )
                % {"fields": labels}
            )
    else:
        obj = model()
    many = _assign(obj, change.values)
    _write(obj, many, reason=change.reason, author=change.author)
    _tell(change, "published", by)
    return _published(change, obj, by)


@transaction.atomic
def return_change(*, change: ChangeRequest, by, comment: str) -> ChangeRequest:
    change = ChangeRequest.objects.select_for_update().get(pk=change.pk)
    if change.state != ChangeRequest.State.PENDING:
        raise ValidationError(_("Only a change waiting for review can be returned."))
    if not can_publish(by, change.programme):
        _refuse(_("Only a manager of this programme can return its changes."))
    if not comment.strip():
        raise ValidationError(_("Say what needs changing: a returned change needs a comment."))
    change.state = ChangeRequest.State.RETURNED
    change.review_comment = comment.strip()
    change.reviewer = by
    change.reviewed_at = timezone.now()
    change.save()
    _tell(change, "returned", by)
    return change


@transaction.atomic
def withdraw(*, change: ChangeRequest, by) -> ChangeRequest:
    change = ChangeRequest.objects.select_for_update().get(pk=change.pk)
    if change.state != ChangeRequest.State.PENDING or change.author != by:
        _refuse(_("Only its author can withdraw a change waiting for review."))
    change.state = ChangeRequest.State.WITHDRAWN
    change.save()
    return change


# Reading a change


def field_label(model: type[models.Model], name: str) -> str:
    return str(capfirst(cast("models.Field[Any, Any]", model._meta.get_field(name)).verbose_name))


def show(model: type[models.Model], name: str, text: Any) -> str:
    """A stored value as a person reads it: dates in words, choices by label, related
    records by name."""
    if text is None or text == "" or text == []:
        return "—"
    field = cast("models.Field[Any, Any]", model._meta.get_field(name))
    if field.many_to_many:
        names = [str(obj) for obj in field.related_model._default_manager.filter(pk__in=text)]  # type: ignore[union-attr]
        return ", ".join(sorted(names)) or "—"
    value = load(field, text)
    if field.is_relation:
        related = field.related_model._default_manager.filter(pk=value).first()  # type: ignore[union-attr]
        return str(related) if related is not None else f"#{value}"
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, dt.date):
        return date_format(value, "DATE_FORMAT")
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(field, models.DecimalField):
        return format_number(value)
    return str(value)


def describe(change: ChangeRequest) -> list[tuple[str, str, str]]:
    """Each changed field as (label, before, after), readable."""
    model = cast("type[models.Model]", change.content_type.model_class())  # one of ours
    return [
        (
            field_label(model, name),
            show(model, name, change.previous.get(name)) if not change.is_addition else "",
            show(model, name, text),
        )
        for name, text in change.values.items()
    ]


VIA_LABELS = {
    "form": gettext_lazy("admin form"),
    "list": gettext_lazy("admin list"),
    "import": gettext_lazy("file import"),
    "command": gettext_lazy("command"),
}
