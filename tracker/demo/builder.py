"""The illustrative programme that `load_demo` adds, so that the pages can be explored.

Every record made here is marked `is_demo`, carries "Demo" in its name, and makes every
public page show a demo-data notice until `clear_demo` removes it. Dates are set relative
to today so that each status (on track, behind, overdue, stale, achieved) appears.
"""

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from tracker import stored
from tracker.models import (
    Measurement,
    Milestone,
    Organisation,
    Programme,
    ProgressUpdate,
    Project,
    Sector,
    Source,
    Target,
)
from tracker.seed.loader import read, upsert

SLUG = "demo-hub"
DEMO = {"is_demo": True}

# (slug, English name, Chinese name, sector slug, lifecycle, target in yuan,
#  share of the straight line reached, days since the last measurement or None for none)
PROJECTS = [
    (
        "smart-signals",
        "Smart traffic signals",
        "智能交通信号",
        "smart-city-infrastructure",
        Project.Lifecycle.IMPLEMENTATION,
        8_000_000_000,
        Decimal("1.05"),
        30,
    ),
    (
        "credit-risk-ai",
        "AI credit risk platform",
        "人工智能信贷风控平台",
        "banking",
        Project.Lifecycle.IMPLEMENTATION,
        5_000_000_000,
        Decimal("0.7"),
        45,
    ),
    (
        "delivery-robots",
        "Autonomous delivery pilot",
        "无人配送试点",
        "demo-logistics",
        Project.Lifecycle.IMPLEMENTATION,
        3_000_000_000,
        Decimal("0.4"),
        500,
    ),
    (
        "imaging-ai",
        "Medical imaging assistant",
        "医学影像辅助诊断",
        "demo-health",
        Project.Lifecycle.PREPARATION,
        2_000_000_000,
        None,
        None,
    ),
    (
        "city-brain",
        "City operations centre",
        "城市运行中心",
        "smart-city-infrastructure",
        Project.Lifecycle.ON_HOLD,
        6_000_000_000,
        Decimal("0.2"),
        60,
    ),
    (
        "digital-branch",
        "Digital bank branches",
        "数字银行网点",
        "banking",
        Project.Lifecycle.COMPLETED,
        1_000_000_000,
        Decimal("2.5"),
        20,
    ),
]


@transaction.atomic
@stored.batched
def load_demo() -> Programme | None:
    """Add the demo programme with its projects, targets, measurements, milestones and
    updates; None, and nothing added, when it is already there."""
    if Programme.objects.filter(slug=SLUG).exists():
        return None
    today = timezone.localdate()
    start = today - dt.timedelta(days=730)
    due_latest = start + dt.timedelta(days=5 * 365)

    source = Source.objects.create(
        **DEMO,
        title_en="Demo: illustrative progress report",
        title_zh_hans="示例：虚构的进展报告",
        publisher_en="Demo data (not a real publisher)",
        publisher_zh_hans="示例数据（非真实发布方）",
        url="",
        published_on=today - dt.timedelta(days=30),
        kind=Source.Kind.THIRD_PARTY,
        language="en",
    )
    host = Organisation.objects.create(
        **DEMO,
        name_en="Demo development area (illustrative)",
        name_zh_hans="示例开发区（虚构）",
        kind=Organisation.Kind.GOVERNMENT,
    )
    # The shared taxonomy's real sectors, plus two invented ones.
    sectors = {}
    for slug, values in read("yizhuang")["sectors"].items():
        sectors[slug], _ = upsert(Sector, lookup={"slug": slug}, values=values)
    for slug, en, zh in [
        ("demo-logistics", "Demo: logistics", "示例：物流"),
        ("demo-health", "Demo: health care", "示例：医疗"),
    ]:
        sectors[slug], _ = Sector.objects.get_or_create(
            slug=slug, defaults={**DEMO, "name_en": en, "name_zh_hans": zh}
        )

    programme = Programme.objects.create(
        **DEMO,
        slug=SLUG,
        name_en="Demo AI hub (illustrative data)",
        name_zh_hans="示例人工智能基地（虚构数据）",
        scheme_en="Demonstration only: every figure on this programme is invented",
        scheme_zh_hans="仅作演示：本计划的所有数字均为虚构",
        pledge_en="Eight illustrative projects within three to five years, worth at least "
        "30 billion yuan.",
        pledge_zh_hans="三到五年内建设8个示例项目，价值不低于300亿元。",
        host=host,
        announced_on=start,
        horizon_start=start,
        horizon_end_earliest=start + dt.timedelta(days=3 * 365),
        horizon_end_latest=due_latest,
        planned_project_count=8,
    )
    programme.sources.add(source)
    headline = {
        **DEMO,
        "programme": programme,
        "project": None,
        "comparator": Target.Comparator.AT_LEAST,
        "baseline_value": Decimal(0),
        "baseline_on": start,
        "due_earliest": programme.horizon_end_earliest,
        "due_on": due_latest,
    }
    Target.objects.create(
        **headline,
        title_en="Market value of the demo projects",
        title_zh_hans="示例项目市场价值",
        kind=Target.Kind.MONEY,
        currency="CNY",
        target_value=Decimal("30000000000"),
        rollup=Target.Rollup.SUM,
    )
    Target.objects.create(
        **headline,
        title_en="Demo projects identified",
        title_zh_hans="已明确的示例项目",
        kind=Target.Kind.COUNT,
        currency="",
        unit_en="projects",
        unit_zh_hans="个项目",
        target_value=Decimal(8),
        rollup=Target.Rollup.COUNT_PROJECTS,
    )

    for index, (slug, en, zh, sector, lifecycle, value, share, age) in enumerate(PROJECTS):
        project = Project.objects.create(
            **DEMO,
            programme=programme,
            sector=sectors[sector],
            slug=slug,
            name_en=f"Demo: {en}",
            name_zh_hans=f"示例：{zh}",
            summary_en="An invented project, shown only to demonstrate the tracker.",
            summary_zh_hans="虚构项目，仅用于演示本系统。",
            lifecycle_status=lifecycle,
            start_on=start + dt.timedelta(days=30 * index),
            due_on=due_latest,
            declared_rating="red" if lifecycle == Project.Lifecycle.ON_HOLD else "green",
            declared_rating_reason_en="Illustrative rating given by the demo data.",
            declared_rating_reason_zh_hans="示例数据给出的评级。",
        )
        target = Target.objects.create(
            **DEMO,
            project=project,
            programme=programme,
            title_en=f"Demo: investment in {en.lower()}",
            title_zh_hans=f"示例：{zh}投资",
            kind=Target.Kind.MONEY,
            currency="CNY",
            comparator=Target.Comparator.AT_LEAST,
            baseline_value=Decimal(0),
            baseline_on=start,
            target_value=Decimal(value),
            due_on=due_latest,
        )
        if share is not None:
            _add_measurements(target, start, due_latest, today, share, age, source)
        _add_milestones(project, today, index, source)
        ProgressUpdate.objects.create(
            **DEMO,
            project=project,
            programme=programme,
            title_en=f"Demo: quarterly update on {en.lower()}",
            title_zh_hans=f"示例：{zh}季度进展",
            body_en="Illustrative text. Work continued; see the milestones for dates.",
            body_zh_hans="示例文本。工作持续推进，日期见里程碑。",
            state=ProgressUpdate.State.PUBLISHED,
            published_at=timezone.now() - dt.timedelta(days=10 * index + 1),
        )
    ProgressUpdate.objects.create(
        **DEMO,
        project=None,
        programme=programme,
        title_en="Demo: draft programme review (not public)",
        title_zh_hans="示例：计划评估草稿（未公开）",
        body_en="Work continued as planned.",
        state=ProgressUpdate.State.DRAFT,
        published_at=None,
    )
    return programme


def _add_measurements(target, start, due, today, share, age, source) -> None:
    """Quarterly points on `share` of the straight line, the newest `age` days old."""
    span = (due - start).days
    last = today - dt.timedelta(days=age)
    on = start + dt.timedelta(days=91)
    while on <= last:
        expected = target.target_value * Decimal((on - start).days) / span
        Measurement.objects.create(
            **DEMO,
            target=target,
            as_of=on,
            value=min(expected * share, target.target_value * Decimal("1.1")).quantize(Decimal(1)),
            source=source,
        )
        on += dt.timedelta(days=91)


def _add_milestones(project, today, index, source) -> None:
    """One milestone done, one under way (moved later for every other project, with its
    reason), one ahead."""
    parts = {**DEMO, "project": project, "programme": project.programme}
    Milestone.objects.create(
        **parts,
        title_en="Demo: site and partners confirmed",
        title_zh_hans="示例：确定场地与合作方",
        planned_on=today - dt.timedelta(days=400 - 20 * index),
        completed_on=today - dt.timedelta(days=390 - 25 * index),
        status=Milestone.Status.COMPLETED,
        evidence=source,
    )
    pilot = Milestone.objects.create(
        **parts,
        title_en="Demo: pilot in service",
        title_zh_hans="示例：试点投入使用",
        planned_on=today - dt.timedelta(days=60 - 40 * index),
        status=Milestone.Status.IN_PROGRESS,
    )
    if index % 2:
        # A deadline moved later, with its reason, for the slippage record.
        pilot.planned_on += dt.timedelta(days=120)
        pilot.forecast_on = pilot.planned_on
        pilot._change_reason = "Demo: supplier delivered the equipment late."
        pilot.save()
    Milestone.objects.create(
        **parts,
        title_en="Demo: full roll-out",
        title_zh_hans="示例：全面推广",
        planned_on=today + dt.timedelta(days=80 + 90 * index),
        status=Milestone.Status.PLANNED,
    )
