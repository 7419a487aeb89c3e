"""Settings of the bare stack: nothing but what serving a static file and a view needs."""

import os

DEBUG = False
SECRET_KEY = os.environ.get("SECRET_KEY", "bench-bare-only-not-a-secret")
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "bench.bare.urls"
INSTALLED_APPS: list[str] = []
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
]
# The project's own collected static files (`make bench` collects them), so that both
# stacks send the very same bytes.
STATIC_URL = "/static/"
STATIC_ROOT = os.environ["STATIC_ROOT"]
STORAGES = {"staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}}
USE_I18N = False
USE_TZ = True
DATABASES: dict = {}
LOGGING = {"version": 1, "root": {"level": "WARNING"}}
