"""Load the Beijing E-Town (Yizhuang) national AI hub exactly as shared/seed/FACTS.md states it.

Only checked facts are loaded, each with its source. The ten projects and any progress
on the value target are not public, so none is loaded: the pages show the gap.
"""

from datetime import date
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import transaction

from tracker.models import Milestone, Organisation, Programme, Sector, Source, Target
from tracker.services import upsert

REASON = "Loaded from the checked facts (load_yizhuang)."
SLUG = "beijing-etown-ai"

ARTICLE_QUOTE = (
    "The Yizhuang county government in southeastern Beijing said Wednesday that over the "
    "next three to five years its goal is to build “a model base for significant AI "
    "applications” spread across 10 projects in areas such as smart city infrastructure "
    "and banking, with a target market value of at least 50 billion yuan (US$7.5 billion)."
)

ORGANISATIONS = {
    "most": {
        "name_en": "Ministry of Science and Technology",
        "name_zh_hans": "中华人民共和国科学技术部",
        "short_name_en": "MOST",
        "short_name_zh_hans": "科技部",
        "kind": Organisation.Kind.GOVERNMENT,
        "description_en": "Designated the area a national AI high-tech industrialisation base.",
        "description_zh_hans": "认定该区为国家人工智能高新技术产业化基地。",
    },
    "etda": {
        "name_en": "Beijing Economic and Technological Development Area",
        "name_zh_hans": "北京经济技术开发区",
        "short_name_en": "E-Town",
        "short_name_zh_hans": "北京经开区",
        "kind": Organisation.Kind.GOVERNMENT,
        "description_en": (
            "A development area in south-eastern Beijing (also called Yizhuang or E-Town), "
            "run by a management committee."
        ),
        "description_zh_hans": "位于北京东南部的开发区（又称北京亦庄），由管理委员会管理。",
    },
    "etown-investment": {
        "name_en": "Beijing E-Town International Investment and Development Co. Ltd",
        "name_zh_hans": "亦庄国投",
        "short_name_en": "",
        "short_name_zh_hans": "亦庄国投",
        "kind": Organisation.Kind.STATE_INVESTOR,
        "description_en": (
            "The development area's investment arm; it said it has been involved with "
            "investments in almost 1,000 start-ups."
        ),
        "description_zh_hans": "开发区的投资平台，称已参与投资近1000家初创企业。",
    },
    "megvii": {
        "name_en": "Megvii",
        "name_zh_hans": "旷视科技",
        "short_name_en": "",
        "short_name_zh_hans": "",
        "kind": Organisation.Kind.COMPANY,
        "description_en": "An AI company named in the article as an investee.",
        "description_zh_hans": "报道中提及的被投资人工智能企业。",
    },
    "baidu": {
        "name_en": "Baidu",
        "name_zh_hans": "百度",
        "short_name_en": "",
        "short_name_zh_hans": "",
        "kind": Organisation.Kind.COMPANY,
        "description_en": "Tests autonomous vehicles at Apollo Park in the area.",
        "description_zh_hans": "在区内的Apollo园区测试自动驾驶车辆。",
    },
    "jd": {
        "name_en": "JD.com",
        "name_zh_hans": "京东",
        "short_name_en": "",
        "short_name_zh_hans": "",
        "kind": Organisation.Kind.COMPANY,
        "description_en": "Has its new headquarters in the area.",
        "description_zh_hans": "新总部位于区内。",
    },
}

SECTORS = {
    "smart-city-infrastructure": ("Smart city infrastructure", "智慧城市基础设施"),
    "banking": ("Banking", "银行业"),
}


class Command(BaseCommand):
    help = "Load the Beijing E-Town (Yizhuang) national AI hub from the checked facts."

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        written = 0

        def save(model, lookup, values, many=None):
            nonlocal written
            obj, changed = upsert(model, lookup=lookup, values=values, many=many, reason=REASON)
            written += changed
            return obj

        orgs = {
            key: save(Organisation, {"name_en": values["name_en"]}, values)
            for key, values in ORGANISATIONS.items()
        }
        article = save(
            Source,
            {"url": "https://www.scmp.com/tech/big-tech/article/3105676"},
            {
                "title_en": (
                    "Artificial intelligence nod from China’s science ministry puts Beijing "
                    "tech park in the national spotlight"
                ),
                "title_zh_hans": "",
                "publisher_en": "South China Morning Post",
                "publisher_zh_hans": "南华早报",
                "published_on": date(2020, 10, 15),
                "kind": Source.Kind.PRESS,
                "language": "en",
                "quote": ARTICLE_QUOTE,
            },
        )
        notice = save(
            Source,
            {"reference": "国科发高〔2020〕260号"},
            {
                "title_en": (
                    "Notice of the Ministry of Science and Technology on recognising the 2020 "
                    "national high-tech industrialisation bases"
                ),
                "title_zh_hans": "《科技部关于认定2020年国家高新技术产业化基地的通知》",
                "publisher_en": "Ministry of Science and Technology",
                "publisher_zh_hans": "科学技术部",
                "published_on": date(2020, 9, 29),
                "kind": Source.Kind.OFFICIAL,
                "language": "zh-hans",
                "quote": "",
            },
        )
        for slug, (name_en, name_zh) in SECTORS.items():
            save(Sector, {"slug": slug}, {"name_en": name_en, "name_zh_hans": name_zh})

        programme = save(
            Programme,
            {"slug": SLUG},
            {
                "name_en": (
                    "Beijing Economic and Technological Development Area national AI high-tech "
                    "industrialisation base"
                ),
                "name_zh_hans": "北京经济技术开发区国家人工智能高新技术产业化基地",
                "scheme_en": "National high-tech industrialisation bases",
                "scheme_zh_hans": "国家高新技术产业化基地",
                "summary_en": (
                    "Named by the Ministry of Science and Technology in a notice signed on "
                    "29 September 2020 and made public on 13 October 2020, one of 11 bases "
                    "named in that notice."
                ),
                "summary_zh_hans": (
                    "科技部于2020年9月29日签发、2020年10月13日公布的通知认定，"
                    "为该通知认定的11个基地之一。"
                ),
                "pledge_en": (
                    "Over the next three to five years, build “a model base for significant "
                    "AI applications” spread across 10 projects in areas such as smart city "
                    "infrastructure and banking, with a target market value of at least "
                    "50 billion yuan."
                ),
                "pledge_zh_hans": (
                    "在未来三到五年内，建设“重大人工智能应用示范基地”，涵盖智慧城市基础设施、"
                    "银行业等领域的10个项目，目标市场价值不低于500亿元。"
                ),
                "designated_by": orgs["most"],
                "host": orgs["etda"],
                "announced_on": date(2020, 10, 14),
                "horizon_start": date(2020, 10, 14),
                "horizon_end_earliest": date(2023, 10, 14),
                "horizon_end_latest": date(2025, 10, 14),
                "planned_project_count": 10,
            },
            many={"sources": [notice, article]},
        )
        due = {"due_earliest": date(2023, 10, 14), "due_on": date(2025, 10, 14)}
        save(
            Target,
            {"programme": programme, "project": None, "kind": Target.Kind.MONEY},
            {
                "title_en": "Market value of the AI application base",
                "title_zh_hans": "人工智能应用示范基地市场价值",
                "description_en": (
                    "No public source reports progress on this target; no measurement is recorded."
                ),
                "description_zh_hans": "没有公开来源报告该目标的进展，因此未记录任何测量值。",
                "currency": "CNY",
                "comparator": Target.Comparator.AT_LEAST,
                "baseline_value": None,
                "baseline_on": date(2020, 10, 14),
                "target_value": Decimal("50000000000"),
                **due,
                "rollup": Target.Rollup.SUM,
                "reported_equivalent_value": Decimal("7500000000"),
                "reported_equivalent_currency": "USD",
                "reported_equivalent_source": article,
            },
            many={"sources": [article]},
        )
        save(
            Target,
            {"programme": programme, "project": None, "kind": Target.Kind.COUNT},
            {
                "title_en": "AI application projects",
                "title_zh_hans": "人工智能应用项目",
                "description_en": "None of the 10 projects has been named in a public source.",
                "description_zh_hans": "10个项目均未在公开来源中披露。",
                "unit_en": "projects",
                "unit_zh_hans": "个项目",
                "comparator": Target.Comparator.AT_LEAST,
                "baseline_value": Decimal(0),
                "baseline_on": date(2020, 10, 14),
                "target_value": Decimal(10),
                **due,
                "rollup": Target.Rollup.COUNT_PROJECTS,
            },
            many={"sources": [article]},
        )
        save(
            Milestone,
            {"programme": programme, "project": None, "evidence": notice},
            {
                "title_en": "Designated a national AI high-tech industrialisation base",
                "title_zh_hans": "认定为国家人工智能高新技术产业化基地",
                "description_en": (
                    "The Ministry of Science and Technology's notice 国科发高〔2020〕260号, "
                    "signed on 29 September 2020 and made public on 13 October 2020."
                ),
                "description_zh_hans": (
                    "科技部《关于认定2020年国家高新技术产业化基地的通知》（国科发高〔2020〕260号），"
                    "2020年9月29日签发，2020年10月13日公布。"
                ),
                "planned_on": date(2020, 9, 29),
                "completed_on": date(2020, 9, 29),
                "status": Milestone.Status.COMPLETED,
            },
        )
        if written:
            self.stdout.write(
                self.style.SUCCESS(f"Loaded the Yizhuang programme ({written} records written).")
            )
        else:
            self.stdout.write("The Yizhuang programme is already loaded and up to date.")
