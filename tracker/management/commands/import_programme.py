import json

from django.core.management.base import BaseCommand, CommandError

from tracker.opendata.document import DocumentError, import_programme


class Command(BaseCommand):
    help = "Load a programme document (from export_programme, or a new hub's plan)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", help="the JSON document")

    def handle(self, *args, path: str, **options) -> None:
        try:
            with open(path, encoding="utf-8") as handle:
                document = json.load(handle)
        except (OSError, json.JSONDecodeError) as error:
            raise CommandError(f"Cannot read {path}: {error}") from error
        try:
            programme = import_programme(document)
        except DocumentError as error:
            raise CommandError(f"Nothing was imported: {error}") from error
        self.stdout.write(self.style.SUCCESS(f"Imported “{programme.name}” ({programme.slug})."))
