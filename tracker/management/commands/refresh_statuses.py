from django.core.management.base import BaseCommand

from tracker import stored


class Command(BaseCommand):
    help = (
        "Recompute the stored statuses (targets' assessments, projects' ratings, "
        "programmes' roll-ups) as of today. Run daily, just after midnight (see README)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--stale",
            action="store_true",
            help="Only the programmes whose statuses were not yet computed today.",
        )

    def handle(self, *args, stale: bool, **options) -> None:
        count = stored.refresh_all(stale_only=stale)
        self.stdout.write(f"Recomputed the statuses of {count} programme(s).")
