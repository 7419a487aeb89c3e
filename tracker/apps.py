from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.db.models.signals import post_delete
from django.utils.translation import gettext_lazy as _


class TrackerConfig(AppConfig):
    name = "tracker"
    verbose_name = _("Policy target tracker")

    def ready(self) -> None:
        # The staff's side: the admin's pages for every record (Django's admin looks for
        # `tracker.admin`; the tracker keeps it with the rest of the editorial code).
        from django.contrib.auth import get_user_model

        from tracker import stored
        from tracker.editorial import (
            admin,  # noqa: F401
            files,
        )
        from tracker.editorial.notifications import display_name
        from tracker.models import EvidenceFile, Follow, Follower, OutgoingMessage
        from tracker.ops import pagecache

        # Stored statuses are recomputed when their inputs change (tracker.stored),
        # connected first so that on commit they are written before pages are replaced.
        stored.watch()
        # Any saved change may change a public page (tracker.ops.pagecache), except a
        # reader following by e-mail (no page shows followers, and a sign-up must not
        # empty the page cache for everyone) and queued e-mail (tracker.ops.mail).
        # A deleted evidence file takes its stored content along, if nothing else holds it.
        post_delete.connect(files.forget_stored, sender=EvidenceFile, dispatch_uid="forget-file")
        pagecache.watch(
            m for m in self.get_models() if m not in (Follower, Follow, OutgoingMessage)
        )

        # Staff are named "Full Name <email>" wherever the admin shows a user (lists,
        # pickers, history), not by a bare user name. Django's user model is kept (a
        # custom one cannot be swapped in once migrated), so only its label changes.
        get_user_model().__str__ = display_name  # type: ignore[method-assign]  # on purpose


class TrackerAdminConfig(admin_apps.AdminConfig):
    """Django's admin, on the tracker's own site (a second factor at login)."""

    default = False
    default_site = "tracker.editorial.admin_site.TrackerAdminSite"
