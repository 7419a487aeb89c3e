"""A backup made as the README says restores into an empty database with every row."""

import io
import os
import shutil
import subprocess
import uuid
from pathlib import Path

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


README = Path(__file__).resolve().parents[2] / "README.md"
FILES_BACKUP = 'tar -czf tracker-files-$(date +%F).tar.gz -C "$MEDIA_ROOT" .'
FILES_RESTORE = (
    'mkdir -p "$MEDIA_ROOT" && tar -xzf tracker-files-2026-11-28.tar.gz -C "$MEDIA_ROOT"'
)


@pytest.mark.django_db
def test_evidence_files_backed_up_as_the_readme_says_come_back_intact(tmp_path, settings):
    """The README's commands for the files, run as written: every file comes back and
    `check_files` finds each one matching its SHA-256; a changed one is named."""
    from django.core.management import CommandError, call_command

    from tests import factories, files
    from tracker.editorial import files as checks
    from tracker.models import EvidenceFile

    text = README.read_text()
    assert FILES_BACKUP in text and FILES_RESTORE in text and "manage.py check_files" in text
    source = factories.SourceFactory()
    for content, name in ((files.PDF, "a.pdf"), (files.jpeg_with_gps(), "b.jpg")):
        checked = checks.check(content, name)
        checked.attach_to(EvidenceFile(source=source)).save()
    media = Path(settings.MEDIA_ROOT)
    environment = {**os.environ, "MEDIA_ROOT": str(media)}
    subprocess.run(FILES_BACKUP, shell=True, check=True, cwd=tmp_path, env=environment)  # noqa: S602
    archive = next(tmp_path.glob("tracker-files-*.tar.gz"))
    archive.rename(tmp_path / "tracker-files-2026-11-28.tar.gz")
    shutil.rmtree(media)
    subprocess.run(FILES_RESTORE, shell=True, check=True, cwd=tmp_path, env=environment)  # noqa: S602
    out = io.StringIO()
    call_command("check_files", stdout=out)
    assert "2 evidence file(s) intact." in out.getvalue()

    changed = EvidenceFile.objects.first()
    (media / changed.file.name).write_bytes(b"%PDF-1.4 tampered")
    with pytest.raises(CommandError, match="1 evidence file"):
        call_command("check_files", stdout=io.StringIO(), stderr=io.StringIO())
