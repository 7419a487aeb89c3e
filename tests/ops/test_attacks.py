"""The attacks a hostile editor or an anonymous visitor would try, through the real
login view, the public pages, the downloads, the feeds, the API and the admin."""

import csv
import datetime as dt
import html
import io
from decimal import Decimal
from html.parser import HTMLParser

import feedparser
import openpyxl
import pytest
from django.contrib import admin
from django.forms import BooleanField
from django.urls import reverse

from tests import factories
from tests.helpers import api_urls, site_urls
from tracker.models import Measurement, Programme, Sector
from tracker.spreadsheets import escape_formula

PASSWORD = "a long pass phrase 42"
LOGIN = "/admin/login/"
ATTACKER = "203.0.113.5"
HOME = "198.51.100.7"
PROXY = "127.0.0.1"


@pytest.fixture
def fast_passwords(settings):
    # Lockout is about counting attempts, not hashing; a fast hasher keeps the loops short.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def staff(username: str):
    user = factories.UserFactory(username=username, is_staff=True)
    user.set_password(PASSWORD)
    user.save()
    return user


def log_in(client, username: str, password: str, address: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": address}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    client.logout()
    return client.post(
        LOGIN, {"username": username, "password": password, "next": "/admin/"}, **extra
    )


def logged_in(response) -> bool:
    return response.status_code == 302 and response.url == "/admin/"


def locked_out(response) -> bool:
    return response.status_code == 429 and "Too many failed logins" in response.content.decode()


# 3. Lockout


@pytest.mark.django_db
def test_wrong_passwords_for_admin_do_not_lock_the_real_admin_out_from_elsewhere(
    client, fast_passwords
):
    staff("admin")
    for _ in range(5):
        assert log_in(client, "admin", "guess", ATTACKER).status_code == 200
    assert locked_out(log_in(client, "admin", "guess", ATTACKER))
    assert locked_out(log_in(client, "admin", PASSWORD, ATTACKER)), "the guesser stays locked"
    assert logged_in(log_in(client, "admin", PASSWORD, HOME))


@pytest.mark.django_db
def test_behind_the_proxy_one_attacker_cannot_lock_out_all_staff(client, settings, fast_passwords):
    settings.BEHIND_PROXY = True
    for name in ("admin", "editor", "manager"):
        staff(name)
        for _ in range(6):
            log_in(client, name, "guess", PROXY, forwarded=ATTACKER)
    assert locked_out(log_in(client, "editor", PASSWORD, PROXY, forwarded=ATTACKER))
    for name in ("admin", "editor", "manager"):
        assert logged_in(log_in(client, name, PASSWORD, PROXY, forwarded=HOME)), name


@pytest.mark.django_db
def test_a_client_cannot_choose_its_address_by_writing_the_header(client, settings, fast_passwords):
    settings.BEHIND_PROXY = True
    staff("editor")
    # Straight to the app, not through the proxy: the header is not believed.
    for n in range(6):
        response = log_in(client, "editor", "guess", ATTACKER, forwarded=f"192.0.2.{n}")
    assert locked_out(response)
    # Through the proxy, with addresses of its own choosing written in front of its own.
    for n in range(6):
        response = log_in(client, "editor", "guess", PROXY, forwarded=f"192.0.2.{n}, 203.0.113.99")
    assert locked_out(response)
    assert logged_in(log_in(client, "editor", PASSWORD, PROXY, forwarded=HOME))


@pytest.mark.django_db
def test_one_address_trying_every_account_is_stopped_later_than_one_account(
    client, settings, fast_passwords
):
    staff("editor")
    names = [f"staff{n}" for n in range(settings.AXES_ADDRESS_FAILURE_LIMIT)]
    # One guess at each of many accounts: past the per-account limit, not yet stopped.
    for name in names[: settings.AXES_FAILURE_LIMIT * 2]:
        assert log_in(client, name, "Winter2026!", ATTACKER).status_code == 200
    assert logged_in(log_in(client, "editor", PASSWORD, ATTACKER))
    for name in names[settings.AXES_FAILURE_LIMIT * 2 :]:
        log_in(client, name, "Winter2026!", ATTACKER)
    # Password spraying: the address is stopped for every account, others are not.
    assert locked_out(log_in(client, "editor", PASSWORD, ATTACKER))
    assert logged_in(log_in(client, "editor", PASSWORD, HOME))


# 4. Formulas in downloads

HOSTILE = {
    "project": '=HYPERLINK("http://evil.example/","Click for details")',
    "milestone": "=cmd|' /C calc'!A0",
    "note": "@SUM(1+1)*cmd|' /C calc'!A0",
    "source": "-2+3+cmd|' /C calc'!A0",
    "reason": "+1+cmd|' /C calc'!A0",
}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def is_number(text: str) -> bool:
    try:
        Decimal(text)
    except ArithmeticError:
        return False
    return True


def opens_as_formula(value) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS) and not is_number(value)


@pytest.fixture
def hostile(demo):
    """Text an editor (or a reviewed submission) could put in every exported column."""
    programme = Programme.objects.get(slug="demo-hub")
    project = factories.ProjectFactory(
        programme=programme,
        sector=Sector.objects.get(slug="banking"),
        slug="hostile",
        name_en=HOSTILE["project"],
    )
    target = factories.TargetFactory(project=project, programme=programme)
    source = factories.SourceFactory(title_en=HOSTILE["source"])
    factories.MeasurementFactory(target=target, source=source, note_en=HOSTILE["note"])
    milestone = factories.MilestoneFactory(
        project=project, programme=programme, title_en=HOSTILE["milestone"]
    )
    milestone.planned_on += dt.timedelta(days=30)
    milestone._change_reason = HOSTILE["reason"]
    milestone.save()
    return {"programme": programme, "target": target, "milestone": milestone}


def read_sheet(response, fmt: str) -> list[list]:
    if fmt == "csv":
        # The public downloads start with a byte-order mark, for Excel.
        return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f", f"a formula in {cell.coordinate}: {cell.value}"
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def public_downloads(hostile) -> dict[str, list[str]]:
    """Each public table download, and the hostile texts it carries."""
    base = "/en/programmes/demo-hub/"
    return {
        base: ["project"],
        f"{base}sectors/banking/": ["project"],
        f"{base}milestones/": ["milestone"],
        hostile["target"].get_absolute_url(): ["note", "source"],
        f"{base}changes/": ["milestone", "reason"],
    }


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_no_public_download_opens_as_a_formula(client, hostile, fmt):
    for url, texts in public_downloads(hostile).items():
        response = client.get(f"{url}?_export={fmt}")
        assert response.status_code == 200, url
        cells = [cell for row in read_sheet(response, fmt) for cell in row]
        assert not [cell for cell in cells if opens_as_formula(cell)], url
        for key in texts:
            # Still there, word for word, marked as text.
            assert "'" + HOSTILE[key] in cells, (url, key)


@pytest.mark.django_db
def test_downloads_keep_numbers_numeric(client, hostile):
    target = hostile["target"]
    rows = read_sheet(client.get(f"{target.get_absolute_url()}?_export=xlsx"), "xlsx")
    assert rows[0][1] == "Value"
    assert [row[1] for row in rows[1:]] == [100000000]
    rows = read_sheet(client.get("/en/programmes/demo-hub/milestones/?_export=xlsx"), "xlsx")
    days = rows[0].index("Slippage (days)")
    slippage = [row[days] for row in rows[1:]]
    assert slippage and all(isinstance(late, int) for late in slippage)
    rows = read_sheet(client.get("/en/programmes/demo-hub/milestones/?_export=csv"), "csv")
    assert all(row[days].isdigit() for row in rows[1:])


def test_escaping_marks_formulas_and_leaves_numbers_alone():
    assert escape_formula("=1+1") == "'=1+1"
    assert escape_formula("@SUM(A1)") == "'@SUM(A1)"
    assert escape_formula("-2+3") == "'-2+3"
    assert escape_formula("\t=1") == "'\t=1"
    assert escape_formula("＝1+1") == "'＝1+1"
    for number in ("-5", "+5", "-0.25", "-1.5e3", Decimal("-5"), -5, 2.5, None):
        assert escape_formula(number) == number
    assert escape_formula(dt.date(2026, 1, 1)) == dt.date(2026, 1, 1)
    assert escape_formula("A plain title") == "A plain title"


def admin_export(client, model: str, fmt: str):
    """The admin's export form, sent with every column ticked and the format chosen."""
    url = reverse(f"admin:tracker_{model}_export")
    form = client.get(url).context["form"]
    formats = {label.lower(): value for value, label in form.fields["format"].choices}
    columns = {name: "on" for name, field in form.fields.items() if isinstance(field, BooleanField)}
    return client.post(url, {"format": formats[fmt], "resource": "0", **columns})


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("model", "fmt", "texts"),
    [
        ("milestone", "csv", ["milestone"]),
        ("milestone", "xlsx", ["milestone"]),
        ("measurement", "csv", ["note"]),
        ("measurement", "xlsx", ["note"]),
    ],
)
def test_no_admin_export_opens_as_a_formula(client, admin_user, hostile, model, fmt, texts):
    client.force_login(admin_user)
    response = admin_export(client, model, fmt)
    assert response.status_code == 200
    rows = read_sheet(response, fmt)
    cells = [cell for row in rows for cell in row]
    assert not [cell for cell in cells if opens_as_formula(cell)]
    for key in texts:
        assert "'" + HOSTILE[key] in cells
    if model == "measurement":
        values = [row[rows[0].index("value")] for row in rows[1:]]
        if fmt == "xlsx":
            assert values and all(isinstance(value, int | float) for value in values)
        assert values and all(is_number(str(value)) for value in values), "numbers unmarked"
    assert Measurement.objects.filter(note_en=HOSTILE["note"]).exists(), "nothing was altered"


# 5. HTML in the changes feed


class Elements(HTMLParser):
    def __init__(self, markup: str):
        super().__init__()
        self.tags: list[str] = []
        self.feed(markup)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "feed",
    ["/en/programmes/demo-hub/changes.atom", "/en/programmes/demo-hub/projects/x/changes.atom"],
)
def test_a_reason_with_markup_reaches_feed_readers_as_text(client, demo, feed):
    programme = Programme.objects.get(slug="demo-hub")
    project = factories.ProjectFactory(programme=programme, slug="x")
    milestone = factories.MilestoneFactory(
        project=project, programme=programme, title_en="<b>Bold</b> & co"
    )
    milestone.planned_on += dt.timedelta(days=30)
    milestone._change_reason = '<script>alert(1)</script><img src=x onerror="alert(2)">'
    milestone.save()
    # As a reader that trusts the feed's HTML would take it: no sanitising.
    parsed = feedparser.parse(client.get(feed).content, sanitize_html=False)
    assert not parsed.bozo
    entry = next(e for e in parsed.entries if "Bold" in e.title)
    assert entry.summary_detail.type == "text/html"
    assert Elements(entry.summary).tags == [], "no element, live or not, in the summary"
    shown = html.unescape(entry.summary)
    assert "<script>alert(1)</script>" in shown, "the reason is shown as written"
    assert entry.title.startswith("<b>Bold</b> & co"), "the title is text"


# 8. NUL bytes and paging

API = "/api/v1/programmes"
NUL_IN_API = [
    f"{API}/%00",
    f"{API}/%00/projects",
    f"{API}/%00/targets",
    f"{API}/%00/milestones",
    f"{API}/%00/updates",
    f"{API}/%00/changes",
    f"{API}/demo-hub/projects/%00",
    f"{API}/demo-hub/projects?sector=%00",
    f"{API}/demo-hub/milestones?project=%00",
    f"{API}/demo-hub/milestones?sector=%00",
    f"{API}/demo-hub/milestones?sector=%00&project=%00",
]


@pytest.mark.django_db
@pytest.mark.parametrize("url", NUL_IN_API)
def test_a_nul_byte_in_the_api_is_refused_as_invalid(client, demo, url):
    response = client.get(url)
    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/json")
    assert "NUL character" in response.json()["detail"][0]["msg"]


def test_the_api_document_declares_its_refusals(client):
    document = client.get("/api/v1/openapi.json").json()
    for path, operations in document["paths"].items():
        responses = operations["get"]["responses"]
        assert "422" in responses, path
        assert ("404" in responses) == ("{" in path), path
        error = responses["422"]["content"]["application/json"]["schema"]
        assert error["$ref"].endswith("/InvalidOut")


def admin_nul_urls() -> list[str]:
    urls = []
    for model in admin.site._registry:
        changelist = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        urls += [f"{changelist}?q=%00", f"{changelist}?is_demo__exact=%00"]
    return [
        *urls,
        f"{reverse('admin:tracker_milestone_changelist')}?programme__id__exact=%00",
        f"{reverse('admin:tracker_milestone_changelist')}?status=%00",
        f"{reverse('admin:autocomplete')}?app_label=tracker&model_name=milestone"
        "&field_name=milestones&term=%00",
    ]


@pytest.mark.django_db
def test_a_nul_byte_in_admin_filters_search_and_autocomplete_gets_a_message(
    client, admin_user, demo
):
    client.force_login(admin_user)
    for url in admin_nul_urls():
        response = client.get(url)
        assert response.status_code == 400, url
        assert "NUL character" in response.content.decode(), url


@pytest.mark.django_db
@pytest.mark.parametrize("per_page", ["-1", "0", "101", "1000000", "many", "%00"])
@pytest.mark.parametrize("page", ["", "milestones/", "sectors/banking/"])
def test_impossible_or_enormous_page_sizes_get_a_message(client, demo, page, per_page):
    response = client.get(f"/en/programmes/demo-hub/{page}?per_page={per_page}")
    assert response.status_code == 400
    text = response.content.decode()
    assert "per_page must be a whole number from 1 to 100" in text or "NUL" in text


@pytest.mark.django_db
def test_a_reasonable_page_size_is_served(client, demo):
    response = client.get("/en/programmes/demo-hub/milestones/?per_page=2")
    assert response.status_code == 200
    assert len(response.context["table"].page.object_list) == 2
    assert client.get("/en/programmes/demo-hub/?per_page=100").status_code == 200


# Fuzz: hostile values everywhere, and never a server error

LONG = "x" * 5000
JUNK = ["%00", "-1", "99999999999999999999999999", LONG]
PAGE_PARAMETERS = ["page", "per_page", "sort", "status", "sector", "project", "window", "_export"]
API_PARAMETERS = ["page", "page_size", "status", "sector", "project", "window", "lifecycle_status"]


def fuzzed(url: str) -> list[str]:
    """The address with each junk value in each parameter it reads, one at a time, and in
    each path segment after the first two."""
    path, _, query = url.partition("?")
    joiner = f"?{query}&" if query else "?"
    names = API_PARAMETERS if path.startswith("/api/") else PAGE_PARAMETERS
    variants = [f"{path}{joiner}{name}={value}" for name in names for value in JUNK]
    variants.append(f"{path}{joiner}" + "&".join(f"{name}=%FF%FE'\"<s>%2e%2e%2f" for name in names))
    parts = path.rstrip("/").split("/")
    for index in range(3, len(parts)):
        for value in ("%00", LONG, "99999999999999999999999999"):
            mutated = [*parts[:index], value, *parts[index + 1 :]]
            variants.append("/".join(mutated) + ("/" if path.endswith("/") else ""))
    return variants


@pytest.mark.django_db
def test_no_hostile_address_makes_a_server_error(client, yizhuang, demo):
    urls = [url for url in site_urls() if "?" not in url] + api_urls()
    urls += [
        "/en/programmes/demo-hub/changes.atom",
        "/en/programmes/demo-hub/projects/credit-risk-ai/updates.atom",
        "/en/programmes/demo-hub/milestones.ics",
        "/badges/demo-hub/projects/credit-risk-ai.svg",
        "/sitemap.xml",
    ]
    errors = {}
    for url in urls:
        for variant in fuzzed(url):
            status = client.get(variant).status_code
            if status >= 500:
                errors[variant[:200]] = status
    assert errors == {}
