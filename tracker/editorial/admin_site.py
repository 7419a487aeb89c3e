"""The admin site, with a second factor at login (django-otp).

Anyone who has added a device must give its code. Those who must use one (superusers in
production, OTP_REQUIRED_FOR_SUPERUSERS; all staff with OTP_REQUIRED_FOR_STAFF; the staff
of a programme that requires it) can use the admin only after giving it, and whoever
has none yet is led to set one up (tracker.editorial.two_factor) before anything else."""

from functools import wraps

from django import forms
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.http import HttpRequest
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django_otp import devices_for_user, user_has_device
from django_otp.forms import OTPAuthenticationFormMixin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice


class TwoFactorLoginForm(OTPAuthenticationFormMixin, AdminAuthenticationForm):
    otp_device = forms.CharField(
        label=_("Second factor"), required=False, widget=forms.Select(choices=[])
    )
    otp_token = forms.CharField(
        label=_("Code from your authenticator app (if you set one up)"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
    otp_challenge = forms.CharField(required=False, widget=forms.HiddenInput)

    def _chosen_device(self, user):
        # With a single device there is nothing to choose; with several, the form asks.
        device = super()._chosen_device(user)
        if device is None:
            devices = list(devices_for_user(user))
            if len(devices) == 1:
                return devices[0]
            # An app's code is all digits, a backup code has letters: the code says which
            # device it is from, so nobody has to pick one from a list.
            token = (self.cleaned_data.get("otp_token") or "").strip()
            kind = TOTPDevice if token.isdigit() else StaticDevice
            matching = [d for d in devices if isinstance(d, kind)]
            if len(matching) == 1:
                return matching[0]
        return device

    def clean(self):
        cleaned = super().clean()
        user = self.get_user()
        # A second factor is asked of those who set one up (and required of some by
        # TrackerAdminSite.has_permission).
        if user is not None and user_has_device(user):
            self.clean_otp(user)
        return cleaned


def needs_device_setup(user) -> bool:
    """Staff who must use a second factor and have no device yet."""
    # Here and below, imported when called: staff and two_factor import Django's auth
    # admin, which registers with admin.site, this very site while its module loads.
    from tracker.editorial.staff import must_use_two_factor

    return (
        user.is_authenticated
        and user.is_active
        and user.is_staff
        and not user.is_verified()
        and must_use_two_factor(user)
        and not user_has_device(user)
    )


class TrackerAdminSite(admin.AdminSite):
    login_form = TwoFactorLoginForm
    login_template = "admin/tracker_login.html"

    def has_permission(self, request: HttpRequest) -> bool:
        if not super().has_permission(request):
            return False
        from tracker.editorial.staff import must_use_two_factor

        user = request.user
        return user.is_verified() or not must_use_two_factor(user)  # type: ignore[union-attr]  # django-otp

    def each_context(self, request: HttpRequest) -> dict:
        from tracker.editorial.staff import is_manager

        context = super().each_context(request)
        # Asked only where a page shows it (the user links).
        context["can_staff"] = lambda: is_manager(request.user)
        return context

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)

        @wraps(inner)
        def guarded(request, *args, **kwargs):
            # Before anything else, someone who must use a second factor sets one up.
            if request.path != reverse("admin:logout", current_app=self.name) and (
                needs_device_setup(request.user)
            ):
                return redirect("admin:two-factor")
            return inner(request, *args, **kwargs)

        return guarded

    def get_urls(self):
        from tracker.editorial import staff, two_factor

        staff_urls = [
            path("staff/", self.admin_view(staff.staff_index), name="staff-index"),
            path(
                "staff/<int:programme_id>/",
                self.admin_view(staff.programme_staff),
                name="programme-staff",
            ),
            path("staff/<int:programme_id>/invite/", self.admin_view(staff.invite), name="invite"),
            path("profile/", self.admin_view(staff.my_profile), name="my-profile"),
            # Reached before a second factor exists, and from the invitation e-mail.
            path("two-factor/", two_factor.setup, name="two-factor"),
            path(
                "invitation/<str:uidb64>/<str:token>/",
                staff.accept_invitation,
                name="accept-invitation",
            ),
        ]
        return staff_urls + super().get_urls()
