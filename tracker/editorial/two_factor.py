"""Staff set up their own second factor: an authenticator app (TOTP, by QR code or key)
confirmed with a code before it counts, and a set of one-time backup codes shown once."""

import base64
from base64 import b32encode

import django_otp
import qrcode
import qrcode.image.svg
from django import forms
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django_otp import user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

BACKUP_CODES = 10
APP_DEVICE = "Authenticator app"
BACKUP_DEVICE = "Backup codes"


class ConfirmForm(forms.Form):
    token = forms.CharField(
        label=_("Code shown by the app"),
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


def qr_code_data_uri(text: str) -> str:
    """The QR code of `text` as an SVG data address (the pages allow no inline SVG
    styles, and an <img> carries its own alternative text)."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    svg = image.to_string(encoding="unicode")
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def new_backup_codes(user) -> list[str]:
    """Replace the person's backup codes; returns the new ones, to show once."""
    device, _ = StaticDevice.objects.get_or_create(user=user, name=BACKUP_DEVICE)
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODES)]
    device.token_set.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def spaced(key: str) -> str:
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


@never_cache
def setup(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return redirect_to_login(request.get_full_path(), reverse("admin:login"))
    if user_has_device(user) and not user.is_verified():  # type: ignore[attr-defined]  # django-otp
        # Someone with a device changes nothing here before giving its code: a password
        # alone must not be enough to add an app or make new backup codes.
        return redirect_to_login(request.get_full_path(), reverse("admin:login"))
    app = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    context = {
        **admin.site.each_context(request),
        "title": gettext("Two-factor authentication"),
        "app": app,
        "backup_left": StaticToken.objects.filter(
            device__user=user, device__name=BACKUP_DEVICE
        ).count(),
        "codes": None,
    }
    status = 200
    if app is not None:
        if request.method == "POST" and request.POST.get("action") == "backup":
            context["codes"] = new_backup_codes(user)
            context["backup_left"] = len(context["codes"])
        return TemplateResponse(request, "admin/tracker/staff/two_factor.html", context)

    # Not set up yet: one pending (unconfirmed) app device, kept until it is confirmed.
    pending = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if pending is None:
        pending = TOTPDevice.objects.create(user=user, name=APP_DEVICE, confirmed=False)
    form = ConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        token = form.cleaned_data["token"].replace(" ", "")
        if pending.verify_token(token):
            pending.confirmed = True
            pending.save(update_fields=["confirmed"])
            django_otp.login(request, pending)
            context.update(app=pending, codes=new_backup_codes(user), backup_left=BACKUP_CODES)
            return TemplateResponse(request, "admin/tracker/staff/two_factor.html", context)
        form.add_error(
            "token",
            gettext("That code is not right. Check the time on your phone and try again."),
        )
        status = 400
    context.update(
        form=form,
        qr_code=qr_code_data_uri(pending.config_url),
        key=spaced(b32encode(pending.bin_key).decode()),
    )
    return TemplateResponse(request, "admin/tracker/staff/two_factor.html", context, status=status)
