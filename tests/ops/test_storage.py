"""Where evidence files are kept is chosen by environment: the local file system by
default, any S3-compatible object store with STORAGE_BACKEND=s3 (django-storages)."""

import subprocess
import sys

from tests.ops.test_production import ROOT, production_env

SHOW = (
    "from django.core.files.storage import storages; s = storages['default']; "
    "print(type(s).__name__); "
    "print(s.bucket_name, s.endpoint_url, s.default_acl) if hasattr(s, 'bucket_name') else None; "
    "print(s.url('evidence/ab/report.pdf').split('?')[0])"
)


def run(**env) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 (our own manage.py, fixed arguments)
        [sys.executable, "manage.py", "shell", "-c", SHOW],
        cwd=ROOT,
        env=production_env(**env),
        capture_output=True,
        text=True,
        check=False,
    )


def test_files_go_to_an_s3_compatible_store_when_the_environment_says_so():
    result = run(
        STORAGE_BACKEND="s3",
        AWS_STORAGE_BUCKET_NAME="tracker-files",
        AWS_S3_ENDPOINT_URL="https://objects.example.org",
        AWS_ACCESS_KEY_ID="test-key",
        AWS_SECRET_ACCESS_KEY="test-secret",  # noqa: S106
        AWS_S3_REGION_NAME="cn-north-1",
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.split()
    assert "tracker-files" in lines and "https://objects.example.org" in lines
    assert "private" in lines, "objects are private: the site serves them after its checks"
    assert "https://objects.example.org/tracker-files/evidence/ab/report.pdf" in lines


def test_files_stay_on_the_local_file_system_by_default(tmp_path):
    result = run(MEDIA_ROOT=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "FileSystemStorage" in result.stdout


def test_an_unknown_storage_backend_is_refused_at_start():
    result = run(STORAGE_BACKEND="ftp")
    assert result.returncode != 0
    assert "STORAGE_BACKEND: use filesystem or s3." in result.stderr
