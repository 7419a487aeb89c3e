"""Real programmes loaded from their checked facts, kept as data beside this module.

Each `<name>.toml` here holds one programme as its sources state it: organisations,
sources, sectors, the programme, its targets and milestones, each record with the
field values to load. Loading goes through the one write path
(tracker.editorial.publishing), published by the operator with the file's reason, and
writes only what differs, so a second load writes nothing, not even a history entry.
"""

import tomllib
from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import models, transaction

from tracker.editorial import publishing
from tracker.models import Milestone, Organisation, Programme, Sector, Source, Target

HERE = Path(__file__).resolve().parent
# Fields whose values are written as strings in the data, so that they load exactly.
DECIMAL_FIELDS = {"target_value", "baseline_value", "reported_equivalent_value", "value"}


def upsert[M: models.Model](
    model: type[M],
    *,
    lookup: Mapping[str, Any],
    values: Mapping[str, Any],
    many: Mapping[str, Iterable[models.Model]] | None = None,
    reason: str = "",
) -> tuple[M, bool]:
    """Create the record, or bring it in line with `values`, saving only on a change.

    Returns the record and whether anything was written.
    """
    obj = model._default_manager.filter(**lookup).first()
    changed = obj is None
    if obj is None:
        obj = model(**{**lookup, **values})
    else:
        for name, value in values.items():
            if getattr(obj, name) != value:
                setattr(obj, name, value)
                changed = True
    if model in publishing.REVIEWED_MODELS:
        # The public record: through the one write path, published by the operator
        # running the command, with the command's reason.
        change = publishing.save_change(
            instance=obj, by=None, reason=reason, m2m=many, via="command"
        )
        if change is None:
            return obj, False
        return model._default_manager.get(pk=change.object_id), True
    if changed:
        obj._change_reason = reason  # type: ignore[attr-defined]  # read by simple-history
        obj.full_clean()
        obj.save()
    for name, related in (many or {}).items():
        manager = getattr(obj, name)
        wanted = {item.pk for item in related}
        if set(manager.values_list("pk", flat=True)) != wanted:
            manager.set(wanted)
            changed = True
    return obj, changed


def read(name: str) -> dict[str, Any]:
    """The facts of one programme, `name` being its file here without `.toml`."""
    with (HERE / f"{name}.toml").open("rb") as file:
        return tomllib.load(file)


def _values(record: Mapping[str, Any], refs: Mapping[str, Mapping[str, models.Model]]):
    """Field values with references (organisation and source keys) made records and
    amounts made decimals; `sources` is returned apart, as a many-to-many."""
    values: dict[str, Any] = {}
    for field, value in record.items():
        if field in ("lookup", "sources"):
            continue
        if field in refs:
            value = refs[field][value]
        elif field in DECIMAL_FIELDS:
            value = Decimal(value)
        values[field] = value
    return values


@transaction.atomic
def load(name: str) -> tuple[Programme, int]:
    """Load one programme's facts; returns it and how many records were written."""
    facts = read(name)
    reason = facts["reason"]
    written = 0

    def save(model, lookup, values, many=None):
        nonlocal written
        obj, changed = upsert(model, lookup=lookup, values=values, many=many, reason=reason)
        written += changed
        return obj

    orgs = {
        key: save(Organisation, {"name_en": values["name_en"]}, values)
        for key, values in facts.get("organisations", {}).items()
    }
    sources = {}
    for key, values in facts.get("sources", {}).items():
        field = values["lookup"]
        sources[key] = save(Source, {field: values[field]}, _values(values, {}))
    for slug, values in facts.get("sectors", {}).items():
        save(Sector, {"slug": slug}, values)

    refs = {"designated_by": orgs, "host": orgs, "evidence": sources}
    refs["reported_equivalent_source"] = sources
    record = facts["programme"]
    programme = save(
        Programme,
        {"slug": record["slug"]},
        _values(record, refs),
        many={"sources": [sources[key] for key in record.get("sources", [])]},
    )
    for record in facts.get("targets", []):
        save(
            Target,
            {"programme": programme, "project": None, "kind": record["kind"]},
            _values(record, refs),
            many={"sources": [sources[key] for key in record.get("sources", [])]},
        )
    for record in facts.get("milestones", []):
        save(
            Milestone,
            {"programme": programme, "project": None, "evidence": sources[record["evidence"]]},
            _values(record, refs),
        )
    return programme, written
