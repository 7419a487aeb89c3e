"""An index for searches by a word of one or two characters (two Chinese characters, say)
on PostgreSQL: the trigram indexes of migration 0019 cannot serve `LIKE '%项目%'`, a
pattern with no trigram in it, so the planner read every row of every searched table.

For each searched table, a GIN index on every one- and two-character piece (no space in
it) of its searched columns in both languages, joined by spaces and in capitals:
`tracker_short_grams(UPPER(...)) @> ARRAY[UPPER('项目')]` holds exactly when some column
holds the word in any case, as `UPPER(column) LIKE UPPER('%项目%')` does.

The expressions must stay exactly those tracker/public/search.py emits (short_grams_sql),
or the planner cannot use them: tests/test_scale.py checks with EXPLAIN. PostgreSQL only."""

from django.db import migrations

# table -> searched columns, as tracker/public/search.py's KINDS (names, then texts).
SEARCHED = {
    "tracker_programme": ("name", "scheme", "summary", "pledge"),
    "tracker_project": ("name", "summary"),
    "tracker_target": ("title", "description"),
    "tracker_milestone": ("title", "description"),
    "tracker_progressupdate": ("title", "body"),
    "tracker_organisation": ("name", "short_name", "description"),
}
LANGUAGES = ("en", "zh_hans")

FUNCTION = """
CREATE OR REPLACE FUNCTION tracker_short_grams(doc text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT COALESCE(array_agg(DISTINCT gram), '{}')
    FROM generate_series(1, char_length(doc)) AS i,
         LATERAL (VALUES (substr(doc, i, 1)), (substr(doc, i, 2))) AS grams(gram)
    WHERE position(' ' IN gram) = 0
$$
"""


def document(columns: tuple[str, ...]) -> str:
    """The indexed expression: as tracker/public/search.py's short_grams_sql writes it."""
    joined = " || ' '::text || ".join(
        f"COALESCE(({column}_{language})::text, ''::text)"
        for column in columns
        for language in LANGUAGES
    )
    return f"tracker_short_grams(upper({joined}))"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION)
    for table, columns in SEARCHED.items():
        short = table.removeprefix("tracker_")
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {short}_short_grams ON {table} "
            f"USING gin (({document(columns)}))"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in SEARCHED:
        schema_editor.execute(f"DROP INDEX IF EXISTS {table.removeprefix('tracker_')}_short_grams")
    schema_editor.execute("DROP FUNCTION IF EXISTS tracker_short_grams(text)")


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0020_huge_programme_by_name"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
