"""E-mail each weekly follower what was published in what they follow since their last
digest; run it once a week (tracker.followers.send_digests says what it sends).

Running it again, or twice at once, sends no digest twice. It also deletes the
addresses never confirmed."""

from django.core.management.base import BaseCommand

from tracker.followers import send_digests


class Command(BaseCommand):
    help = "E-mail weekly followers a digest of what was published in what they follow."

    def handle(self, *args, **options) -> None:
        sent = send_digests()
        self.stdout.write(f"Sent {sent} weekly digest(s).")
