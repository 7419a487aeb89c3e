"""Load the Beijing E-Town (Yizhuang) national AI hub from its checked facts
(tracker/seed/yizhuang.toml)."""

from django.core.management.base import BaseCommand

from tracker.seed import loader


class Command(BaseCommand):
    help = "Load the Beijing E-Town (Yizhuang) national AI hub from the checked facts."

    def handle(self, *args, **options) -> None:
        _, written = loader.load("yizhuang")
        if written:
            self.stdout.write(
                self.style.SUCCESS(f"Loaded the Yizhuang programme ({written} records written).")
            )
        else:
            self.stdout.write("The Yizhuang programme is already loaded and up to date.")
