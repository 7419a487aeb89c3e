from django.core.management.base import BaseCommand, CommandError

from tracker.editorial.files import stored_problems
from tracker.models import EvidenceFile


class Command(BaseCommand):
    help = (
        "Check every evidence file against its SHA-256 (after restoring a backup): "
        "fails, naming each, if one is missing or changed."
    )

    def handle(self, *args, **options) -> None:
        problems = stored_problems()
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise CommandError(f"{len(problems)} evidence file(s) missing or changed.")
        self.stdout.write(f"{EvidenceFile.objects.count()} evidence file(s) intact.")
