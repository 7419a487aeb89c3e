"""A second factor for staff (django-otp), required of superusers in production."""

import pytest
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from tracker import factories

PASSWORD = "a long pass phrase 42"


def staff(username: str, **extra):
    user = factories.UserFactory(username=username, is_staff=True, **extra)
    user.set_password(PASSWORD)
    user.save()
    return user


def backup_code(user, code: str = "12345678") -> str:
    device = StaticDevice.objects.create(user=user, name="backup")
    device.token_set.create(token=code)
    return code


def log_in(client, username: str, token: str = ""):
    return client.post(
        reverse("admin:login"),
        {"username": username, "password": PASSWORD, "otp_token": token, "next": "/admin/"},
    )


@pytest.mark.django_db
def test_staff_without_a_device_log_in_with_the_password(client):
    staff("plain")
    assert log_in(client, "plain").status_code == 302


@pytest.mark.django_db
def test_staff_with_a_device_must_give_its_code(client, settings):
    settings.OTP_STATIC_THROTTLE_FACTOR = 0  # no wait after the wrong code, for the test
    code = backup_code(staff("careful"))
    refused = log_in(client, "careful")
    assert refused.status_code == 200
    assert "authentication code" in refused.content.decode().lower() or "OTP" in (
        refused.content.decode()
    )
    assert log_in(client, "careful", "99999999").status_code == 200
    assert log_in(client, "careful", code).status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200


@pytest.mark.django_db
def test_superuser_needs_a_second_factor_when_required(client, settings):
    settings.OTP_REQUIRED_FOR_SUPERUSERS = True
    root = staff("root", is_superuser=True)
    assert log_in(client, "root").status_code == 302
    assert client.get(reverse("admin:index")).status_code == 302, "sent back to log in"

    code = backup_code(root)
    client.logout()
    assert log_in(client, "root", code).status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200


@pytest.mark.django_db
def test_authenticator_apps_can_be_registered_in_the_admin(admin_client):
    response = admin_client.get(reverse("admin:otp_totp_totpdevice_add"))
    assert response.status_code == 200
    assert TOTPDevice.objects.count() == 0
