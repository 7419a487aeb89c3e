"""The admin site, with a second factor at login (django-otp).

Anyone who has added a device must give its code; in production (OTP_REQUIRED_FOR_
SUPERUSERS) a superuser must have logged in with one to use the admin at all."""

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django_otp import devices_for_user, user_has_device
from django_otp.forms import OTPAuthenticationFormMixin


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
        return device

    def clean(self):
        cleaned = super().clean()
        user = self.get_user()
        # A second factor is asked of those who set one up (and required of superusers
        # in production by TrackerAdminSite.has_permission).
        if user is not None and user_has_device(user):
            self.clean_otp(user)
        return cleaned


class TrackerAdminSite(admin.AdminSite):
    login_form = TwoFactorLoginForm
    login_template = "admin/tracker_login.html"

    def has_permission(self, request: HttpRequest) -> bool:
        if not super().has_permission(request):
            return False
        user = request.user
        if user.is_superuser and getattr(settings, "OTP_REQUIRED_FOR_SUPERUSERS", False):
            return user.is_verified()
        return True
