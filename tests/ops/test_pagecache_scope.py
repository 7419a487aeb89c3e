"""A publication replaces the cached pages of its own programme and the pages that show
many programmes (home, programme list, status summary, search), never another
programme's pages; a change of no one programme (a sector's name) replaces every page.
Two clients stand for two app servers, each with its own pages kept in memory."""

import datetime as dt

import pytest
from django.db import transaction
from django.test import Client

from tests import factories
from tests.helpers import ensure_roles, manager_of
from tracker.editorial import publishing
from tracker.models import EvidenceSubmission, Milestone, Project

pytestmark = [pytest.mark.page_cache, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def programmes(db):
    ensure_roles()
    sector = factories.SectorFactory(slug="transport", name_en="Transport")
    built = {}
    for slug in ("alpha", "beta"):
        programme = factories.ProgrammeFactory(slug=slug, name_en=f"Programme {slug}")
        project = factories.ProjectFactory(
            programme=programme, sector=sector, slug=f"{slug}-port", name_en=f"{slug} port"
        )
        target = factories.TargetFactory(project=project, programme=programme)
        factories.MilestoneFactory(project=project, programme=programme)
        built[slug] = (programme, project, target)
    manager = manager_of(built["alpha"][0])
    return built, manager, sector


def own_pages(slug: str, target_pk: int) -> list[str]:
    """Pages of one programme, under its address: pages, feeds, API, badges."""
    base = f"/en/programmes/{slug}/"
    return [
        base,
        f"{base}projects/{slug}-port/",
        f"{base}milestones/",
        f"{base}targets/{target_pk}/",
        f"{base}updates.atom",
        f"/zh-hans/programmes/{slug}/",
        f"/api/v1/programmes/{slug}",
        f"/api/v1/programmes/{slug}/targets",
        f"/badges/{slug}/projects/{slug}-port.svg",
    ]


CROSS = ["/en/", "/en/programmes/", "/en/status/", "/en/search/?q=crane", "/api/v1/programmes"]


def visit(client: Client, urls: list[str]) -> dict[str, str]:
    """What the page cache said of each page (hit or miss); each answered 200."""
    said = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        said[url] = response["X-Cache"]
    return said


def test_a_publication_replaces_its_programme_and_the_cross_pages_only(
    programmes, django_assert_max_num_queries
):
    built, manager, _ = programmes
    alpha, alpha_project, alpha_target = built["alpha"]
    beta, _, beta_target = built["beta"]
    alpha_pages, beta_pages = own_pages("alpha", alpha_target.pk), own_pages("beta", beta_target.pk)
    servers = [Client(), Client()]
    for server in servers:
        visit(server, alpha_pages + beta_pages + CROSS)

    new = Milestone(
        project=alpha_project,
        programme=alpha,
        title_en="Harbour crane installed",
        planned_on=dt.date(2027, 3, 1),
    )
    publishing.save_change(instance=new, by=manager, reason="Added from the 2026 plan.")

    first, second = servers
    for server in servers:
        # Programme beta's pages come from the cache, without a query.
        with django_assert_max_num_queries(0):
            assert set(visit(server, beta_pages).values()) == {"hit"}
    # Programme alpha's pages and the pages of many programmes are rendered afresh...
    assert set(visit(first, alpha_pages + CROSS).values()) == {"miss"}
    for url in ("/en/programmes/alpha/milestones/", "/en/search/?q=crane"):
        assert "Harbour crane installed" in first.get(url).content.decode()
        # ... and the other server takes the new page, not the one it kept in memory.
        fresh = second.get(url)
        assert fresh["X-Cache"] == "hit"
        assert "Harbour crane installed" in fresh.content.decode()


def test_a_sector_renamed_replaces_every_page(programmes):
    built, _, sector = programmes
    pages = own_pages("alpha", built["alpha"][2].pk) + own_pages("beta", built["beta"][2].pk)
    client = Client()
    visit(client, pages + CROSS)
    assert set(visit(client, pages + CROSS).values()) == {"hit"}
    sector.name_en = "Ports and shipping"
    sector._change_reason = "Renamed by the ministry."
    sector.save()
    assert set(visit(client, pages + CROSS).values()) == {"miss"}
    assert (
        "Ports and shipping"
        in client.get("/en/programmes/beta/projects/beta-port/").content.decode()
    )


def test_a_project_moved_to_another_programme_replaces_both(programmes):
    built, _, _ = programmes
    third = factories.ProgrammeFactory(slug="gamma")
    client = Client()
    alpha_dashboard, beta_dashboard = "/en/programmes/alpha/", "/en/programmes/beta/"
    gamma_dashboard = "/en/programmes/gamma/"
    visit(client, [alpha_dashboard, beta_dashboard, gamma_dashboard])
    project = Project.objects.get(slug="beta-port")
    # Moved from beta to gamma (its records along with it, as one change).
    with transaction.atomic():
        project.programme = third
        project._change_reason = "Handed over."
        project.save()
        project.targets.update(programme=third)
        project.milestones.update(programme=third)
    said = visit(client, [alpha_dashboard, beta_dashboard, gamma_dashboard])
    assert said == {alpha_dashboard: "hit", beta_dashboard: "miss", gamma_dashboard: "miss"}
    assert "beta port" in client.get(gamma_dashboard).content.decode()


def test_a_change_rolled_back_in_a_savepoint_still_lets_the_rest_bump(programmes):
    built, _, _ = programmes
    client = Client()
    dashboard = "/en/programmes/alpha/"
    visit(client, [dashboard, "/en/programmes/beta/"])
    project = Project.objects.get(slug="alpha-port")
    with transaction.atomic():
        try:
            with transaction.atomic():
                factories.MilestoneFactory(project=Project.objects.get(slug="beta-port"))
                raise RuntimeError("the import preview stops here")
        except RuntimeError:
            pass
        project.name_en = "Alpha deep-water port"
        project._change_reason = "Renamed."
        project.save()
    said = visit(client, [dashboard, "/en/programmes/beta/"])
    assert said == {dashboard: "miss", "/en/programmes/beta/": "hit"}
    assert "Alpha deep-water port" in client.get(dashboard).content.decode()


def test_an_anonymous_evidence_submission_replaces_no_other_programme(programmes):
    """A visitor's form, sent once, cannot empty every programme's cached pages."""
    built, _, _ = programmes
    target = built["alpha"][2]
    reader = Client()
    visit(reader, ["/en/programmes/beta/", "/en/"])
    response = reader.post(
        f"/en/programmes/alpha/targets/{target.pk}/evidence/",
        {
            "url": "https://example.org/report",
            "document_reference": "",
            "quote": "The crane was delivered in May.",
            "value": "120",
            "as_of": "2025-12-31",
            "contact_email": "reader@example.org",
            "homepage": "",
        },
    )
    assert response.status_code == 200
    assert EvidenceSubmission.objects.filter(programme=built["alpha"][0]).count() == 1
    assert reader.get("/en/programmes/beta/")["X-Cache"] == "hit"
