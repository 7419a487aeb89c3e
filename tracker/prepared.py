"""Querysets whose SQL is built once per database, then run with each request's values.

Building a queryset's SQL (Django's compiler: joins, expressions, subqueries, window
functions) can cost a page several times what running the query does. A `Prepared`
query is built the first time with stand-in values (`StandIn`), its SQL kept with the
places of its stand-ins among the parameters; each later call runs that SQL with the
real values and turns the rows into model instances as the queryset would (the
database's converters applied, annotations set as attributes).

Only what a plain queryset of one model returns is supported: no select_related (give
the instances their related records yourself), no prefetch_related, no values()."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model, QuerySet
from django.utils.translation import get_language

STAND_IN_YEAR = 1000


class StandIn:
    """The stand-in values a builder is given, one of each type it asks for, unlike any
    real value (a key far below any row's, a date in year 1000)."""

    def __init__(self) -> None:
        self.values: list[object] = []

    def key(self) -> int:
        return self._add(-(2**31) + 101 + len(self.values))

    def date(self) -> dt.date:
        return self._add(dt.date(STAND_IN_YEAR, 1, 1) + dt.timedelta(days=len(self.values)))

    def _add[V](self, value: V) -> V:
        self.values.append(value)
        return value


class Prepared[M: Model]:
    """`Prepared(build)`, then `query(*values)`: the instances `build(*values)` would
    return, `build` being called once per database and language, with stand-ins, to
    make the SQL.
    `build(given)` takes a StandIn and asks it for each value in the order of `values`
    (`given.key()`, `given.date()`); a value derived from another (a date 90 days on) is
    one more value, passed by the caller."""

    def __init__(self, build: Callable[[StandIn], QuerySet[M]]):
        self.build = build
        self.compiled: dict[tuple[str, str | None], Any] = {}
        self.lock = threading.Lock()

    def __call__(self, *values: object, using: str = DEFAULT_DB_ALIAS) -> list[M]:
        # By language too: django-modeltranslation rewrites a translated field's name
        # in a filter or an ordering into the active language's column.
        key = (using, get_language())
        compiled = self.compiled.get(key) or self.compile(key)
        compiler, sql, params, places = compiled
        connection = connections[using]
        params = list(params)
        for index, which in places:
            params[index] = adapt(connection, values[which])
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        return instances(compiler, rows, using)

    def compile(self, key: tuple[str, str | None]):
        using = key[0]
        with self.lock:
            if key not in self.compiled:
                given = StandIn()
                queryset = self.build(given)
                prefetched = queryset._prefetch_related_lookups  # type: ignore[attr-defined]
                if queryset.query.select_related or prefetched:
                    raise ValueError("A prepared query reads one model: no related records.")
                compiler = queryset.query.get_compiler(using)
                sql, params = compiler.as_sql()
                connection = connections[using]
                stand_ins = {adapt(connection, value): i for i, value in enumerate(given.values)}
                places = [
                    (index, stand_ins[param])
                    for index, param in enumerate(params)
                    if isinstance(param, int | str | dt.date) and param in stand_ins
                ]
                if len({which for _, which in places}) != len(given.values):
                    raise ValueError("A stand-in value did not reach the SQL as a parameter.")
                dated = [param for param in params if isinstance(param, str | dt.date)]
                if any(derived(param) for param in dated if param not in stand_ins):
                    raise ValueError("A value was derived from a stand-in: pass it as one.")
                self.compiled[key] = (compiler, sql, tuple(params), places)
            return self.compiled[key]


def derived(param: object) -> bool:
    """Whether a parameter is a date near the stand-ins' (computed from one, say 90 days
    on), which would be kept in the SQL as if it were a constant."""
    if isinstance(param, str) and len(param) == 10:
        try:
            param = dt.date.fromisoformat(param)
        except ValueError:
            return False
    return isinstance(param, dt.date) and param.year < STAND_IN_YEAR + 100


def adapt(connection, value: object) -> object:
    """A value as the database's operations give it to the driver (dates as text on
    SQLite), so that a stand-in is found among the parameters as it was passed."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return connection.ops.adapt_datefield_value(value)
    return value


def instances[M: Model](compiler, rows: list[tuple], using: str) -> list[M]:
    """The model instances of `rows`, as Django's ModelIterable makes them: the model's
    columns given to from_db, each annotation set as an attribute, every value through
    the database's converters."""
    select, klass_info = compiler.select, compiler.klass_info
    model = klass_info["model"]
    fields = klass_info["select_fields"]
    start, end = fields[0], fields[-1] + 1
    names = [column[0].target.attname for column in select[start:end]]
    annotations = list(compiler.annotation_col_map.items())
    if compiler.has_extra_select:  # columns only the ordering needed
        rows = [row[: compiler.col_count] for row in rows]
    found = []
    for row in compiler.results_iter(results=[rows]):
        instance = model.from_db(using, names, row[start:end])
        for name, position in annotations:
            setattr(instance, name, row[position])
        found.append(instance)
    return found
