"""What the tests of every area share: reading a page as a reader sees it, counting a
page's queries, the one list of public addresses (also measured by the bench), the staff
roles, and posting admin forms the way a browser does."""

import datetime as dt
import importlib
import json
import os
import re
import shutil
import subprocess
import threading
from decimal import Decimal
from pathlib import Path

import pytest
from django import forms
from django.contrib.auth.models import Group, Permission
from django.db import connection, connections
from django.db.models import Model
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from tracker.models import Programme, Project, Sector

# Reading pages


def page_text(response) -> str:
    """The page's visible text with whitespace collapsed, roughly as a reader sees it."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", html)
    return re.sub(r"\s+", " ", text)


def table_text(response) -> str:
    """The text of the table rows only, not of the filter form above them."""
    html = response.content.decode()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html.split("<tbody>", 1)[1]))


def count_queries(client, urls: list[str]) -> dict[str, int]:
    """The database queries each page makes, by address; each must answer 200."""
    counts = {}
    for url in urls:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200, url
        counts[url] = len(queries)
    return counts


# The public addresses


def public_urls(programme: Programme, project: Project | None = None, lang: str = "en"):
    """One address of each kind of public page of `programme`, by name; with `project`,
    that project's page, its target and milestone, and its sector's page."""
    base = f"/{lang}/programmes/{programme.slug}/"
    urls = {"programme list": f"/{lang}/programmes/", "dashboard": base}
    if project is not None:
        urls["project"] = f"{base}projects/{project.slug}/"
        urls["target"] = f"{base}targets/{project.targets.order_by('pk').first().pk}/"
    headlines = programme.targets.filter(project__isnull=True).order_by("pk")
    for number, target in enumerate(headlines, 1):
        urls[f"headline target {number}"] = f"{base}targets/{target.pk}/"
    milestone = (project or programme).milestones.order_by("pk").first()
    sector = project.sector if project else Sector.objects.order_by("slug").first()
    return urls | {
        "milestones table": f"{base}milestones/",
        "milestones filtered": (
            f"{base}milestones/?status=in_progress&window=overdue&sort=-planned_on"
        ),
        "milestone": f"{base}milestones/{milestone.pk}/",
        "sector": f"{base}sectors/{sector.slug}/",
        "what changed": f"{base}changes/",
        "open questions": f"{base}open-questions/",
        "send evidence": f"{base}milestones/{milestone.pk}/evidence/",
        "methodology": f"/{lang}/methodology/",
    }


def site_urls(lang: str = "en") -> list[str]:
    """Every public page of the demo programme and of the real one, both loaded."""
    demo = Programme.objects.get(slug="demo-hub")
    yizhuang = Programme.objects.get(slug="beijing-etown-ai")
    project = Project.objects.get(programme=demo, slug="credit-risk-ai")
    urls = [*public_urls(demo, project, lang).values(), *public_urls(yizhuang, None, lang).values()]
    return list(dict.fromkeys(urls))


def api_urls() -> list[str]:
    """One address of each API endpoint, on the demo programme."""
    project = Project.objects.get(slug="credit-risk-ai")
    base = "/api/v1/programmes/demo-hub"
    return [
        "/api/v1/programmes",
        base,
        f"{base}/projects",
        f"{base}/projects/{project.slug}",
        f"{base}/targets",
        f"{base}/targets/{project.targets.order_by('pk').first().pk}",
        f"{base}/milestones",
        f"{base}/milestones?window=overdue",
        f"{base}/milestones/{project.milestones.order_by('pk').first().pk}",
        f"{base}/updates",
        f"{base}/changes",
        "/api/v1/sources",
    ]


# Staff


def ensure_roles() -> None:
    """The two roles, as the migrations make them: an earlier test with a live server
    may have emptied the database (and its migrated groups) after itself."""
    roles = importlib.import_module("tracker.migrations.0004_roles")
    review = importlib.import_module("tracker.migrations.0007_publishing")
    for name, rights in roles.ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        codenames = [f"{action}_{model}" for model, actions in rights.items() for action in actions]
        codenames += roles.EXTRA.get(name, []) + review.REVIEW_RIGHTS
        # Evidence files and photos (the migration that adds EvidenceFile).
        codenames += ["view_evidencefile", "add_evidencefile", "change_evidencefile"]
        codenames += ["delete_evidencefile"]  # a draft update's photos (0022)
        codenames = [code for code in codenames if code != "delete_measurement"]
        group.permissions.set(
            Permission.objects.filter(content_type__app_label="tracker", codename__in=codenames)
        )


def editor_of(project, username: str = "editor", **fields):
    """A staff user in the editors' group, assigned to `project`."""
    from tests import factories

    user = factories.UserFactory(username=username, is_staff=True, **fields)
    user.groups.add(Group.objects.get(name="Project editor"))
    project.editors.add(user)
    return user


def manager_of(programme, username: str = "manager", **fields):
    """A staff user in the managers' group, managing `programme`."""
    from tests import factories

    user = factories.UserFactory(username=username, is_staff=True, **fields)
    user.groups.add(Group.objects.get(name="Programme manager"))
    programme.managers.add(user)
    return user


# Admin forms, read and posted the way a browser does


def _as_post_value(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "on" if value else None
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Model):
        return str(value.pk)
    if isinstance(value, list | tuple | set):
        return [str(getattr(v, "pk", v)) for v in value]
    if isinstance(value, Decimal | int | float):
        return str(value)
    return value


def _add_form(data: dict, form) -> None:
    for name in form.fields:
        bound = form[name]
        if bound.field.disabled:
            continue
        value = bound.value()
        if isinstance(value, dt.datetime) and hasattr(bound.field.widget, "widgets"):
            # The admin's split date-time widget posts a date and a time.
            data[f"{bound.html_name}_0"] = value.date().isoformat()
            data[f"{bound.html_name}_1"] = value.time().isoformat(timespec="seconds")
            continue
        if value is None and isinstance(
            bound.field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField
        ):
            continue  # an empty multiple choice posts nothing
        post = _as_post_value(value)
        if post is not None:
            data[bound.html_name] = post


def admin_form_data(response) -> dict:
    """The POST data a browser would send for an admin add or change page, unchanged."""
    data: dict = {}
    _add_form(data, response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        _add_form(data, formset.management_form)
        for form in formset.forms:
            _add_form(data, form)
    return data


def list_rows(*rows: dict) -> dict:
    """What the admin's editable list posts: its management form and one dict a row."""
    data = {
        "form-TOTAL_FORMS": str(len(rows)),
        "form-INITIAL_FORMS": str(len(rows)),
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
        "_save": "Save",
    }
    for index, row in enumerate(rows):
        data.update({f"form-{index}-{name}": value for name, value in row.items()})
    return data


# The Nu HTML checker (npm's vnu-jar, on the system's Java)

VNU = (
    Path(__file__).resolve().parents[1] / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
)


def require(condition: bool, reason: str) -> None:
    if not condition:
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (required in CI)")
        pytest.skip(reason)


def vnu_errors(responses: dict, folder: Path) -> list:
    """The Nu HTML checker's errors for each page (address: response), by address."""
    java = shutil.which("java")
    require(java is not None, "no Java to run the Nu HTML checker")
    require(VNU.exists(), "vnu-jar is not installed (npm ci)")
    pages = {}
    for url, response in responses.items():
        assert response.status_code == 200, url
        path = folder / f"page{len(pages)}.html"
        path.write_bytes(response.content)
        pages[f"file:{path}"] = url
    checked = subprocess.run(  # noqa: S603 (fixed arguments, our own files)
        [java, "-jar", str(VNU), "--errors-only", "--format", "json", *map(str, pages_of(folder))],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    messages = json.loads(checked.stderr or checked.stdout or '{"messages": []}')["messages"]
    return [
        (pages.get(m.get("url"), m.get("url")), m.get("lastLine"), m["message"])
        for m in messages
        if m["type"] == "error" or m.get("subType") == "fatal"
    ]


def pages_of(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.html"))


def chinese(english: str, expected: str) -> str:
    """`expected`, checked to be what the site's catalogue makes of `english`."""
    with translation.override("zh-hans"):
        assert translation.gettext(english) == expected, english
    return expected


def sitemap_text(client) -> str:
    """Every section the sitemap's index lists, read in turn."""
    index = client.get("/sitemap.xml").content.decode()
    sections = re.findall(r"<loc>http://testserver(/sitemap-[^<]+)</loc>", index)
    assert sections
    return "".join(
        client.get(section.replace("&amp;", "&")).content.decode() for section in sections
    )


def at_once(*calls):
    """Run each call in its own thread, released together; their results in order."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            results[index] = call()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
