"""The tags that draw a page's long lists in Python (tracker_tags: measurement_rows,
chart_dots, table_rows, milestone_item) give the HTML the template loops and included
templates they replace gave, and the tables' row_cells django-tables2's cells."""

import datetime as dt
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation
from django.utils.html import conditional_escape
from django_tables2 import RequestConfig

from tests import factories
from tracker import stored
from tracker.models import Confidence, Milestone, Project, Rating
from tracker.public.tables import MilestoneTable, ProjectTable

# The loop templates/tracker/target_detail.html had before measurement_rows.
LOOP = """{% load i18n tracker_tags %}{% for measurement in measurements %}
  <tr id="measurement-{{ measurement.pk }}"><td data-label="{{ as_of_label }}">{{ measurement.as_of|date:"DATE_FORMAT" }}</td><td data-label="{{ value_label }}">{{ measurement.value|value_of:target }}</td><td data-label="{{ source_label }}">{% with source=measurement.source %}{% if source %}{% if source.url %}<a href="{{ source.url }}">{{ source.title }}</a>{% else %}{{ source.title }}{% endif %}{% else %}{{ no_source }}{% endif %}{% endwith %}</td><td data-label="{{ note_label }}">{{ measurement.note }}{% if measurement.confidence != "high" %}{% include "tracker/_confidence.html" with record=measurement %}{% endif %}</td></tr>
  {% endfor %}"""  # noqa: E501
TAG = """{% load tracker_tags %}{% measurement_rows measurements target as_of_label value_label source_label note_label no_source %}"""  # noqa: E501
# templates/tracker/_milestone_item.html, which milestone_item replaced.
MILESTONE_ITEM = """{% load i18n tracker_tags %}
<li class="{% if milestone.status == 'completed' %}done{% elif milestone.is_overdue %}overdue{% endif %}">
  <a href="{{ milestone.get_absolute_url }}">{{ milestone.title }}</a>
  {% if milestone.project and show_project %}<span class="muted">· {{ milestone.project.name }}</span>{% endif %}{% include "tracker/_confidence.html" with record=milestone %}
  <br>
  {% if milestone.withdrawn_on %}
  {% blocktranslate with date=milestone.withdrawn_on|date:"DATE_FORMAT" reason=milestone.withdrawal_reason %}Withdrawn on {{ date }}. Reason: {{ reason }}{% endblocktranslate %}
  {% elif milestone.completed_on %}
  {% blocktranslate with date=milestone.completed_on|date:"DATE_FORMAT" %}Completed on {{ date }}{% endblocktranslate %}{% if milestone.days_late %}{% punct "(" %}{% blocktranslate count days=milestone.days_late %}{{ days }} day late{% plural %}{{ days }} days late{% endblocktranslate %}{% punct ")" %}{% endif %}
  {% else %}
  {{ milestone.get_status_display }} · {% blocktranslate with date=milestone.planned_on|date:"DATE_FORMAT" %}planned for {{ date }}{% endblocktranslate %}
  {% if milestone.is_overdue or milestone.is_not_reported %}{% milestone_badge milestone with_status=False %}{% endif %}
  {% endif %}
  {% with slip=milestone.slippage_days %}{% if slip %}· {% blocktranslate count days=slip %}slipped {{ days }} day{% plural %}slipped {{ days }} days{% endblocktranslate %}{% endif %}{% endwith %}
</li>
"""  # noqa: E501
DOTS_LOOP = """{% for dot in chart.dots %}<circle class="dot" cx="{{ dot.0 }}" cy="{{ dot.1 }}" r="4"></circle>{% endfor %}"""  # noqa: E501

# templates/tracker/_chart.html, which chart_figure replaced.
CHART = """{% load i18n tracker_tags %}
{% if chart %}
<figure class="chart">
  <svg viewBox="0 0 {{ chart.width }} {{ chart.height }}" role="img" aria-labelledby="chart-title-{{ chart_id }}"{% if chart.y_label %} aria-describedby="chart-desc-{{ chart_id }}"{% endif %} focusable="false">
    <title id="chart-title-{{ chart_id }}">{% blocktranslate with title=target.title %}Progress chart: {{ title }}{% endblocktranslate %}</title>
    {% if chart.y_label %}<desc id="chart-desc-{{ chart_id }}">{% translate "Values in" %}{% punct ":" %}{{ chart.y_label }}</desc>{% endif %}
    <line class="axis" x1="{{ chart.plot_left }}" y1="{{ chart.plot_bottom }}" x2="{{ chart.plot_right }}" y2="{{ chart.plot_bottom }}"></line>
    <line class="axis" x1="{{ chart.plot_left }}" y1="{{ chart.plot_top }}" x2="{{ chart.plot_left }}" y2="{{ chart.plot_bottom }}"></line>
    {% if chart.y_label %}<text class="axis-label" x="8" y="{{ chart.plot_top|add:-12 }}" text-anchor="start">{{ chart.y_label }}</text>{% endif %}
    {% if chart.due_x is not None %}<line class="due-mark" x1="{{ chart.due_x }}" y1="{{ chart.plot_top }}" x2="{{ chart.due_x }}" y2="{{ chart.plot_bottom }}"></line>{% endif %}
    {% if chart.target_y is not None %}<line class="target-level" x1="{{ chart.plot_left }}" y1="{{ chart.target_y }}" x2="{{ chart.plot_right }}" y2="{{ chart.target_y }}"></line>{% endif %}
    {% for tick in chart.x_ticks %}<text class="tick" x="{{ tick.x }}" y="{{ tick.y }}" text-anchor="{{ tick.anchor }}">{{ tick.label }}</text>{% endfor %}
    {% for tick in chart.y_ticks %}<text class="tick" x="{{ tick.x }}" y="{{ tick.y }}" text-anchor="{{ tick.anchor }}">{{ tick.label }}</text>{% endfor %}
    {% for line in chart.lines %}<polyline class="line-{{ line.kind }}" points="{{ line.points }}"></polyline>{% endfor %}
    {% chart_dots chart %}
  </svg>
  <figcaption class="legend">
    {% if chart.dots %}<span class="key key-measured">{% if chart.steps %}{% translate "Published counts drawn as steps" %}{% else %}{% translate "Published measurements" %}{% endif %}</span>{% else %}<span class="legend-note">{% translate "No published measurement to draw" %}</span>{% endif %}
    {% for line in chart.lines %}{% if line.kind == "expected" %}<span class="key key-expected">{% translate "Expected path to the due date" %}</span>{% endif %}{% endfor %}
    <span class="key key-due">{% translate "Due date" %}</span>
    {% if target.due_earliest %}<span class="key key-earliest">{% translate "Expected path to the earlier date" %}</span>{% endif %}
    {% for line in chart.lines %}{% if line.kind == "pledge" %}<span class="key key-pledge">{% translate "Original pledge" %}</span>{% endif %}{% if line.kind == "forecast" %}<span class="key key-forecast">{% translate "Forecast at the current rate" %}</span>{% endif %}{% endfor %}
  </figcaption>
</figure>
{% endif %}
"""  # noqa: E501

# templates/tracker/_changes.html before change_rows drew its rows.
CHANGES = """{% load i18n %}
<div class="table-scroll">
<table class="data changes">
  <caption>{% translate "Changes, newest first" %}</caption>
  <thead><tr><th scope="col">{% translate "Date" %}</th><th scope="col">{% translate "Kind" %}</th><th scope="col">{% translate "Record" %}</th><th scope="col">{% translate "What changed" %}</th><th scope="col">{% translate "Old value" %}</th><th scope="col">{% translate "New value" %}</th><th scope="col">{% translate "Reason given" %}</th><th scope="col">{% translate "By" %}</th></tr></thead>
  <tbody>{% translate "Date" as heading_date %}{% translate "Kind" as heading_kind %}{% translate "Record" as heading_record %}{% translate "What changed" as heading_what %}{% translate "Old value" as heading_old %}{% translate "New value" as heading_new %}{% translate "Reason given" as heading_reason %}{% translate "By" as heading_by %}
    {% for change in changes %}
    <tr data-kind="{{ change.kind }}">
      <td data-label="{{ heading_date }}">{{ change.when|date:"DATE_FORMAT" }}</td>
      <td data-label="{{ heading_kind }}">{{ change.kind_label }}</td>
      <td data-label="{{ heading_record }}">{{ change.record_label }}{% if change.record_label %}<br>{% endif %}<a href="{{ change.url }}">{{ change.subject }}</a></td>
      <td data-label="{{ heading_what }}">{{ change.what }}</td>
      <td class="old" data-label="{{ heading_old }}">{{ change.old|default:"—" }}</td>
      <td data-label="{{ heading_new }}">{{ change.new|default:"—" }}</td>
      <td data-label="{{ heading_reason }}">{% if change.reason %}{{ change.reason }}{% elif change.kind == "revised" or change.kind == "withdrawn" %}{% translate "No reason recorded" %}{% else %}—{% endif %}</td>
      <td data-label="{{ heading_by }}">{{ change.role_label }}</td>
    </tr>
    {% empty %}
    <tr><td colspan="8" class="empty">{% translate "Nothing has changed yet." %}</td></tr>
    {% endfor %}
  </tbody>
</table>
</div>
"""  # noqa: E501


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_measurement_rows_are_the_loops_rows(lang):
    target = factories.TargetFactory()
    plain = factories.SourceFactory(url="", title_en="A <plain> & report")
    measurements = [
        factories.MeasurementFactory(target=target, value=Decimal("1234567.5")),
        factories.MeasurementFactory(
            target=target, source=plain, confidence=Confidence.MEDIUM, note="Said <so> & more"
        ),
        # None is stored without a source; a row read without one still says so.
        factories.MeasurementFactory.build(
            pk=10**6, target=target, source=None, confidence=Confidence.LOW
        ),
        factories.MeasurementFactory(target=target, confidence=Confidence.MEDIUM_HIGH),
    ]
    context = {
        "measurements": measurements,
        "target": target,
        "as_of_label": "As <of>",
        "value_label": "Value",
        "source_label": "Source",
        "note_label": "Note",
        "no_source": "No source & none",
    }
    with translation.override(lang):
        expected = Template(LOOP).render(Context(context))
        drawn = Template(TAG).render(Context(context))
    assert "confidence-medium" in expected and "&lt;so&gt;" in expected
    assert drawn == expected


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_chart_dots_are_the_loops_dots(lang):
    class Chart:
        dots = [(118.5, 263.8), (1200.0, -3.25), (7, 0.1)]

    with translation.override(lang):
        expected = Template(DOTS_LOOP).render(Context({"chart": Chart}))
        drawn = Template("{% load tracker_tags %}{% chart_dots chart %}").render(
            Context({"chart": Chart})
        )
    assert drawn == expected


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_milestone_item_is_the_included_template(lang, today):
    project = factories.ProjectFactory()
    programme = project.programme
    silent = factories.ProjectFactory(programme__progress_reported_here=False)
    late = dt.date(2024, 1, 1)
    moved = factories.MilestoneFactory(project=project, planned_on=today + dt.timedelta(days=30))
    moved.planned_on = today + dt.timedelta(days=90)
    moved.save()  # slipped 60 days
    milestones = [
        moved,
        factories.MilestoneFactory(project=project, planned_on=late),  # overdue
        factories.MilestoneFactory(project=project, planned_on=today + dt.timedelta(days=5)),
        factories.MilestoneFactory(project=silent, planned_on=late),  # not reported
        factories.MilestoneFactory(
            project=project,
            planned_on=late,
            status=Milestone.Status.COMPLETED,
            completed_on=late + dt.timedelta(days=3),
            confidence=Confidence.MEDIUM,
        ),
        factories.MilestoneFactory(
            project=project,
            planned_on=late,
            status=Milestone.Status.COMPLETED,
            completed_on=late - dt.timedelta(days=1),
            title_en="Done <early> & well",
        ),
        factories.MilestoneFactory(
            project=project,
            planned_on=late + dt.timedelta(days=1),
            status=Milestone.Status.COMPLETED,
            completed_on=late + dt.timedelta(days=1),
        ),
        factories.MilestoneFactory(
            project=project,
            withdrawn_on=late,
            withdrawal_reason="Merged <into> another & more",
            confidence=Confidence.LOW,
        ),
        factories.MilestoneFactory(
            project=None, programme=programme, status=Milestone.Status.IN_PROGRESS
        ),
    ]
    shown = Milestone.objects.with_slippage().filter(pk__in=[m.pk for m in milestones])
    drawn_any = set()
    included = Template(MILESTONE_ITEM)
    tag = Template("{% load tracker_tags %}{% milestone_item milestone show_project=show %}")
    with translation.override(lang):
        for milestone in shown.order_by("pk"):
            for show in (True, False):
                context = {"milestone": milestone, "show_project": show, "show": show}
                expected = included.render(Context(context))
                assert tag.render(Context(context)) == expected
                drawn_any.add(expected)
    text = "".join(drawn_any)
    wanted = ("overdue", "confidence-medium", "&lt;into&gt;", "· Project", "status-", "slipped 60")
    for seen in (*wanted, "3 days late", "Withdrawn on"):
        assert seen in text or lang != "en", seen


def cells_alike(table) -> int:
    """Assert each row's `row_cells` are its django-tables2 cells (BoundRow.items), as
    {{ cell }} shows them; how many rows were compared."""
    rows = list(table.paginated_rows)
    for row in rows:
        given = table.row_cells(row.record)
        for column, cell in row.items():
            assert conditional_escape(given[column.name]) == conditional_escape(cell), column.name
    return len(rows)


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_table_row_cells_are_django_tables2s(lang, today, rf):
    programme = factories.ProgrammeFactory()
    projects = [
        factories.ProjectFactory(programme=programme, name_en="A <first> & one"),
        factories.ProjectFactory(
            programme=programme, sector=None, due_on=None, declared_rating=Rating.GREEN
        ),
        factories.ProjectFactory(programme=programme, declared_rating=Rating.RED),
    ]
    late = dt.date(2024, 1, 1)
    factories.MilestoneFactory(project=projects[0], planned_on=late)
    factories.MilestoneFactory(
        project=projects[0],
        planned_on=late,
        forecast_on=late + dt.timedelta(days=9),
        status=Milestone.Status.COMPLETED,
        completed_on=late + dt.timedelta(days=3),
    )
    factories.MilestoneFactory(
        project=projects[1], withdrawn_on=late, withdrawal_reason="Merged", title_en="Gone <x>"
    )
    factories.MilestoneFactory(project=None, programme=programme, planned_on=today)
    stored.refresh([programme.pk], today, force=True)
    with translation.override(lang):
        read = list(Project.objects.filter(programme=programme).select_related("programme"))
        project_table = ProjectTable(read, order_by="name")
        RequestConfig(rf.get("/")).configure(project_table)
        milestones = (
            Milestone.objects.filter(programme=programme)
            .with_slippage()
            .select_related("project__programme", "programme")
        )
        milestone_table = MilestoneTable(milestones)
        RequestConfig(rf.get("/")).configure(milestone_table)
        assert cells_alike(project_table) == 3
        assert cells_alike(milestone_table) == 4


@pytest.mark.django_db
def test_target_page_shows_the_files_of_each_source_it_cites_once(client):
    from tests import files
    from tests.opendata.test_document_files import attach

    target = factories.TargetFactory()
    own, measured = factories.SourceFactory(), factories.SourceFactory()
    target.sources.add(own)
    for _ in range(3):  # one source for several measurements: cited once
        factories.MeasurementFactory(target=target, source=measured)
    attach(files.PDF, "own.pdf", source=own)
    attach(files.PDF, "measured.pdf", source=measured)
    attach(files.PDF, "more.pdf", source=measured)
    page = client.get(target.get_absolute_url()).content.decode()
    assert page.count('class="source-file"') == 3
    assert page.count(f'id="source-{measured.pk}"') == 1


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_chart_figure_is_the_included_template(lang):
    """Every branch of the chart: with and without a unit, a due mark, a target level,
    dots (as steps or not), an earlier due date, and each kind of line; values that
    need escaping and decimals that are localised."""
    from types import SimpleNamespace

    from tracker.public.charts import Chart, Line, Tick

    lines = [
        Line("104,268 616,32.5", "expected"),
        Line("104,268 300,100", "earliest"),
        Line("104,268 616,40", "pledge"),
        Line("104,200 400,150.25", "measured"),
        Line("400,150.25 616,60", "forecast"),
    ]
    ticks = [
        Tick(104, 280, "2025", "start"),
        Tick(360.5, 280, "2026"),
        Tick(616, 280, "<2027>", "end"),
    ]
    y_ticks = [Tick(96, 268, "0", "end"), Tick(96, 150, "CN¥25 billion & more", "end")]
    charts = [
        Chart(),
        Chart(
            lines=lines,
            dots=[(104, 200), (400.5, 150.25), (1e-7, 12345.678), (-3, 2.0)],
            x_ticks=ticks,
            y_ticks=y_ticks,
            target_y=32.5,
            due_x=616,
            y_label="Projects <count>",
            steps=True,
        ),
        Chart(lines=lines[:1], dots=[(1, 2)], x_ticks=ticks, target_y=0, due_x=0, y_label=""),
        Chart(lines=lines[3:], y_ticks=y_ticks, y_label="%"),
    ]
    targets = [
        SimpleNamespace(title="Jobs & <firms>", due_earliest=None),
        SimpleNamespace(title="岗位", due_earliest=dt.date(2027, 1, 1)),
    ]
    with translation.override(lang):
        for chart in [*charts, None]:
            for target in targets:
                context = {"chart": chart, "chart_id": 17, "target": target}
                expected = Template(CHART).render(Context(context))
                tag = "{% load tracker_tags %}{% chart_figure chart chart_id target %}"
                assert Template(tag).render(Context(context)) == expected


@pytest.mark.django_db
def test_sitemap_index_is_the_one_djangos_template_draws(rf, monkeypatch, demo):
    """The index with its entries drawn by sitemap_entries, sections of several pages
    and a section with a last change included, is byte for byte Django's own."""
    from django.contrib.sitemaps import views

    from tracker.public.sitemaps import SITEMAPS, PagesSitemap, PublicSitemap

    class Dated(PagesSitemap):
        def get_latest_lastmod(self):
            return dt.datetime(2026, 11, 28, 12, 30, tzinfo=dt.UTC)

    monkeypatch.setattr(PublicSitemap, "limit", 3)  # several pages in each section
    for sitemaps in (SITEMAPS, {**SITEMAPS, "dated": Dated}):
        drawn = {}
        for template in ("sitemap_index.xml", "tracker/sitemap_index.xml"):
            response = views.index(
                rf.get("/sitemap.xml"),
                sitemaps=sitemaps,
                sitemap_url_name="sitemap-section",
                template_name=template,
            )
            drawn[template] = response.render().content.decode()
        assert drawn["tracker/sitemap_index.xml"] == drawn["sitemap_index.xml"]
        assert drawn["sitemap_index.xml"].count("?p=") > 5
    assert "<lastmod>2026-11-28T20:30:00+08:00</lastmod>" in drawn["sitemap_index.xml"]  # Beijing


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_change_rows_are_the_loops_rows(lang):
    """Every kind of cell: a record label or none, a reason, none where one is expected
    and none where it is not, empty old and new values, a date and a date and time, and
    text that needs escaping; and the table with no change."""
    from django.template.loader import get_template

    from tracker.revisions import Change

    def change(**given) -> Change:
        fields = {
            "when": dt.datetime(2026, 11, 27, 23, 30, tzinfo=dt.UTC),
            "subject": "Jobs & <firms>",
            "url": "/en/programmes/a/targets/1/?x=1&y=2",
            "what": "Target value",
            "old": "10",
            "new": "12",
            "reason": "",
            "kind": "revised",
            "record": "target",
        }
        return Change(**(fields | given))

    changes = [
        change(),
        change(reason="Said <so> & more", kind="withdrawn", role="manager"),
        change(kind="measurement", record="measurement", old="", new="", role="editor"),
        change(when=dt.date(2026, 1, 2), kind="created", record="", what="New"),
        change(kind="completed", record="milestone", role="operator"),
    ]
    with translation.override(lang):
        for shown in (changes, []):
            context = {"changes": shown}
            expected = Template(CHANGES).render(Context(context))
            assert get_template("tracker/_changes.html").render(context) == expected


def test_table_addresses_are_reverses():
    """A row's address put into an address built once is reverse()'s, in each language,
    for keys and slugs (one that is the mark itself too)."""
    from django.urls import reverse

    from tracker.public.tables import Addresses

    addresses = Addresses()
    for lang in ("en", "zh-hans"):
        with translation.override(lang):
            for programme in ("beijing-etown-ai", "b"):
                for pk in (1, 42, 8191073549311 - 1):
                    assert addresses(
                        "tracker:milestone-detail", "pk", pk, programme=programme
                    ) == reverse(
                        "tracker:milestone-detail", kwargs={"programme": programme, "pk": pk}
                    )
                for slug in ("credit-risk-ai", "a_b-1", "8191073549311"):
                    assert addresses(
                        "tracker:project-detail", "project", slug, programme=programme
                    ) == reverse(
                        "tracker:project-detail", kwargs={"programme": programme, "project": slug}
                    )
    assert len(addresses.made) == 8  # two routes, two programmes, two languages
