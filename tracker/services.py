"""Writes that touch several records, shared by the admin and the commands."""

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import models, transaction

from tracker.models import DEMO_MODELS


def upsert(
    model: type[models.Model],
    *,
    lookup: Mapping[str, Any],
    values: Mapping[str, Any],
    many: Mapping[str, Iterable[models.Model]] | None = None,
    reason: str = "",
) -> tuple[models.Model, bool]:
    """Create the record, or bring it in line with `values`, saving only on a change.

    Returns the record and whether anything was written, so a loader run twice writes
    nothing, not even a history entry.
    """
    obj = model.objects.filter(**lookup).first()
    changed = obj is None
    if obj is None:
        obj = model(**{**lookup, **values})
    else:
        for name, value in values.items():
            if getattr(obj, name) != value:
                setattr(obj, name, value)
                changed = True
    if changed:
        obj._change_reason = reason
        obj.full_clean()
        obj.save()
    for name, related in (many or {}).items():
        manager = getattr(obj, name)
        wanted = {item.pk for item in related}
        if set(manager.values_list("pk", flat=True)) != wanted:
            manager.set(wanted)
            changed = True
    return obj, changed


@transaction.atomic
def clear_demo_records() -> dict[str, int]:
    """Delete every illustrative record and nothing else; counts by model."""
    deleted = {}
    for model in DEMO_MODELS:
        _, by_model = model.objects.filter(is_demo=True).delete()
        deleted[str(model._meta.verbose_name_plural)] = by_model.get(model._meta.label, 0)
        # Their history is illustrative too.
        model.history.model.objects.filter(is_demo=True).delete()
    return deleted
