"""Search over what the public pages show: programmes, projects, targets, milestones,
published updates and the organisations the record names, in English and Chinese.

On PostgreSQL an English word matches by full-text search (stemmed: "signal" finds
"signals") or by trigram word similarity (pg_trgm, migration 0010: "trafic" finds
"traffic"), and any text, Chinese included, matches as a substring of either
language's fields. Elsewhere (SQLite) substrings match in both languages, and a
misspelt English word of five letters or more still finds the names it is close to.

Every kind reads the public record through its own queryset (`published()`), so a
pending change or an unpublished update is never found. A fixed number of queries
per kind, whatever the number of matches (on PostgreSQL: the best keys, then their
records).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field
from functools import reduce
from operator import add, and_, or_

from django.contrib.postgres.search import (
    SearchQuery,
    SearchRank,
    SearchVector,
    SearchVectorExact,
    TrigramWordSimilarity,
)
from django.db import connections, models
from django.db.models import (
    BooleanField,
    Case,
    Count,
    F,
    FloatField,
    Func,
    Prefetch,
    Q,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Greatest, Upper
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from tracker import status, stored
from tracker.models import (
    Milestone,
    Organisation,
    Programme,
    ProgressUpdate,
    Project,
    Rating,
    Target,
)

# Characters a query may have; the search box says so too (maxlength).
MAX_LENGTH = 100
# Words of a query matched as substrings; the rest of a long query is still searched
# as a whole (full text, trigrams).
MAX_TERMS = 8
# Results shown per kind: a search is a way in, not a listing.
PER_KIND = 20
# PostgreSQL: records of a kind ranked at most, as many matching the full text and as
# many matching every word; the best PER_KIND of them are shown.
CANDIDATES = 100
# pg_trgm word similarity from which a word counts as the same, misspelt:
# "trafic" against "traffic" is 0.67, "signls" against "signals" 0.57.
WORD_SIMILARITY = 0.5
# SQLite: difflib's ratio from which a word counts as the same ("trafic", "traffic":
# 0.92), over the names of at most this many records of a kind.
CLOSE_RATIO = 0.8
CLOSE_MIN_LENGTH = 5
CLOSE_MAX_ROWS = 2000
LANGUAGES = ("en", "zh_hans")


def clean_query(raw: str) -> str:
    """The query as searched: compatibility forms folded (full-width letters typed in a
    Chinese input method become plain ones), control and invisible formatting
    characters dropped, whitespace collapsed."""
    text = unicodedata.normalize("NFKC", raw)
    text = "".join(" " if unicodedata.category(ch).startswith("C") else ch for ch in text)
    return " ".join(text.split())


@dataclass
class Kind:
    """One kind of record: the fields searched, and its public records ready to show."""

    key: str
    label: Promise
    names: tuple[str, ...]  # the title fields, untranslated names
    texts: tuple[str, ...]  # longer text, ranked below the title

    def public(self) -> models.QuerySet:
        raise NotImplementedError

    def ready(self, queryset: models.QuerySet) -> models.QuerySet:
        """What showing a result needs, fetched with it (no query per result)."""
        return queryset

    def prepare(self, results: list) -> list:
        """Results with what the page shows of their status, from the models' own rules."""
        return results


class Programmes(Kind):
    def public(self):
        return Programme.objects.published()

    def prepare(self, results):
        # Counted as the programme list counts them, for all the results in one query.
        counts = dict(
            Project.objects.filter(programme__in=[programme.pk for programme in results])
            .order_by()
            .values("programme")
            .annotate(count=Count("pk"))
            .values_list("programme", "count")
        )
        for programme in results:
            programme.project_count = counts.get(programme.pk, 0)
        return results


class Projects(Kind):
    def public(self):
        return Project.objects.published()

    def ready(self, queryset):
        return queryset.select_related("programme", "sector")

    def prepare(self, results):
        for project in stored.up_to_date(list(results), lambda p: p.programme):
            rating = project.computed_rating
            project.computed = Rating(rating) if rating else None
        return results


class Targets(Kind):
    def public(self):
        return Target.objects.published()

    def ready(self, queryset):
        return queryset.select_related("programme", "project")

    def prepare(self, results):
        for target in stored.up_to_date(list(results), lambda t: t.programme):
            target.item = None if target.withdrawn_on else status.stored(target)
        return results


class Milestones(Kind):
    def public(self):
        return Milestone.objects.published()

    def ready(self, queryset):
        return queryset.with_slippage().select_related("programme", "project")


class Updates(Kind):
    def public(self):
        return ProgressUpdate.objects.published()

    def ready(self, queryset):
        return queryset.select_related("programme", "project__programme")


class Organisations(Kind):
    def public(self):
        # An organisation is public where a public page names it: as a programme's
        # designator or host, or as a project's lead.
        named = (
            Q(designated_programmes__isnull=False)
            | Q(hosted_programmes__isnull=False)
            | Q(led_projects__isnull=False)
        )
        return Organisation.objects.filter(pk__in=Organisation.objects.filter(named).values("pk"))

    def ready(self, queryset):
        return queryset.prefetch_related(
            Prefetch("designated_programmes", queryset=Programme.objects.order_by("name")),
            Prefetch("hosted_programmes", queryset=Programme.objects.order_by("name")),
            Prefetch(
                "led_projects",
                queryset=Project.objects.select_related("programme").order_by("name"),
            ),
        )

    def prepare(self, results):
        for organisation in results:
            programmes = {
                programme.pk: programme
                for programme in (
                    *organisation.designated_programmes.all(),
                    *organisation.hosted_programmes.all(),
                )
            }
            organisation.named_in = [*programmes.values(), *organisation.led_projects.all()]
        return results


KINDS: list[Kind] = [
    Programmes("programmes", _("Programmes"), ("name",), ("scheme", "summary", "pledge")),
    Projects("projects", _("Projects"), ("name",), ("summary",)),
    Targets("targets", _("Targets"), ("title",), ("description",)),
    Milestones("milestones", _("Milestones"), ("title",), ("description",)),
    Updates("updates", _("Updates"), ("title",), ("body",)),
    Organisations("organisations", _("Organisations"), ("name", "short_name"), ("description",)),
]


@dataclass
class Group:
    kind: Kind
    results: list = field(default_factory=list)
    more: bool = False  # more matched than are shown


def search(query: str) -> list[Group]:
    """The public records matching `query` (as `clean_query` leaves it), best first,
    grouped by kind; kinds without a match are left out."""
    terms = list(dict.fromkeys(query.lower().split()))[:MAX_TERMS]
    groups = []
    similarity_set = False
    for kind in KINDS:
        queryset = kind.public()
        if connections[queryset.db].vendor == "postgresql":
            if not similarity_set:
                set_word_similarity(connections[queryset.db])
                similarity_set = True
            # At most CANDIDATES records matching the full text and as many matching
            # every word, read unranked through the indexes; ranked next over the
            # kind's own table alone; and only the best joined to what showing them
            # needs (ready). A common word matches many rows: ranking each (its
            # document, its similarity) cost time in proportion to the table.
            # Each step read as a list, not kept as a subquery: the planner ran such
            # a subquery again for each row it read (seconds on a large set).
            text, words = postgresql_conditions(kind, queryset.model, query, terms)
            unranked = queryset.order_by().values_list("pk", flat=True)
            candidates = list(
                unranked.filter(text)[:CANDIDATES]
                .union(unranked.filter(words)[:CANDIDATES])
                .order_by()
            )
            # Asked even when nothing matched (no key is 0): as many queries either way.
            ranked = postgresql_matches(
                kind, kind.public().filter(pk__in=candidates or [0]), query, terms
            )
            best = list(ranked.values_list("pk", flat=True)[: PER_KIND + 1])
            rank = {pk: place for place, pk in enumerate(best)}
            chosen = kind.ready(kind.public().filter(pk__in=best or [0]))
            found = sorted(chosen, key=lambda record: rank[record.pk])
        else:
            queryset = fallback_matches(kind, queryset, query, terms)
            found = list(kind.ready(queryset)[: PER_KIND + 1])
        if found:
            groups.append(Group(kind, kind.prepare(found[:PER_KIND]), more=len(found) > PER_KIND))
    return groups


class WordSimilar(Func):
    """`text %> query`: pg_trgm's word similarity of the query to the text at least
    the session's pg_trgm.word_similarity_threshold; an operator, unlike the
    word_similarity() function, that a trigram index serves."""

    template = "%(expressions)s"
    arg_joiner = " %%> "
    output_field = BooleanField()


def set_word_similarity(connection) -> None:
    """The threshold of `%>` for this connection: WORD_SIMILARITY (pg_trgm's default,
    0.6, would miss "signls" for "signals")."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('pg_trgm.word_similarity_threshold', %s, false)",
            [str(WORD_SIMILARITY)],
        )


def columns(names: tuple[str, ...], languages=LANGUAGES) -> list[str]:
    return [f"{name}_{language}" for name in names for language in languages]


def substring_q(kind: Kind, terms: list[str], model=None) -> Q:
    """Every word of the query in some field, in either language. With `model` (on
    PostgreSQL), a word shorter than a trigram is looked up among the one- and
    two-character pieces of the fields (short_grams_sql), which an index serves."""
    fields = columns(kind.names + kind.texts)
    return reduce(
        and_,
        (
            Q(short_grams_sql(model, kind, term))
            if model is not None and len(term) < SHORT_GRAM
            else reduce(or_, (Q(**{f"{f}__icontains": term}) for f in fields))
            for term in terms
        ),
    )


# Words shorter than this have no trigram of their own: pg_trgm's index cannot find
# them as substrings (`LIKE '%项目%'` reads every row); migration 0021 indexes their
# pieces instead.
SHORT_GRAM = 3


def short_grams_sql(model, kind: Kind, term: str) -> RawSQL:
    """Whether `term` (one or two characters) is in one of the kind's searched fields,
    in either language, in any case: as `UPPER(field) LIKE UPPER('%term%')` would say,
    through migration 0021's index, whose expression this must be exactly (but for the
    table's name before each column)."""
    quote = connections[model.objects.db].ops.quote_name
    table = quote(model._meta.db_table)
    joined = " || ' '::text || ".join(
        f"COALESCE(({table}.{quote(column)})::text, ''::text)"
        for column in columns(kind.names + kind.texts)
    )
    # Column names from the model, the term a parameter: nothing the reader typed is SQL.
    return RawSQL(  # noqa: S611
        f"tracker_short_grams(upper({joined})) @> ARRAY[upper(%s::text)]",
        [term],
        output_field=BooleanField(),
    )


def in_names_q(kind: Kind, query: str) -> Q:
    return reduce(or_, (Q(**{f"{f}__icontains": query}) for f in columns(kind.names)))


def postgresql_conditions(kind: Kind, model, query: str, terms: list[str]) -> tuple[Q, Q]:
    """Whether a record of `kind` matches: by the full text (English), and by every
    word as a substring in either language (Chinese) or close to a word of an English
    name (a typo: trigram word similarity). Each served by migration 0019's or 0021's
    indexes."""
    text = Q(
        SearchVectorExact(
            search_vector(kind), SearchQuery(query, config="english", search_type="websearch")
        )
    )
    names = upper_names(kind)

    def similar(term: str) -> Q:
        # A misspelt word of CLOSE_MIN_LENGTH letters or more, as on SQLite: a shorter
        # one is close to too much ("17" to every name with "170" in it).
        if len(term) < CLOSE_MIN_LENGTH:
            return Q(pk__in=[])
        return reduce(or_, (Q(WordSimilar(name, Value(term))) for name in names))

    # Every word of the query found, as it is or misspelt: a whole query close to a
    # name matched every record named alike ("benchmark project 17" each of thousands
    # of "Benchmark project N").
    words = reduce(and_, (substring_q(kind, [term], model) | similar(term) for term in terms))
    return text, words


def search_vector(kind: Kind):
    """The English document, names weighted A and longer text B (migration 0019's)."""
    return reduce(
        add,
        [
            SearchVector(column, weight="A", config="english")
            for column in columns(kind.names, ("en",))
        ]
        + [
            SearchVector(column, weight="B", config="english")
            for column in columns(kind.texts, ("en",))
        ],
    )


def upper_names(kind: Kind) -> list[Upper]:
    # On UPPER() of the names, as the trigram indexes are (migration 0019): trigrams are
    # case-blind, so the similarity is the same, and `%>` (the word similarity at least
    # pg_trgm.word_similarity_threshold, set to WORD_SIMILARITY by `search`) can use them.
    return [Upper(column) for column in columns(kind.names, ("en",))]


def postgresql_matches(
    kind: Kind, queryset: models.QuerySet, query: str, terms: list[str]
) -> models.QuerySet:
    """The records matching (postgresql_conditions), ranked by the full text's rank,
    the whole query's similarity to the name and whether the name holds it whole."""
    vector = search_vector(kind)
    # websearch: whatever a reader types is a valid query (quotes, "or", a minus sign).
    text_query = SearchQuery(query, config="english", search_type="websearch")
    similarities = [TrigramWordSimilarity(query, name) for name in upper_names(kind)]
    similarity = Greatest(*similarities) if len(similarities) > 1 else similarities[0]
    text, words = postgresql_conditions(kind, queryset.model, query, terms)
    return (
        # Aliases, not annotations: used to filter and order, never read back.
        queryset.alias(
            search_rank=SearchRank(vector, text_query),
            search_similarity=similarity,
            search_in_name=Case(
                When(in_names_q(kind, query), then=Value(1.0)),
                default=Value(0.0),
                output_field=FloatField(),
            ),
        )
        .filter(text | words)
        .alias(search_score=F("search_in_name") + F("search_rank") + F("search_similarity"))
        .order_by("-search_score", "pk")
    )


def fallback_matches(
    kind: Kind, queryset: models.QuerySet, query: str, terms: list[str]
) -> models.QuerySet:
    """Substrings in either language, and English names close to a misspelt word;
    names that hold the whole query first."""
    return (
        queryset.filter(substring_q(kind, terms) | Q(pk__in=close_names(kind, queryset, terms)))
        .alias(
            search_score=Case(
                When(in_names_q(kind, query), then=Value(2)),
                When(substring_q(kind, terms), then=Value(1)),
                default=Value(0),
            )
        )
        .order_by("-search_score", "pk")
    )


WORD = re.compile(r"\w+")


def close_names(kind: Kind, queryset: models.QuerySet, terms: list[str]) -> list[int]:
    """The records whose English name has a word close to a word of the query (difflib),
    for longer words only: short ones are too often close to something."""
    words = [term for term in terms if len(term) >= CLOSE_MIN_LENGTH and term.isascii()]
    if not words:
        return []
    found = []
    names = columns(kind.names, ("en",))
    for pk, *texts in queryset.order_by("pk").values_list("pk", *names)[:CLOSE_MAX_ROWS]:
        vocabulary = {word for text in texts if text for word in WORD.findall(text.lower())}
        if any(difflib.get_close_matches(word, vocabulary, 1, CLOSE_RATIO) for word in words):
            found.append(pk)
    return found
