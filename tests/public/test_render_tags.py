"""The tags that draw a page's long lists in Python (tracker_tags: measurement_rows,
chart_dots, table_rows) give the HTML the template loops they replace gave."""

from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from tests import factories
from tracker.models import Confidence

# The loop templates/tracker/target_detail.html had before measurement_rows.
LOOP = """{% load i18n tracker_tags %}{% for measurement in measurements %}
  <tr id="measurement-{{ measurement.pk }}"><td data-label="{{ as_of_label }}">{{ measurement.as_of|date:"DATE_FORMAT" }}</td><td data-label="{{ value_label }}">{{ measurement.value|value_of:target }}</td><td data-label="{{ source_label }}">{% with source=measurement.source %}{% if source %}{% if source.url %}<a href="{{ source.url }}">{{ source.title }}</a>{% else %}{{ source.title }}{% endif %}{% else %}{{ no_source }}{% endif %}{% endwith %}</td><td data-label="{{ note_label }}">{{ measurement.note }}{% if measurement.confidence != "high" %}{% include "tracker/_confidence.html" with record=measurement %}{% endif %}</td></tr>
  {% endfor %}"""  # noqa: E501
TAG = """{% load tracker_tags %}{% measurement_rows measurements target as_of_label value_label source_label note_label no_source %}"""  # noqa: E501
DOTS_LOOP = """{% for dot in chart.dots %}<circle class="dot" cx="{{ dot.0 }}" cy="{{ dot.1 }}" r="4"></circle>{% endfor %}"""  # noqa: E501


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
