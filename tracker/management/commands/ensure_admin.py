"""Make sure someone can log in to the admin, without ever shipping a known password."""

import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create an admin account with a random password if none exists, and say how to log in."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--username", default="admin")
        parser.add_argument("--url", default="http://127.0.0.1:8000/admin/")

    def handle(self, *args, username: str, url: str, **options) -> None:
        users = get_user_model().objects
        existing = users.filter(is_superuser=True, is_active=True).order_by("pk").first()
        if existing:
            self.stdout.write(
                f"Admin: {url} — log in as “{existing.get_username()}”. "
                "Forgotten the password? Run: "
                f".venv/bin/python manage.py changepassword {existing.get_username()}"
            )
            return
        password = secrets.token_urlsafe(12)
        users.create_superuser(username=username, email="", password=password)
        self.stdout.write(
            self.style.SUCCESS(
                f"Created an admin account. Log in at {url}\n"
                f"    username: {username}\n"
                f"    password: {password}\n"
                "This password is shown only now; change it with: "
                f".venv/bin/python manage.py changepassword {username}"
            )
        )
