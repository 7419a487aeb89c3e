"""Search: one box in the header over the public record, in English and Chinese, with
typos forgiven; never a pending change or an unpublished update; junk answered calmly."""

import re

import pytest
from django.db import connection

from tests import factories
from tests.helpers import editor_of, page_text, vnu_errors
from tracker.editorial.publishing import save_change
from tracker.models import ChangeRequest, Project

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="full-text and trigram search need PostgreSQL"
)


def search(client, q: str, lang: str = "en"):
    return client.get(f"/{lang}/search/", {"q": q})


def section(response, kind: str) -> str:
    """The text of one group of results ("projects", "targets", ...), or "" if none."""
    html = response.content.decode()
    found = re.search(
        rf'<section [^>]*aria-labelledby="results-{kind}">(.*?)</section>', html, re.S
    )
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1))) if found else ""


@pytest.mark.django_db
def test_every_public_page_has_the_search_box_in_its_header(client, demo):
    for lang in ("en", "zh-hans"):
        html = client.get(f"/{lang}/programmes/demo-hub/").content.decode()
        header = html.split("</header>", 1)[0]
        assert f'<form class="site-search" role="search" action="/{lang}/search/"' in header
        assert 'name="q"' in header


@pytest.mark.django_db
def test_a_project_is_found_by_an_english_word_and_by_a_chinese_substring(client, demo):
    english = search(client, "traffic")
    assert english.status_code == 200
    assert "Demo: Smart traffic signals" in section(english, "projects")
    assert "Demo: investment in smart traffic signals" in section(english, "targets")
    chinese = search(client, "交通", lang="zh-hans")
    assert "示例：智能交通信号" in section(chinese, "projects")
    assert "示例：智能交通信号投资" in section(chinese, "targets")
    # Either language's words find a record from the other language's pages.
    assert "Demo: Smart traffic signals" in section(search(client, "交通"), "projects")
    assert "示例：智能交通信号" in section(search(client, "traffic", "zh-hans"), "projects")


@pytest.mark.django_db
def test_a_misspelt_english_word_still_finds_the_project(client, demo):
    """On PostgreSQL by trigram similarity, elsewhere by difflib over the names."""
    found = section(search(client, "trafic"), "projects")
    assert "Demo: Smart traffic signals" in found
    assert "Medical imaging" not in found
    assert "Demo: Medical imaging assistant" in section(search(client, "imagng"), "projects")


@on_postgresql
@pytest.mark.django_db
def test_postgresql_finds_a_project_by_a_misspelt_word_and_by_a_chinese_substring(client, demo):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        assert cursor.fetchone(), "migration 0010 installs pg_trgm"
    assert "Demo: Smart traffic signals" in section(search(client, "smart trafic"), "projects")
    assert "Demo: Smart traffic signals" in section(search(client, "signls"), "projects")
    # Full text is stemmed: another form of the word finds it.
    assert "Demo: Smart traffic signals" in section(search(client, "signalling"), "projects")
    assert "示例：智能交通信号" in section(search(client, "交通信", "zh-hans"), "projects")


@pytest.mark.django_db
def test_results_are_grouped_by_kind_with_the_status_the_pages_show(client, demo):
    response = search(client, "credit risk")
    text = page_text(response)
    projects = section(response, "projects")
    assert "Demo: AI credit risk platform" in projects
    assert "Computed rating:" in projects
    assert re.search(r"Computed rating: (Green|Amber|Red): ", projects)
    assert "Declared rating: Green: on course" in projects
    assert "Being implemented" in projects
    assert "Demo" in projects  # the demo badge, as on the programme list
    targets = section(response, "targets")
    assert "Demo: investment in ai credit risk platform" in targets
    assert re.search(r"Status: (On track|Needs acceleration|Off track)", targets)
    updates = section(response, "updates")
    assert "Demo: quarterly update on ai credit risk platform" in updates
    headings = re.findall(r'<h2 id="results-(\w+)">', response.content.decode())
    assert headings == ["projects", "targets", "updates"]
    assert "Results for “credit risk”" in text

    milestones = section(search(client, "pilot in service"), "milestones")
    assert "Demo: pilot in service" in milestones
    assert "In progress" in milestones or "Completed on" in milestones


@pytest.mark.django_db
def test_results_link_to_the_public_pages(client, demo):
    project = Project.objects.get(slug="smart-signals")
    html = search(client, "traffic").content.decode()
    assert f'href="{project.get_absolute_url()}"' in html
    target = project.targets.get()
    assert f'href="{target.get_absolute_url()}"' in html
    zh = search(client, "交通", "zh-hans").content.decode()
    assert f'href="/zh-hans/programmes/demo-hub/projects/{project.slug}/"' in zh


@pytest.mark.django_db
def test_unpublished_updates_and_pending_changes_are_not_found(client, demo):
    # The demo's draft programme review is in the database, not in the public record.
    assert not section(search(client, "draft programme review"), "updates")
    project = factories.ProjectFactory(name_en="Harbour cranes", name_zh_hans="港口起重机")
    factories.ProgressUpdateFactory(
        project=project, title_en="Submitted zeppelin report", state="submitted", published_at=None
    )
    assert "Nothing in the public record matches" in page_text(search(client, "zeppelin"))
    # An editor renames the project: the new name waits for a manager.
    editor = editor_of(project)
    renamed = Project.objects.get(pk=project.pk)
    renamed.name_en = "Harbour hovercraft"
    renamed.name_zh_hans = "港口气垫船"
    change = save_change(instance=renamed, by=editor, reason="The cranes became hovercraft.")
    assert change.state == ChangeRequest.State.PENDING
    assert not section(search(client, "hovercraft"), "projects")
    assert not section(search(client, "气垫船", "zh-hans"), "projects")
    assert "Harbour cranes" in section(search(client, "cranes"), "projects")


@pytest.mark.django_db
def test_only_organisations_a_public_page_names_are_found(client):
    lead = factories.OrganisationFactory(name_en="Quokka Robotics", name_zh_hans="短尾矮袋鼠机器人")
    factories.OrganisationFactory(name_en="Quokka Holdings (unlisted)")
    project = factories.ProjectFactory(name_en="Delivery robots")
    project.lead_organisations.add(lead)
    found = section(search(client, "quokka"), "organisations")
    assert "Quokka Robotics" in found
    assert "Named in: Delivery robots" in found
    assert "Holdings" not in found
    assert "短尾矮袋鼠机器人" in section(search(client, "袋鼠", "zh-hans"), "organisations")


@pytest.mark.django_db
def test_an_empty_search_asks_for_a_word(client):
    for query in ("", "   ", "\u200b\u202e"):
        response = search(client, query)
        assert response.status_code == 200
        assert "Type a word or a name in the search box" in page_text(response)


@pytest.mark.django_db
def test_a_very_long_search_is_refused_with_a_message(client, demo):
    response = search(client, "traffic " * 125)
    assert response.status_code == 400
    assert "Search for at most 100 characters." in page_text(response)
    # The box keeps what fits.
    assert 'maxlength="100"' in response.content.decode()


@pytest.mark.django_db
def test_a_nul_byte_is_refused_with_a_message(client):
    response = client.get("/en/search/?q=traffic%00")
    assert response.status_code == 400
    assert response.content


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        "%",
        "_",
        "\\",
        "'",
        '"unterminated',
        "-",
        "!!!",
        "a & b | !c",
        "traffic:*",
        "or",
        "<script>alert(1)</script>",
        "\U0001f6a6 traffic",
        "\u0301",
        "\ufffd\ufffe",
        "ｔｒａｆｆｉｃ",  # full-width letters, as a Chinese input method types them
        "交通 " * 20,
        "x" * 100,
    ],
)
def test_odd_searches_answer_calmly(client, demo, query):
    response = search(client, query)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<script>alert" not in html
    if query in ("%", "_", "\\"):
        assert "Nothing in the public record matches" in page_text(response)


@pytest.mark.django_db
def test_full_width_letters_search_as_plain_ones(client, demo):
    assert "Demo: Smart traffic signals" in section(search(client, "ｔｒａｆｆｉｃ"), "projects")


@pytest.mark.django_db
def test_search_reads_a_fixed_number_of_queries(client, demo, django_assert_max_num_queries):
    with django_assert_max_num_queries(30) as small:
        assert search(client, "demo").status_code == 200
    programme = factories.ProgrammeFactory(name_en="Demo two")
    for n in range(30):
        project = factories.ProjectFactory(programme=programme, name_en=f"Demo project {n}")
        target = factories.TargetFactory(project=project, programme=programme)
        factories.MeasurementFactory(target=target)
        factories.MilestoneFactory(project=project, title_en=f"Demo step {n}")
        factories.ProgressUpdateFactory(project=project, title_en=f"Demo news {n}")
    with django_assert_max_num_queries(len(small.captured_queries)) as large:
        response = search(client, "demo")
    assert "Only the best 20 matches are shown" in page_text(response)
    assert len(large.captured_queries) == len(small.captured_queries)


@pytest.mark.django_db
def test_search_pages_are_valid_html(client, demo, yizhuang, tmp_path):

    pages = {}
    for lang in ("en", "zh-hans"):
        for q in ("", "demo", "交通", "trafic", "nothing-matches-this"):
            pages[f"/{lang}/search/?q={q}"] = search(client, q, lang)
    assert not vnu_errors(pages, tmp_path)
