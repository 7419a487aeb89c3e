from django.core.management.base import BaseCommand, CommandError
from django.db.models import ProtectedError

from tracker.demo.clearing import clear_demo_records


class Command(BaseCommand):
    help = "Remove every illustrative record added by load_demo, and nothing real."

    def handle(self, *args, **options) -> None:
        try:
            deleted = clear_demo_records()
        except ProtectedError as error:
            names = ", ".join(sorted({str(obj) for obj in error.protected_objects})[:5])
            raise CommandError(
                "Nothing was removed: real records refer to demo records "
                f"({names}). Detach them in the admin first."
            ) from error
        total = sum(deleted.values())
        if not total:
            self.stdout.write("No demo data to remove.")
            return
        summary = ", ".join(f"{name}: {count}" for name, count in deleted.items() if count)
        self.stdout.write(self.style.SUCCESS(f"Removed demo data: {summary}."))
