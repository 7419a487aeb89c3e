from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class TrackerConfig(AppConfig):
    name = "tracker"
    verbose_name = _("Policy target tracker")

    def ready(self) -> None:
        # Any change to a record may change a public page: cached pages are keyed by a
        # content version that a transaction saving or deleting anything bumps when it
        # commits (tracker.middleware).
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from tracker.middleware import bump_on_commit

        for model in self.get_models():
            post_save.connect(bump_on_commit, sender=model, dispatch_uid=f"bump-{model}")
            post_delete.connect(bump_on_commit, sender=model, dispatch_uid=f"del-{model}")
        m2m_changed.connect(bump_on_commit, dispatch_uid="bump-m2m")

        # Staff are named "Full Name <email>" wherever the admin shows a user (lists,
        # pickers, history), not by a bare user name. Django's user model is kept (a
        # custom one cannot be swapped in once migrated), so only its label changes.
        from django.contrib.auth import get_user_model

        from tracker.notifications import display_name

        get_user_model().__str__ = display_name  # type: ignore[method-assign]  # on purpose


class TrackerAdminConfig(admin_apps.AdminConfig):
    """Django's admin, on the tracker's own site (a second factor at login)."""

    default = False
    default_site = "tracker.admin_site.TrackerAdminSite"
