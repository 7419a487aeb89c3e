"""Email each editor and manager a digest of what waits for them; safe to run daily.

Run it from cron every morning (tracker.editorial.reminders says what it sends).
"""

from django.core.management.base import BaseCommand

from tracker.editorial.reminders import send_reminders


class Command(BaseCommand):
    help = "Email editors and managers a daily digest of overdue, stale and waiting work."

    def handle(self, *args, **options) -> None:
        sent, today = send_reminders()
        self.stdout.write(f"Sent {sent} digest(s) for {today}.")
