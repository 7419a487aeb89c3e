"""Add an illustrative programme so the pages can be explored.

Every record made here is marked `is_demo`, carries "Demo" in its name, and makes every
public page show a demo-data notice until `clear_demo` removes it. Dates are set relative
to today so that each status (on track, behind, overdue, stale, achieved) appears.
"""

import datetime as dt
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from tracker import factories
from tracker.models import Milestone, Programme, ProgressUpdate, Project, Sector, Target
from tracker.seed.loader import read, upsert

SLUG = "demo-hub"

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


class Command(BaseCommand):
    help = "Add clearly marked illustrative data (a demo programme) for exploring the pages."

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        if Programme.objects.filter(slug=SLUG).exists():
            self.stdout.write("Demo data is already loaded. Remove it with: manage.py clear_demo")
            return
        today = timezone.localdate()
        start = today - dt.timedelta(days=730)
        due_latest = start + dt.timedelta(days=5 * 365)
        demo = {"is_demo": True}

        source = factories.SourceFactory.create(
            **demo,
            title_en="Demo: illustrative progress report",
            title_zh_hans="示例：虚构的进展报告",
            publisher_en="Demo data (not a real publisher)",
            publisher_zh_hans="示例数据（非真实发布方）",
            url="",
            published_on=today - dt.timedelta(days=30),
            kind="third_party",
        )
        host = factories.OrganisationFactory.create(
            **demo,
            name_en="Demo development area (illustrative)",
            name_zh_hans="示例开发区（虚构）",
            kind="government",
        )
        # The shared taxonomy's real sectors, plus two invented ones.
        sectors = {}
        for slug, values in read("yizhuang")["sectors"].items():
            sectors[slug], _ = upsert(Sector, lookup={"slug": slug}, values=values)
        for slug, en, zh in [
            ("demo-logistics", "Demo: logistics", "示例：物流"),
            ("demo-health", "Demo: health care", "示例：医疗"),
        ]:
            sectors[slug] = factories.SectorFactory.create(
                **demo, slug=slug, name_en=en, name_zh_hans=zh
            )

        programme = factories.ProgrammeFactory.create(
            **demo,
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
        factories.ProgrammeTargetFactory(
            **demo,
            programme=programme,
            title_en="Market value of the demo projects",
            title_zh_hans="示例项目市场价值",
            target_value=Decimal("30000000000"),
            baseline_on=start,
            due_earliest=programme.horizon_end_earliest,
            due_on=due_latest,
            rollup=Target.Rollup.SUM,
        )
        factories.ProgrammeTargetFactory(
            **demo,
            programme=programme,
            title_en="Demo projects identified",
            title_zh_hans="已明确的示例项目",
            kind=Target.Kind.COUNT,
            currency="",
            unit_en="projects",
            unit_zh_hans="个项目",
            target_value=Decimal(8),
            baseline_on=start,
            due_earliest=programme.horizon_end_earliest,
            due_on=due_latest,
            rollup=Target.Rollup.COUNT_PROJECTS,
        )

        for index, (slug, en, zh, sector, lifecycle, value, share, age) in enumerate(PROJECTS):
            project = factories.ProjectFactory.create(
                **demo,
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
            target = factories.TargetFactory.create(
                **demo,
                project=project,
                programme=programme,
                title_en=f"Demo: investment in {en.lower()}",
                title_zh_hans=f"示例：{zh}投资",
                target_value=Decimal(value),
                baseline_on=start,
                due_on=due_latest,
            )
            if share is not None:
                self.add_measurements(target, start, due_latest, today, share, age, source)
            self.add_milestones(project, today, index, source)
            factories.ProgressUpdateFactory(
                **demo,
                project=project,
                programme=programme,
                title_en=f"Demo: quarterly update on {en.lower()}",
                title_zh_hans=f"示例：{zh}季度进展",
                body_en="Illustrative text. Work continued; see the milestones for dates.",
                body_zh_hans="示例文本。工作持续推进，日期见里程碑。",
                state=ProgressUpdate.State.PUBLISHED,
                published_at=timezone.now() - dt.timedelta(days=10 * index + 1),
            )
        factories.ProgressUpdateFactory(
            **demo,
            project=None,
            programme=programme,
            title_en="Demo: draft programme review (not public)",
            title_zh_hans="示例：计划评估草稿（未公开）",
            state=ProgressUpdate.State.DRAFT,
            published_at=None,
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded demo data: {len(PROJECTS)} illustrative projects in “{programme.name}”. "
                "Every public page now shows a demo-data notice; remove it with: "
                "manage.py clear_demo"
            )
        )

    @staticmethod
    def add_measurements(target, start, due, today, share, age, source) -> None:
        """Quarterly points on `share` of the straight line, the newest `age` days old."""
        span = (due - start).days
        last = today - dt.timedelta(days=age)
        on = start + dt.timedelta(days=91)
        while on <= last:
            expected = target.target_value * Decimal((on - start).days) / span
            factories.MeasurementFactory(
                is_demo=True,
                target=target,
                as_of=on,
                value=min(expected * share, target.target_value * Decimal("1.1")).quantize(
                    Decimal(1)
                ),
                source=source,
            )
            on += dt.timedelta(days=91)

    @staticmethod
    def add_milestones(project, today, index, source) -> None:
        factories.MilestoneFactory(
            is_demo=True,
            project=project,
            programme=project.programme,
            title_en="Demo: site and partners confirmed",
            title_zh_hans="示例：确定场地与合作方",
            planned_on=today - dt.timedelta(days=400 - 20 * index),
            completed_on=today - dt.timedelta(days=390 - 25 * index),
            status=Milestone.Status.COMPLETED,
            evidence=source,
        )
        pilot = factories.MilestoneFactory.create(
            is_demo=True,
            project=project,
            programme=project.programme,
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
        factories.MilestoneFactory(
            is_demo=True,
            project=project,
            programme=project.programme,
            title_en="Demo: full roll-out",
            title_zh_hans="示例：全面推广",
            planned_on=today + dt.timedelta(days=80 + 90 * index),
        )
