import json

from django.core.management.base import BaseCommand, CommandError

from tracker.models import Programme
from tracker.opendata.document import export_programme


class Command(BaseCommand):
    help = "Write everything public about a programme as one JSON document."

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--output", "-o", help="a file to write; standard output if absent")

    def handle(self, *args, slug: str, output: str | None, **options) -> None:
        programme = Programme.objects.filter(slug=slug).first()
        if programme is None:
            raise CommandError(f"No programme with the slug {slug!r}.")
        text = json.dumps(export_programme(programme), ensure_ascii=False, indent=2)
        if output:
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(text + "\n")
        else:
            self.stdout.write(text)
