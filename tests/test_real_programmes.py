"""The real programmes of FACTS.md beyond the first: loaded as checked facts, each figure
with its source and quotation, compared in groups, and traceable to the facts by staff."""

import datetime as dt
import html
import io
import re
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from tracker import status
from tracker.models import (
    DEMO_MODELS,
    ChangeRequest,
    Measurement,
    Milestone,
    Organisation,
    Programme,
    ProgrammeGroup,
    Sector,
    Source,
    Target,
)
from tracker.templatetags.tracker_tags import value_of

ETOWN = [
    "beijing-etown-ai",
    "etown-ai-native-policy-2024",
    "etown-14th-five-year-plan",
    "etown-three-goals-2025",
]
BASES_2020 = [
    "beijing-etown-ai",
    "zouping-aluminium-base",
    "changshu-auto-parts-base",
    "pingdingshan-nylon-base",
    "taicang-core-auto-parts-base",
    "shanxi-intelligent-manufacturing-base",
    "liuyang-remanufacturing-base",
    "lanzhou-new-area-equipment-base",
    "tongnan-smart-terminals-base",
    "suining-electronic-components-base",
    "yueyang-lingang-equipment-base",
]

# Every pledged figure of FACTS.md: programme, target (English title), value, the
# source's publisher and date, and the quotation where FACTS.md gives one.
PLEDGES = [
    ("beijing-etown-ai", "Market value of the AI application base", "50000000000",
     "South China Morning Post", "2020-10-15", "a target market value of at least 50 billion yuan"),
    ("beijing-etown-ai", "AI application projects", "10",
     "South China Morning Post", "2020-10-15", "spread across 10 projects"),
    ("etown-ai-native-policy-2024", "Benchmark AI application scenarios", "10",
     "Management committee of the Beijing Economic and Technological Development Area, "
     "published on beijing.gov.cn", "2024-11-24", "打造人工智能标杆应用场景10个"),
    ("etown-ai-native-policy-2024", "Core companies of the AI industry chain", "100",
     "Management committee of the Beijing Economic and Technological Development Area, "
     "published on beijing.gov.cn", "2024-11-24", "集聚人工智能产业链核心企业100家"),
    ("etown-ai-native-policy-2024", "AI industry scale", "100000000000",
     "Management committee of the Beijing Economic and Technological Development Area, "
     "published on beijing.gov.cn", "2024-11-24", "实现人工智能产业规模超过1000亿元"),
    ("etown-ai-native-policy-2024", "Computing-power vouchers a year", "100000000",
     "Management committee of the Beijing Economic and Technological Development Area, "
     "published on beijing.gov.cn", "2024-11-24", None),
    ("etown-14th-five-year-plan", "Gross domestic product", "380000000000",
     "Qianlong (qianlong.com)", "2021-07-09", "地区生产总值实现3800亿元以上"),
    ("etown-14th-five-year-plan", "Gross industrial output", "800000000000",
     "Qianlong (qianlong.com)", "2021-07-09", "工业总产值突破8000亿元"),
    ("etown-14th-five-year-plan", "Innovation industry clusters of 100 billion yuan each", "6",
     "Qianlong (qianlong.com)", "2021-07-09", "打造6个千亿级创新产业集群"),
    ("etown-14th-five-year-plan", "Foreign investment actually used", "2000000000",
     "Qianlong (qianlong.com)", "2021-07-09", None),
    ("etown-14th-five-year-plan", "Annual growth of digital economy revenue", "15",
     "Qianlong (qianlong.com)", "2021-07-09", None),
    ("etown-three-goals-2025", "National high-tech enterprises", "2300",
     "China Daily (Beijing E-Town subsite)", "2023-11-22", None),
    ("etown-three-goals-2025", "Share of Beijing's above-scale industrial output", "25",
     "China Daily (Beijing E-Town subsite)", "2023-11-22", None),
    ("etown-three-goals-2025", "Labour productivity", "650000",
     "China Daily (Beijing E-Town subsite)", "2023-11-22", None),
]  # fmt: skip

# Every outcome of FACTS.md: target, value, as of, source publisher, date and quotation.
OUTCOMES = [
    ("Gross domestic product", "401210000000", "2025-12-31",
     "Xinhua", "2026-01-25", "全年实现地区生产总值(GDP)4012.1亿元,同比增长10.7%"),
    ("Innovation industry clusters of 100 billion yuan each", "6", "2026-01-02",
     "Xinhua Beijing", "2026-01-02", "形成了6个千亿级产业集群"),
    ("National high-tech enterprises", "2300", "2026-01-02",
     "Xinhua Beijing", "2026-01-02", "聚集超2300家国家高新技术企业"),
]  # fmt: skip

# FACTS.md, "Not to be loaded as progress": in no form on any real page.
NOT_PROGRESS = [
    re.compile(rf"(?<![\d,.]){figure}")
    for figure in (r"600\s*(家|firms)", r"800\s*亿", r"80 billion", r"1,?882", r"188\.24")
]


def load() -> str:
    out = io.StringIO()
    call_command("load_programmes", stdout=out)
    return out.getvalue()


@pytest.fixture
def real(db):
    load()


def snapshot() -> dict:
    """Every row of every real-data table and of their history, and every change."""
    rows = {}
    for model in [*DEMO_MODELS, ProgrammeGroup]:
        rows[model.__name__] = sorted(map(repr, model.objects.values()))
        if hasattr(model, "history"):
            rows[f"history of {model.__name__}"] = model.history.count()
    rows["groups"] = sorted(ProgrammeGroup.programmes.through.objects.values_list())
    rows["changes"] = ChangeRequest.objects.count()
    return rows


def page(client, url: str, lang: str = "en") -> str:
    # A request activates its page's language: the test's own stays as it was.
    with translation.override(translation.get_language()):
        response = client.get(url, HTTP_ACCEPT_LANGUAGE=lang)
    assert response.status_code == 200, url
    return html.unescape(response.content.decode())


def target_url(title: str, lang: str = "en") -> str:
    target = Target.objects.select_related("programme").get(title_en=title)
    with translation.override(lang):
        return target.get_absolute_url()


def real_pages(lang: str) -> list[str]:
    """Every real programme's page and its targets' pages."""
    with translation.override(lang):
        urls = [p.get_absolute_url() for p in Programme.objects.filter(is_demo=False)]
        urls += [
            t.get_absolute_url()
            for t in Target.objects.filter(is_demo=False).select_related("programme")
        ]
    return urls


@pytest.mark.django_db
def test_loading_the_real_programmes_twice_writes_nothing_the_second_time():
    assert "records written" in load()
    before = snapshot()
    assert "already loaded" in load()
    assert snapshot() == before
    # load_yizhuang still loads its own file, and finds it loaded.
    out = io.StringIO()
    call_command("load_yizhuang", stdout=out)
    assert "already loaded" in out.getvalue()
    assert snapshot() == before


@pytest.mark.django_db
def test_the_11_bases_and_three_etown_plans_are_loaded_and_nothing_is_invented(real):
    assert set(Programme.objects.values_list("slug", flat=True)) == set(BASES_2020 + ETOWN)
    for slug in BASES_2020[1:]:
        base = Programme.objects.get(slug=slug)
        assert base.designated_by.name_en == "Ministry of Science and Technology"
        assert base.scheme_zh_hans == "国家高新技术产业化基地"
        assert base.host is not None and base.sectors.count() == 1
        assert not base.targets.exists(), "no public target was found"
        assert {s.reference for s in base.sources.all()} >= {"国科发高〔2020〕260号"}
    changshu = Programme.objects.get(slug="changshu-auto-parts-base")
    assert changshu.name_zh_hans == "常熟国家汽车零部件高新技术产业化基地"
    assert "Changsha" not in changshu.name_en
    # Outcomes are the three of FACTS.md and nothing else.
    assert Measurement.objects.count() == len(OUTCOMES)
    assert not Measurement.objects.filter(source__isnull=True).exists()
    values = {m.value for m in Measurement.objects.all()}
    for wrong in ("600", "80000000000", "188240000000"):
        assert Decimal(wrong) not in values
    # The autonomous driving zone is a milestone of the three goals, not one of the ten
    # projects of the AI base.
    zone = Milestone.objects.get(title_en__contains="autonomous driving")
    assert zone.programme.slug == "etown-three-goals-2025" and zone.completed_on is None


@pytest.mark.django_db
def test_each_facts_figure_shows_with_its_source_date_and_quotation(client, real):
    for slug, title, value, publisher, published_on, quote in PLEDGES:
        target = Target.objects.get(programme__slug=slug, title_en=title)
        assert target.target_value == Decimal(value), title
        sources = list(target.sources.all())
        assert any(
            s.publisher_en == publisher and str(s.published_on) == published_on for s in sources
        ), title
        text = page(client, target_url(title))
        assert value_of(Decimal(value), target) in text, title
        assert publisher in text, title
        if quote:
            assert quote in text, title
    for title, value, as_of, publisher, published_on, quote in OUTCOMES:
        measurement = Measurement.objects.get(target__title_en=title)
        assert (measurement.value, str(measurement.as_of)) == (Decimal(value), as_of)
        assert measurement.source.publisher_en == publisher
        assert str(measurement.source.published_on) == published_on
        assert measurement.source.kind == "press"
        assert measurement.source.language == "zh-hans"
        for lang in ("en", "zh-hans"):
            text = page(client, target_url(title, lang), lang)
            with translation.override(lang):
                shown = value_of(measurement.value, measurement.target)
            assert shown in text, (title, lang)
            assert quote in text, (title, lang)
            field = f"publisher_{lang.replace('-', '_')}"
            assert getattr(measurement.source, field) in text, (title, lang)


# Where a page states a figure: a target's value, its current value, a measurement row,
# and a target in a group's comparison.
FIGURE_SPOTS = [
    re.compile(r'<p class="target-value">[^<]*<strong>([^<]*)</strong>'),
    re.compile(r'<p class="current">[^<]*<strong>([^<]*)</strong>'),
    re.compile(r'<tr id="measurement-\d+"><td[^>]*>[^<]*</td><td[^>]*>([^<]*)</td>'),
    re.compile(
        r'</a>(?::|：)\s*(?:At least|At most|不低于|不高于)\s*([^<]*?)\s*<span class="status'
    ),
]


@pytest.mark.django_db
def test_no_figure_outside_facts_appears_on_a_real_programme_page(client, real):
    pledged = {Decimal(record[2]) for record in PLEDGES}
    outcomes = {Decimal(record[1]) for record in OUTCOMES}
    for target in Target.objects.filter(is_demo=False):
        assert target.target_value in pledged, target
        assert target.baseline_value in (None, Decimal(0)), target
        assert target.reported_equivalent_value in (None, Decimal("7500000000")), target
    for measurement in Measurement.objects.filter(is_demo=False):
        assert measurement.value in outcomes, measurement

    targets = list(Target.objects.filter(is_demo=False))
    checked = 0
    for lang in ("en", "zh-hans"):
        with translation.override(lang):
            allowed = {value_of(v, t) for v in pledged | outcomes for t in targets}
            groups = [g.get_absolute_url() for g in ProgrammeGroup.objects.all()]
        for url in real_pages(lang) + groups:
            text = page(client, url, lang)
            for wrong in NOT_PROGRESS:
                assert not wrong.search(text), (url, wrong.pattern)
            for spot in FIGURE_SPOTS:
                for figure in spot.findall(text):
                    if re.search(r"\d", figure):
                        assert figure.strip() in allowed, (url, figure)
                        checked += 1
    # Each pledge on its programme's page, its own page and its groups' pages; each
    # outcome as the current value on two pages and in the data table.
    assert checked >= 2 * (len(PLEDGES) * 3 + len(OUTCOMES) * 3), "the figures were found"


@pytest.mark.django_db
def test_the_gdp_target_reads_achieved_with_its_xinhua_source(client, real):
    text = page(client, target_url("Gross domestic product"))
    assert re.search(r'class="status status-achieved"[^>]*>Achieved<', text)
    assert "CN¥401.21 billion" in text
    assert "Xinhua" in text and "全年实现地区生产总值(GDP)4012.1亿元" in text
    zh = page(client, target_url("Gross domestic product", "zh-hans"), "zh-hans")
    assert "4012.1亿元" in zh and "新华社" in zh and "已达成" in zh


@pytest.mark.django_db
def test_ai_policy_targets_read_no_data_or_not_reported_never_achieved(client, real):
    policy = Programme.objects.with_status().get(slug="etown-ai-native-policy-2024")
    for today in (dt.date(2026, 11, 29), dt.date(2027, 3, 1)):
        statuses = {item.final.status for item in status.headline(policy, today)}
        assert statuses and statuses <= {"no_data", "not_reported"}, statuses
    text = page(client, policy.get_absolute_url())
    assert "status-achieved" not in text
    assert text.count('class="status status-no_data"') == 4


@pytest.mark.django_db
def test_targets_without_an_outcome_show_as_not_reported(client, real, today):
    plan = page(client, reverse("tracker:programme-detail", args=["etown-14th-five-year-plan"]))
    assert plan.count('class="status status-not_reported"') == 3
    assert plan.count('class="status status-achieved"') == 2
    goals = page(client, reverse("tracker:programme-detail", args=["etown-three-goals-2025"]))
    # Two targets without an outcome, and the stage 3.0 milestone no source reports done:
    # a gap, not "overdue" (nobody reports this programme's progress here).
    assert goals.count('class="status status-not_reported"') == 3
    assert "status-missed" not in goals and "slipped" not in goals
    assert "No milestone is overdue." in goals


@pytest.mark.django_db
def test_confidence_below_high_is_shown_and_high_is_not(client, real):
    goals = page(client, reverse("tracker:programme-detail", args=["etown-three-goals-2025"]))
    # The programme, its three targets and its milestone (twice: overdue and listed).
    assert goals.count("Confidence: Medium-high") >= 5
    measured = page(client, target_url("National high-tech enterprises"))
    assert 'Reported as “over 2,300”. <span class="confidence' in measured
    zouping = page(client, reverse("tracker:programme-detail", args=["zouping-aluminium-base"]))
    assert re.search(r"Zouping, Shandong\s*<span[^>]*>Confidence: Medium<", zouping)
    plan = page(client, reverse("tracker:programme-detail", args=["etown-14th-five-year-plan"]))
    assert "Confidence:" not in plan


@pytest.mark.django_db
def test_bases_without_targets_show_the_gap(client, real):
    for lang in ("en", "zh-hans"):
        with translation.override(lang):
            url = reverse("tracker:programme-detail", args=["tongnan-smart-terminals-base"])
        text = page(client, url, lang)
        name = "潼南国家智能终端高新技术产业化基地" if lang == "zh-hans" else "Tongnan national"
        assert name in text
        assert "国科发高〔2020〕260号" in text
    text = page(client, reverse("tracker:programme-detail", args=["tongnan-smart-terminals-base"]))
    assert "No public target found." in text
    assert "Smart terminals" in text and "Tongnan, Chongqing" in text


def group_url(slug: str, lang: str = "en") -> str:
    with translation.override(lang):
        return reverse("tracker:group-detail", args=[slug])


def row_of(text: str, slug: str) -> str:
    start = text.index(f'<tr id="programme-{slug}">')
    return text[start : text.index("</tr>", start)]


@pytest.mark.django_db
def test_the_group_of_the_11_bases_compares_them_in_both_languages(client, real):
    for lang in ("en", "zh-hans"):
        text = page(client, group_url("national-high-tech-bases-2020", lang), lang)
        for slug in BASES_2020:
            programme = Programme.objects.get(slug=slug)
            row = row_of(text, slug)
            name = programme.name_zh_hans if lang == "zh-hans" else programme.name_en
            assert name in row
            assert programme.designated_by.name_zh_hans in row or (
                programme.designated_by.name_en in row
            )
        etown = row_of(text, "beijing-etown-ai")
        assert etown.count('class="status status-not_reported"') >= 2
        assert "status-achieved" not in etown
    text = page(client, group_url("national-high-tech-bases-2020"))
    assert text.count("No public target found.") == 2 * 10  # targets and gaps, ten bases
    assert "0 of 10 projects publicly identified" in row_of(text, "beijing-etown-ai")


@pytest.mark.django_db
def test_the_etown_family_compares_its_plans_in_both_languages(client, real):
    for lang in ("en", "zh-hans"):
        text = page(client, group_url("beijing-etown-plans", lang), lang)
        for slug in ETOWN:
            assert f'<tr id="programme-{slug}">' in text
        plan = row_of(text, "etown-14th-five-year-plan")
        assert plan.count('class="status status-achieved"') >= 2
        assert "4012.1" not in plan  # figures are on the target pages, counts here
        assert re.search(r"<td[^>]*>\s*2\s*<br>", plan), "two published measurements"
        policy = row_of(text, "etown-ai-native-policy-2024")
        assert "status-achieved" not in policy
    zh = page(client, group_url("beijing-etown-plans", "zh-hans"), "zh-hans")
    assert "北京经开区规划" in zh and "地区生产总值" in zh and "已达成" in zh


@pytest.mark.django_db
def test_etown_programmes_link_to_each_other_and_to_their_groups(client, real):
    for slug in ETOWN:
        programme = Programme.objects.get(slug=slug)
        text = page(client, programme.get_absolute_url())
        assert "Also pledged by this host" in text
        for other in ETOWN:
            if other != slug:
                assert f'href="{Programme.objects.get(slug=other).get_absolute_url()}"' in text
        assert f'href="{group_url("beijing-etown-plans")}"' in text
    base = page(client, reverse("tracker:programme-detail", args=["zouping-aluminium-base"]))
    assert f'href="{group_url("national-high-tech-bases-2020")}"' in base
    assert "Also pledged by this host" not in base
    listing = page(client, reverse("tracker:programme-list"))
    assert f'href="{group_url("beijing-etown-plans")}"' in listing
    assert listing.count("No public target found.") == 10
    assert "Share of Beijing's above-scale industrial output: pledged 25%" in listing


@pytest.mark.django_db
def test_a_group_page_reads_the_same_number_of_queries_for_4_and_11_programmes(client, real):
    counts = {}
    for slug in ("beijing-etown-plans", "national-high-tech-bases-2020"):
        client.get(group_url(slug))  # the first visit fills per-process caches
        with CaptureQueriesContext(connection) as queries:
            assert client.get(group_url(slug)).status_code == 200
        counts[slug] = len(queries)
    assert counts["beijing-etown-plans"] == counts["national-high-tech-bases-2020"], counts
    assert counts["beijing-etown-plans"] <= 15, counts
    assert client.get(group_url("no-such-group")).status_code == 404


@pytest.mark.django_db
def test_every_loaded_record_keeps_its_provenance_for_staff_only(client, admin_client, real):
    for model in (Programme, Target, Measurement, Milestone, Source, Organisation, Sector):
        blank = model.objects.filter(provenance="")
        assert not blank.exists(), (model.__name__, list(blank))
    assert not ProgrammeGroup.objects.filter(provenance="").exists()
    gdp = Measurement.objects.get(target__title_en="Gross domestic product")
    assert "FACTS.md" in gdp.provenance and "Xinhua, 2026-01-25" in gdp.provenance

    change = admin_client.get(reverse("admin:tracker_measurement_change", args=[gdp.pk]))
    text = html.unescape(change.content.decode())
    assert gdp.provenance in text
    assert 'name="provenance"' not in text, "read-only: written by the loader"
    target = gdp.target
    change = admin_client.get(reverse("admin:tracker_target_change", args=[target.pk]))
    assert target.provenance in html.unescape(change.content.decode())

    for url in real_pages("en"):
        assert "FACTS.md" not in page(client, url), url


@pytest.mark.django_db
def test_group_and_real_programme_pages_are_valid_html(client, real, tmp_path):
    from tests.helpers import vnu_errors

    pages = {}
    for lang in ("en", "zh-hans"):
        urls = [
            group_url(slug, lang)
            for slug in ("national-high-tech-bases-2020", "beijing-etown-plans")
        ]
        with translation.override(lang):
            urls.append(reverse("tracker:programme-list"))
        for url in urls + real_pages(lang):
            with translation.override(translation.get_language()):
                pages[url] = client.get(url)
    assert len(pages) >= 2 * 30
    assert not vnu_errors(pages, tmp_path)


@pytest.mark.django_db
def test_a_figure_edited_away_is_restored_with_its_fact_on_record(real):
    gdp = Measurement.objects.get(target__title_en="Gross domestic product")
    gdp.value = Decimal("390000000000")
    gdp._change_reason = "A slip of the pen."
    gdp.save()
    assert "records written" in load()
    gdp.refresh_from_db()
    assert gdp.value == Decimal("401210000000")
    latest = gdp.history.order_by("-history_date", "-history_id").first()
    assert latest.history_change_reason == "Loaded from the checked facts (load_programmes)."
    assert latest.provenance == gdp.provenance
    assert "Xinhua, 2026-01-25" in latest.provenance
