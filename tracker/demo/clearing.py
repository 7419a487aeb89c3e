"""Removing the illustrative records, and nothing else."""

from typing import Any, cast

from django.db import transaction

from tracker import stored
from tracker.models import DEMO_MODELS


@transaction.atomic
@stored.batched
def clear_demo_records() -> dict[str, int]:
    """Delete every illustrative record and nothing else; counts by model."""
    deleted = {}
    for model in DEMO_MODELS:
        _, by_model = model._default_manager.filter(is_demo=True).delete()
        deleted[str(model._meta.verbose_name_plural)] = by_model.get(model._meta.label, 0)
        # Their history is illustrative too.
        # simple-history adds `history` to each model.
        cast(Any, model).history.model._default_manager.filter(is_demo=True).delete()
    return deleted
