"""Load every real programme from its checked facts (tracker/seed/*.toml)."""

from django.core.management.base import BaseCommand

from tracker.seed import loader


class Command(BaseCommand):
    help = "Load every real programme, and the groups comparing them, from the checked facts."

    def handle(self, *args, **options) -> None:
        files, written = loader.load_all()
        if written:
            self.stdout.write(
                self.style.SUCCESS(f"Loaded {', '.join(files)} ({written} records written).")
            )
        else:
            self.stdout.write("The real programmes are already loaded and up to date.")
