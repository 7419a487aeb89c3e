"""A second factor for staff (django-otp), required of superusers in production."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests import factories

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


def totp_code(device) -> str:
    from django_otp.oath import TOTP

    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


@pytest.mark.django_db
def test_programme_that_requires_two_factor_leads_its_editor_to_set_one_up(client, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    programme = factories.ProgrammeFactory(requires_two_factor=True)
    project = factories.ProjectFactory(programme=programme, name_en="Strict project")
    editor = staff("strict")
    editor.groups.add(Group.objects.get(name="Project editor"))
    project.editors.add(editor)
    setup_url = reverse("admin:two-factor")

    assert log_in(client, "strict").status_code == 302
    for url in (reverse("admin:index"), reverse("admin:tracker_project_changelist")):
        led = client.get(url)
        assert (led.status_code, led.url) == (302, setup_url), url
    page = client.get(setup_url)
    html = page.content.decode()
    assert page.status_code == 200
    assert 'src="data:image/svg+xml;base64,' in html and "QR code" in html
    device = TOTPDevice.objects.get(user=editor)
    assert not device.confirmed, "not active before it is confirmed"

    wrong = client.post(setup_url, {"token": "000000" if totp_code(device) != "000000" else "1"})
    assert wrong.status_code == 400 and "That code is not right" in wrong.content.decode()
    device.refresh_from_db()
    assert not device.confirmed

    done = client.post(setup_url, {"token": totp_code(device)})
    assert done.status_code == 200
    codes = done.context["codes"]
    assert len(codes) == 10 and all(code in done.content.decode() for code in codes)
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(reverse("admin:index")).status_code == 200, "verified by the set-up"
    assert client.get(setup_url).context["codes"] is None, "backup codes are shown once"

    client.logout()
    assert log_in(client, "strict").status_code == 200, "the code is now asked for"
    assert log_in(client, "strict", codes[0]).status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200
    client.logout()
    assert log_in(client, "strict", codes[0]).status_code == 200, "a backup code works once"


@pytest.mark.django_db
def test_site_can_require_two_factor_of_all_staff(client, settings):
    settings.OTP_REQUIRED_FOR_STAFF = True
    staff("anyone")
    assert log_in(client, "anyone").status_code == 302
    led = client.get(reverse("admin:index"))
    assert led.url == reverse("admin:two-factor")
    assert client.get(reverse("admin:two-factor")).status_code == 200


@pytest.mark.django_db
def test_staff_not_required_may_still_set_up_an_authenticator(client):
    staff("willing")
    log_in(client, "willing")
    assert client.get(reverse("admin:index")).status_code == 200
    page = client.get(reverse("admin:two-factor"))
    assert "Scan this QR code" in page.content.decode()


@pytest.mark.django_db
def test_a_password_alone_cannot_add_a_device_or_new_backup_codes(client, settings):
    settings.OTP_REQUIRED_FOR_STAFF = True
    user = staff("guarded")
    backup_code(user)
    client.force_login(user)  # the password, but not the code
    for response in (
        client.get(reverse("admin:two-factor")),
        client.post(reverse("admin:two-factor"), {"action": "backup"}),
    ):
        assert response.status_code == 302 and response.url.startswith(reverse("admin:login"))
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert StaticDevice.objects.get(user=user).token_set.count() == 1
