"""pg_trgm for the search's typo tolerance (tracker/public/search.py).

TrigramExtension acts on PostgreSQL only: on SQLite this migration does nothing. The
extension is a trusted one (PostgreSQL 13 and later): the database's owner may create it."""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0009_reported_equivalent_name"),
    ]

    operations = [TrigramExtension()]
