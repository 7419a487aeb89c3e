from django.core.management.base import BaseCommand

from tracker.demo.builder import load_demo


class Command(BaseCommand):
    help = "Add clearly marked illustrative data (a demo programme) for exploring the pages."

    def handle(self, *args, **options) -> None:
        programme = load_demo()
        if programme is None:
            self.stdout.write("Demo data is already loaded. Remove it with: manage.py clear_demo")
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded demo data: {programme.projects.count()} illustrative projects in "
                f"“{programme.name}”. Every public page now shows a demo-data notice; remove "
                "it with: manage.py clear_demo"
            )
        )
