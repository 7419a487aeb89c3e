"""factory-boy factories: the tests' records, kept out of what production runs."""

import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from tracker import models


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("correct horse battery staple")


class OrganisationFactory(factory.django.DjangoModelFactory[models.Organisation]):
    class Meta:
        model = models.Organisation

    name_en = factory.Sequence(lambda n: f"Organisation {n}")
    name_zh_hans = factory.Sequence(lambda n: f"机构{n}")
    kind = models.Organisation.Kind.COMPANY


class SourceFactory(factory.django.DjangoModelFactory[models.Source]):
    class Meta:
        model = models.Source

    title_en = factory.Sequence(lambda n: f"Report {n}")
    publisher_en = "Example Daily"
    url = factory.Sequence(lambda n: f"https://example.org/reports/{n}")
    published_on = dt.date(2024, 1, 15)
    kind = models.Source.Kind.PRESS
    language = "en"


class SectorFactory(factory.django.DjangoModelFactory[models.Sector]):
    class Meta:
        model = models.Sector
        django_get_or_create = ("slug",)

    name_en = factory.Sequence(lambda n: f"Sector {n}")
    name_zh_hans = factory.Sequence(lambda n: f"领域{n}")
    slug = factory.Sequence(lambda n: f"sector-{n}")


class ProgrammeFactory(factory.django.DjangoModelFactory[models.Programme]):
    class Meta:
        model = models.Programme

    name_en = factory.Sequence(lambda n: f"Programme {n}")
    name_zh_hans = factory.Sequence(lambda n: f"计划{n}")
    slug = factory.Sequence(lambda n: f"programme-{n}")
    pledge_en = "Ten projects within five years."
    announced_on = dt.date(2021, 1, 1)
    horizon_start = dt.date(2021, 1, 1)
    horizon_end_earliest = dt.date(2024, 1, 1)
    horizon_end_latest = dt.date(2026, 1, 1)
    planned_project_count = 10


class ProjectFactory(factory.django.DjangoModelFactory[models.Project]):
    class Meta:
        model = models.Project

    programme = factory.SubFactory(ProgrammeFactory)
    sector = factory.SubFactory(SectorFactory)
    name_en = factory.Sequence(lambda n: f"Project {n}")
    name_zh_hans = factory.Sequence(lambda n: f"项目{n}")
    slug = factory.Sequence(lambda n: f"project-{n}")
    lifecycle_status = models.Project.Lifecycle.IMPLEMENTATION
    start_on = dt.date(2021, 6, 1)
    due_on = dt.date(2025, 6, 1)


class TargetFactory(factory.django.DjangoModelFactory[models.Target]):
    class Meta:
        model = models.Target

    project = factory.SubFactory(ProjectFactory)
    programme = factory.LazyAttribute(lambda t: t.project.programme)
    title_en = factory.Sequence(lambda n: f"Investment {n}")
    title_zh_hans = factory.Sequence(lambda n: f"投资{n}")
    kind = models.Target.Kind.MONEY
    currency = "CNY"
    comparator = models.Target.Comparator.AT_LEAST
    baseline_value = Decimal(0)
    baseline_on = dt.date(2021, 1, 1)
    target_value = Decimal("1000000000")
    due_on = dt.date(2025, 12, 31)


class ProgrammeTargetFactory(TargetFactory):
    project = None  # type: ignore[assignment]  # a declaration replaced by a value
    programme = factory.SubFactory(ProgrammeFactory)  # type: ignore[assignment]


class MeasurementFactory(factory.django.DjangoModelFactory[models.Measurement]):
    class Meta:
        model = models.Measurement

    target = factory.SubFactory(TargetFactory)
    source = factory.SubFactory(SourceFactory)
    value = Decimal("100000000")
    as_of = factory.Sequence(lambda n: dt.date(2022, 1, 1) + dt.timedelta(days=n))


class MilestoneFactory(factory.django.DjangoModelFactory[models.Milestone]):
    class Meta:
        model = models.Milestone

    project = factory.SubFactory(ProjectFactory)
    programme = factory.LazyAttribute(lambda m: m.project.programme)
    title_en = factory.Sequence(lambda n: f"Milestone {n}")
    title_zh_hans = factory.Sequence(lambda n: f"里程碑{n}")
    planned_on = dt.date(2024, 6, 30)
    status = models.Milestone.Status.PLANNED


class ProgressUpdateFactory(factory.django.DjangoModelFactory[models.ProgressUpdate]):
    class Meta:
        model = models.ProgressUpdate

    project = factory.SubFactory(ProjectFactory)
    programme = factory.LazyAttribute(lambda u: u.project.programme)
    title_en = factory.Sequence(lambda n: f"Update {n}")
    title_zh_hans = factory.Sequence(lambda n: f"进展{n}")
    body_en = "Work continued as planned."
    state = models.ProgressUpdate.State.PUBLISHED
    published_at = factory.LazyFunction(timezone.now)


def extra_data(programme: models.Programme, size: int) -> None:
    """More of everything in the demo programme: projects, targets, measurements,
    milestones (some moved), updates."""
    sector = SectorFactory(slug="banking")
    for _ in range(size):
        project = ProjectFactory(programme=programme, sector=sector, is_demo=True)
        project.lead_organisations.add(OrganisationFactory(is_demo=True))
        target = TargetFactory(project=project, programme=programme, is_demo=True)
        for day in range(size):
            MeasurementFactory(
                target=target, as_of=dt.date(2025, 1, 1) + dt.timedelta(days=30 * day)
            )
        for _ in range(size):
            milestone = MilestoneFactory(project=project, programme=programme)
            milestone.planned_on += dt.timedelta(days=40)
            milestone.save()
            update = ProgressUpdateFactory(project=project, programme=programme)
            update.milestones.add(milestone)
