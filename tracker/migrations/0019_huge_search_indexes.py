"""Indexes for the search (tracker/public/search.py) on PostgreSQL, so that a search
reads the rows it matches, not every row of every kind: for each kind's table

- a GIN index on the English full-text document, the very expression the search
  builds (names weighted A, longer text B), for its `@@` condition;
- a trigram GIN index (pg_trgm, migration 0010) on UPPER() of each searched column in
  both languages, which serves both the substring condition (`UPPER(col) LIKE
  UPPER('%word%')`, Django's icontains) and the word-similarity one (`UPPER(name) %>
  'query'`: trigrams are case-blind, so UPPER() changes no similarity).

The expressions must stay exactly those the search emits, or the planner cannot use
them: tests/test_scale.py checks with EXPLAIN that a search reads no large table whole.

PostgreSQL only: GIN and pg_trgm do not exist elsewhere, and SQLite's search (substring
matches over at most a bounded number of rows per kind) needs none."""

from django.db import migrations

# table -> (names, longer texts), as tracker/public/search.py's KINDS.
SEARCHED = {
    "tracker_programme": (("name",), ("scheme", "summary", "pledge")),
    "tracker_project": (("name",), ("summary",)),
    "tracker_target": (("title",), ("description",)),
    "tracker_milestone": (("title",), ("description",)),
    "tracker_progressupdate": (("title",), ("body",)),
    "tracker_organisation": (("name", "short_name"), ("description",)),
}
LANGUAGES = ("en", "zh_hans")


def document(names: tuple[str, ...], texts: tuple[str, ...]) -> str:
    parts = [
        f"setweight(to_tsvector('english'::regconfig, COALESCE({column}_en, '')), '{weight}')"
        for columns, weight in ((names, "A"), (texts, "B"))
        for column in columns
    ]
    return " || ".join(parts)


def statements() -> list[tuple[str, str]]:
    """(index name, CREATE INDEX statement) for every index above."""
    found = []
    for table, (names, texts) in SEARCHED.items():
        short = table.removeprefix("tracker_")
        found.append(
            (
                f"{short}_search_document",
                f"CREATE INDEX IF NOT EXISTS {short}_search_document ON {table} "
                f"USING gin (({document(names, texts)}))",
            )
        )
        for column in (*names, *texts):
            for language in LANGUAGES:
                name = f"{short}_{column}_{language}_trgm"
                found.append(
                    (
                        name,
                        f"CREATE INDEX IF NOT EXISTS {name} ON {table} "
                        f"USING gin ((UPPER({column}_{language}::text)) gin_trgm_ops)",
                    )
                )
    return found


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for _, sql in statements():
        schema_editor.execute(sql)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _ in statements():
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0018_stored_statuses"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
