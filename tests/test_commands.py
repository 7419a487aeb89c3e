"""The real programme, the demo data, and the admin account that `make run` sets up."""

import io
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from tests import factories
from tracker.models import (
    DEMO_MODELS,
    Measurement,
    Milestone,
    Organisation,
    Programme,
    Project,
    Sector,
    Source,
    Target,
    demo_records_exist,
)


def snapshot() -> dict:
    """Every row of every tracker table, and of their history."""
    rows = {}
    for model in DEMO_MODELS:
        rows[model.__name__] = sorted(map(repr, model.objects.values()))
        rows[f"history of {model.__name__}"] = model.history.count()
    return rows


def run(command: str, *args) -> str:
    out = io.StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_load_yizhuang_loads_the_checked_facts_and_nothing_more(yizhuang):
    assert yizhuang.name_zh_hans == "北京经济技术开发区国家人工智能高新技术产业化基地"
    assert yizhuang.designated_by.name == "Ministry of Science and Technology"
    assert yizhuang.host.name_zh_hans == "北京经济技术开发区"
    assert str(yizhuang.announced_on) == "2020-10-14"
    assert (str(yizhuang.horizon_end_earliest), str(yizhuang.horizon_end_latest)) == (
        "2023-10-14",
        "2025-10-14",
    )
    assert yizhuang.planned_project_count == 10

    value = Target.objects.get(programme=yizhuang, kind="money")
    assert (value.target_value, value.currency, value.comparator) == (
        Decimal("50000000000"),
        "CNY",
        "at_least",
    )
    assert (str(value.due_earliest), str(value.due_on)) == ("2023-10-14", "2025-10-14")
    assert value.baseline_value is None, "no source states a baseline"
    assert value.reported_equivalent_value == Decimal("7500000000")
    assert value.reported_equivalent_source.publisher == "South China Morning Post"
    count = Target.objects.get(programme=yizhuang, kind="count")
    assert (count.target_value, count.rollup) == (Decimal(10), "count_projects")

    designation = Milestone.objects.get(programme=yizhuang)
    assert designation.status == "completed"
    assert designation.evidence.reference == "国科发高〔2020〕260号"

    assert set(Sector.objects.values_list("slug", flat=True)) == {
        "smart-city-infrastructure",
        "banking",
    }
    assert set(Organisation.objects.values_list("name_zh_hans", flat=True)) == {
        "中华人民共和国科学技术部",
        "北京经济技术开发区",
        "亦庄国投",
        "旷视科技",
        "百度",
        "京东",
    }
    assert Source.objects.count() == 2
    assert {s.kind for s in yizhuang.sources.all()} == {"press", "official"}
    # The ten projects and any progress are not public: none is invented.
    assert not Project.objects.exists()
    assert not Measurement.objects.exists()
    assert not demo_records_exist()


@pytest.mark.django_db
def test_load_yizhuang_twice_changes_nothing(yizhuang):
    before = snapshot()
    output = run("load_yizhuang")
    assert "already loaded" in output
    assert snapshot() == before


@pytest.mark.django_db
def test_load_yizhuang_restores_a_fact_edited_away(yizhuang):
    yizhuang.planned_project_count = 12
    yizhuang.save()
    run("load_yizhuang")
    yizhuang.refresh_from_db()
    assert yizhuang.planned_project_count == 10


@pytest.mark.django_db
def test_demo_data_is_marked_and_clear_demo_removes_exactly_it(yizhuang):
    real = snapshot()
    output = run("load_demo")
    assert "clear_demo" in output
    assert demo_records_exist()
    demo = Programme.objects.get(is_demo=True)
    assert "illustrative" in demo.name
    assert demo.projects.count() >= 5
    assert Measurement.objects.filter(is_demo=True).exists()
    assert Milestone.objects.filter(is_demo=True, status="completed").exists()
    for model in DEMO_MODELS:
        names = [str(obj) for obj in model.objects.filter(is_demo=True)]
        assert all("demo" in name.lower() for name in names), names

    run("clear_demo")

    assert not demo_records_exist()
    assert snapshot() == real, "every real record is left as it was"


@pytest.mark.django_db
def test_clear_demo_keeps_real_records_that_depend_on_demo_ones(yizhuang):
    run("load_demo")
    demo_project = Project.objects.filter(is_demo=True).first()
    real_target = factories.TargetFactory(project=demo_project, programme=demo_project.programme)

    with pytest.raises(CommandError, match="Nothing was removed"):
        run("clear_demo")

    assert Target.objects.filter(pk=real_target.pk).exists()
    assert Project.objects.filter(is_demo=True).exists(), "all or nothing"


@pytest.mark.django_db
def test_load_demo_twice_adds_nothing_more(yizhuang):
    run("load_demo")
    before = snapshot()
    assert "already loaded" in run("load_demo")
    assert snapshot() == before


@pytest.mark.django_db
def test_ensure_admin_creates_one_account_with_a_random_password():
    first = run("ensure_admin")
    password = first.split("password: ")[1].split()[0]
    user = get_user_model().objects.get(username="admin")
    assert user.is_superuser and user.check_password(password)
    assert len(password) >= 12

    second = run("ensure_admin")
    assert "password:" not in second
    assert "changepassword admin" in second
    assert get_user_model().objects.count() == 1


@pytest.mark.django_db
def test_ensure_admin_passwords_differ_between_installs():
    password = run("ensure_admin").split("password: ")[1].split()[0]
    get_user_model().objects.all().delete()
    assert run("ensure_admin").split("password: ")[1].split()[0] != password
