"""Real programmes loaded from their checked facts, kept as data beside this module.

Each `<name>.toml` here holds programmes as their sources state them: organisations,
sources, sectors, the programmes, their targets with any published measurements, their
milestones, and groups of programmes, each record with the field values to load. A file
may name, in `requires`, files whose organisations, sources and programmes it refers to;
they are loaded first. Every record carries its `provenance` (the file's, unless it gives
its own), which staff see, so that a later correction can be traced to the fact.

Loading goes through the one write path (tracker.editorial.publishing), published by
the operator with the file's reason, and writes only what differs, so a second load
writes nothing, not even a history entry.
"""

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import models, transaction

from tracker import stored
from tracker.editorial import publishing
from tracker.models import (
    Measurement,
    Milestone,
    Organisation,
    Programme,
    ProgrammeGroup,
    Sector,
    Source,
    Target,
)

HERE = Path(__file__).resolve().parent
# Fields whose values are written as strings in the data, so that they load exactly.
DECIMAL_FIELDS = {"target_value", "baseline_value", "reported_equivalent_value", "value"}
# Keys of a record that are not field values: how to find it again, and its children.
NOT_VALUES = {"lookup", "sources", "sectors", "measurements", "programmes", "extends"}


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
    """The facts in one file, `name` being its file here without `.toml`."""
    with (HERE / f"{name}.toml").open("rb") as file:
        return tomllib.load(file)


def names() -> list[str]:
    """Every file of facts here, each after the files it requires."""
    ordered: list[str] = []

    def visit(name: str, path: tuple[str, ...] = ()) -> None:
        if name in ordered:
            return
        if name in path:
            raise ValueError(f"{name}.toml requires itself through {' > '.join(path)}")
        for required in read(name).get("requires", []):
            visit(required, (*path, name))
        ordered.append(name)

    for file in sorted(HERE.glob("*.toml")):
        visit(file.stem)
    return ordered


@dataclass
class Loading:
    """What one run has loaded so far: records by their key in the files, and a count
    of the records written."""

    organisations: dict[str, Organisation] = field(default_factory=dict)
    sources: dict[str, Source] = field(default_factory=dict)
    sectors: dict[str, Sector] = field(default_factory=dict)
    programmes: dict[str, Programme] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    written: int = 0


def _lookup(record: Mapping[str, Any], default: Iterable[str]) -> list[str]:
    """The fields a record is found again by: its `lookup` (one name or a list)."""
    lookup = record.get("lookup", list(default))
    return [lookup] if isinstance(lookup, str) else list(lookup)


def _values(
    record: Mapping[str, Any],
    refs: Mapping[str, Mapping[str, models.Model]],
    provenance: str,
    model: type[models.Model],
) -> dict[str, Any]:
    """Field values with references (organisation and source keys) made records, amounts
    made decimals and the file's provenance where the record gives none; many-to-many
    keys and child records are left out."""
    values: dict[str, Any] = {}
    for name, value in record.items():
        if name in NOT_VALUES:
            continue
        if name in refs:
            value = refs[name][value]
        elif name in DECIMAL_FIELDS:
            value = Decimal(value)
        values[name] = value
    has_provenance = any(f.name == "provenance" for f in model._meta.concrete_fields)
    if provenance and has_provenance and "provenance" not in values:
        values["provenance"] = provenance
    return values


def _load_file(name: str, loading: Loading) -> list[Programme]:
    if name in loading.files:
        return []
    facts = read(name)
    for required in facts.get("requires", []):
        _load_file(required, loading)
    loading.files.append(name)
    reason = facts["reason"]
    provenance = facts.get("provenance", "")

    def save(model, lookup, values, many=None):
        obj, changed = upsert(model, lookup=lookup, values=values, many=many, reason=reason)
        loading.written += changed
        return obj

    for key, record in facts.get("organisations", {}).items():
        values = _values(record, {}, provenance, Organisation)
        lookup = {"name_en": values.pop("name_en")}
        loading.organisations[key] = save(Organisation, lookup, values)
    for key, record in facts.get("sources", {}).items():
        values = _values(record, {}, provenance, Source)
        lookup = {name: values.pop(name) for name in _lookup(record, ["url"])}
        loading.sources[key] = save(Source, lookup, values)
    for slug, record in facts.get("sectors", {}).items():
        loading.sectors[slug] = save(
            Sector, {"slug": slug}, _values(record, {}, provenance, Sector)
        )

    refs: dict[str, Mapping[str, models.Model]] = {
        "designated_by": loading.organisations,
        "host": loading.organisations,
        "evidence": loading.sources,
        "source": loading.sources,
        "reported_equivalent_source": loading.sources,
    }

    def many(record, *names):
        chosen: dict[str, Mapping[str, models.Model]] = {
            "sources": loading.sources,
            "sectors": loading.sectors,
        }
        return {
            name: [chosen[name][key] for key in record[name]] for name in names if name in record
        }

    # One `[programme]` (the first files' form) or a list of `[[programmes]]`.
    records = facts.get("programmes", [])
    if "programme" in facts:
        record = {
            **facts["programme"],
            "targets": facts.get("targets", []),
            "milestones": facts.get("milestones", []),
        }
        records = [record, *records]
    programmes = []
    for record in records:
        children = {key: record.get(key, []) for key in ("targets", "milestones")}
        fields = {k: v for k, v in record.items() if k not in children}
        # `extends`: adds the fields given to a programme another file loads, leaving
        # the rest (its provenance too) to that file.
        values = _values(fields, refs, "" if record.get("extends") else provenance, Programme)
        slug = values.pop("slug")
        # Compiled from public sources: nobody reports its progress here.
        values["progress_reported_here"] = False
        if record.get("extends") and slug not in loading.programmes:
            raise ValueError(f"{name}.toml extends {slug}, which no required file loads")
        programme = save(Programme, {"slug": slug}, values, many=many(record, "sources", "sectors"))
        loading.programmes[slug] = programme
        programmes.append(programme)
        for target_record in children["targets"]:
            # Found again by programme and kind unless the record names other fields.
            values = _values(target_record, refs, provenance, Target)
            lookup = {"programme": programme, "project": None}
            lookup |= {name: values.pop(name) for name in _lookup(target_record, ["kind"])}
            target = save(Target, lookup, values, many=many(target_record, "sources"))
            for measurement in target_record.get("measurements", []):
                values = _values(measurement, refs, provenance, Measurement)
                lookup = {"target": target, "as_of": values.pop("as_of")}
                save(Measurement, lookup, values)
        for milestone in children["milestones"]:
            values = _values(milestone, refs, provenance, Milestone)
            lookup = {"programme": programme, "project": None}
            lookup |= {name: values.pop(name) for name in _lookup(milestone, ["evidence"])}
            save(Milestone, lookup, values)

    for slug, record in facts.get("groups", {}).items():
        members = [loading.programmes[key] for key in record.get("programmes", [])]
        values = _values(record, {}, provenance, ProgrammeGroup)
        save(ProgrammeGroup, {"slug": slug}, values, many={"programmes": members})
    return programmes


@transaction.atomic
@stored.batched
def load(name: str) -> tuple[Programme, int]:
    """Load one file's facts (after those it requires); returns its first programme and
    how many records were written."""
    loading = Loading()
    programmes = _load_file(name, loading)
    return programmes[0], loading.written


@transaction.atomic
@stored.batched
def load_all() -> tuple[list[str], int]:
    """Load every file of facts here; returns their names and how many records were
    written."""
    loading = Loading()
    for name in names():
        _load_file(name, loading)
    return loading.files, loading.written
