"""`python -m bench`: Django set up with the environment's settings, then the bench."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
django.setup()

from bench.run import main  # noqa: E402 (the models load once Django is set up)

main()
