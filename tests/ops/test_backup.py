"""A backup made as the README says restores into an empty database with every row."""

import os
import shutil
import subprocess
import uuid

import psycopg
import pytest
from django.db import connection

from tracker.models import DEMO_MODELS


def postgres_args(settings: dict) -> list[str]:
    return [
        "-h",
        settings["HOST"] or "127.0.0.1",
        "-p",
        str(settings["PORT"] or 5432),
        "-U",
        settings["USER"] or "postgres",
    ]


@pytest.mark.django_db(transaction=True)
def test_pg_dump_restores_into_an_empty_database(yizhuang, demo, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("backups are documented for PostgreSQL")
    if not shutil.which("pg_dump"):
        if os.environ.get("CI"):
            pytest.fail("pg_dump is missing (required in CI)")
        pytest.skip("no pg_dump")
    settings = connection.settings_dict
    args = postgres_args(settings)
    dump = tmp_path / "tracker.dump"
    subprocess.run(
        ["pg_dump", *args, "--format=custom", "--no-owner", "-f", str(dump), settings["NAME"]],
        check=True,
    )
    restored = f"restore_{uuid.uuid4().hex[:8]}"
    subprocess.run(["createdb", *args, restored], check=True)
    try:
        subprocess.run(
            ["pg_restore", *args, "--no-owner", "-d", restored, str(dump)],
            check=True,
        )
        tables = [model._meta.db_table for model in DEMO_MODELS]
        tables += [model.history.model._meta.db_table for model in DEMO_MODELS]
        with connection.cursor() as cursor:
            expected = {}
            for table in tables:
                cursor.execute(f'SELECT count(*) FROM "{table}"')
                expected[table] = cursor.fetchone()[0]
        with psycopg.connect(
            host=args[1], port=int(args[3]), user=args[5], dbname=restored
        ) as other:
            found = {
                table: other.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
                for table in tables
            }
            name = other.execute(
                "SELECT name_zh_hans FROM tracker_programme WHERE slug = 'beijing-etown-ai'"
            ).fetchone()[0]
        assert found == expected
        assert expected["tracker_milestone"] > 10
        assert name == "北京经济技术开发区国家人工智能高新技术产业化基地"
    finally:
        subprocess.run(["dropdb", *args, "--if-exists", restored], check=False)
