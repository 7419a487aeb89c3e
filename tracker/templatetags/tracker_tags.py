import functools
from decimal import Decimal

from django import template
from django.conf import settings
from django.http import HttpRequest
from django.template.base import render_value_in_context
from django.template.defaultfilters import date
from django.template.loader import render_to_string
from django.urls import reverse, translate_url
from django.utils import timezone
from django.utils.formats import get_format
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.timezone import template_localtime  # type: ignore[attr-defined]  # no stub
from django.utils.translation import (
    get_language,
    get_language_from_path,
    get_language_info,
    gettext,
    ngettext,
    override,
)

from tracker import formatting, progress, status

register = template.Library()


@register.filter
def money(amount: Decimal | None, currency: str) -> str:
    """{{ target.target_value|money:target.currency }} → CN¥50 billion / 500亿元."""
    if amount is None or amount == "":
        return ""
    return formatting.format_money(amount, currency, get_language())


@register.filter
def number(value: Decimal | int | None) -> str:
    if value is None or value == "":
        return ""
    return formatting.format_number(value, get_language())


@register.simple_tag(takes_context=True)
def language_links(context: template.Context) -> list[dict]:
    """The current page in every language, for the switcher (plain links, no JavaScript)."""
    request: HttpRequest | None = context.get("request")
    path = request.get_full_path() if request else "/"
    current = get_language()
    links = []
    for code, _name in settings.LANGUAGES:
        info = get_language_info(code)
        url = translate_url(path, code)
        if url == path and code != current:
            url = other_language_address(path, code)
        links.append(
            {
                "code": code,
                "name": info["name_local"],
                "url": url,
                # Search engines read the alternate languages' addresses whole.
                "absolute_url": request.build_absolute_uri(url) if request else url,
                "current": code == current,
            }
        )
    return links


def other_language_address(path: str, code: str) -> str:
    """For an address no page matched (an error page): the same address under the other
    language's prefix, or, without a prefix (the lockout page), that language's home."""
    prefix = get_language_from_path(path)
    if prefix:
        return f"/{code}/" + path[len(prefix) + 2 :]
    with override(code):
        return reverse("tracker:home")


@register.simple_tag
def punct(mark: str) -> str:
    """{% punct ":" %} → ": " in English, "：" in Chinese (tracker.formatting.punctuation)."""
    return formatting.punctuation(mark)


@register.filter
def markdown(text: str) -> str:
    """{{ update.body|markdown }}: staff's Markdown as safe HTML (tracker.formatting)."""
    return formatting.markdown_html(text)


@register.filter
def value_of(value: Decimal | None, target) -> str:
    """{{ measurement.value|value_of:target }}: a value in the target's own terms."""
    if value is None or value == "":
        return ""
    return formatting.format_target_value(value, target, get_language())


@register.inclusion_tag("tracker/_status.html")
def status_badge(value: progress.Status) -> dict:
    """{% status_badge item.final.status %}: a target's status in its tone."""
    return {"badge": status.status_badge(value)}


@register.inclusion_tag("tracker/_status.html")
def rating_badge(rating: str, label: str | None = None) -> dict:
    """{% rating_badge project.declared_rating project.get_declared_rating_display %}."""
    return {"badge": status.rating_badge(rating, label)}


@register.inclusion_tag("tracker/_status.html")
def milestone_badge(milestone, with_status: bool = True) -> dict:
    """A milestone's status, marked overdue in the red of a failure when it is."""
    return {"badge": status.overdue_badge(milestone, timezone.localdate(), with_status=with_status)}


@register.filter
def get_item(mapping: dict, key):
    return mapping.get(key)


@register.simple_tag
def follow_form(action: str, form=None) -> str:
    """The "Follow by e-mail" form posting to `action`: blank on the record's pages
    (which are cached, so it holds nothing of the visitor's), or `form` with its errors."""
    if form is None:
        return _blank_follow_form(action, get_language())
    return _follow_form(action, form)


def _follow_form(action: str, form) -> str:
    from tracker.public.following import KEPT

    return render_to_string(
        "tracker/_follow_form.html", {"action": action, "form": form, "kept": KEPT}
    )


@functools.lru_cache(maxsize=1024)
def _blank_follow_form(action: str, language: str) -> str:
    """A blank form is the same for every visitor: drawn once per address and language
    (the widgets' templates cost more than the rest of a page's follow section)."""
    from tracker.public.following import FollowForm

    return _follow_form(action, FollowForm())


@register.simple_tag(takes_context=True)
def table_rows(context: template.Context, table) -> str:
    """The body rows of a django-tables2 table (templates/tracker/_table.html), each
    cell as `<td data-label="{{ column.header }}">{{ cell }}</td>` would render it, the
    headers read once per table instead of once per cell, and no template loop per
    cell (most of a 50-row table's rendering time); the cells from the table's
    `row_cells` when it has one (tracker.public.tables.RowCells)."""
    columns = list(table.columns)
    labels = [render_value_in_context(column.header, context) for column in columns]
    names = [column.name for column in columns]
    row_cells = getattr(table, "row_cells", None)
    rows = []
    for row in table.paginated_rows:
        if row_cells is None:
            shown = [cell for _column, cell in row.items()]
        else:
            given = row_cells(row.record)
            shown = [given[name] for name in names]
        cells = "".join(
            f'<td data-label="{label}">{render_value_in_context(cell, context)}</td>'
            for label, cell in zip(labels, shown, strict=True)
        )
        rows.append(f"\n      <tr>\n        {cells}\n      </tr>\n      ")
    return mark_safe("".join(rows))  # noqa: S308  # every value escaped as {{ }} would


@register.simple_tag(takes_context=True)
def change_rows(context: template.Context, changes) -> str:
    """The rows of a table of changes (templates/tracker/_changes.html), as a template
    loop drew them (tests/public/test_render_tags.py keeps it): a project's page shows
    its last twenty changes, the log fifty a page."""

    def v(value) -> str:
        return render_value_in_context(value, context)

    if not changes:
        return mark_safe(  # noqa: S308  # escaped as {{ }} would
            f'\n    <tr><td colspan="8" class="empty">{v(gettext("Nothing has changed yet."))}'
            "</td></tr>\n    "
        )
    headings = [
        v(heading)
        for heading in (
            gettext("Date"),
            gettext("Kind"),
            gettext("Record"),
            gettext("What changed"),
            gettext("Old value"),
            gettext("New value"),
            gettext("Reason given"),
            gettext("By"),
        )
    ]
    unreasoned = v(gettext("No reason recorded"))
    rows = []
    for change in changes:
        record = v(change.record_label)
        if change.reason:
            reason = v(change.reason)
        elif change.kind in ("revised", "withdrawn"):
            reason = unreasoned
        else:
            reason = "—"
        cells = (
            v(date(template_localtime(change.when), "DATE_FORMAT")),
            v(change.kind_label),
            f'{record}{"<br>" if record else ""}<a href="{v(change.url)}">{v(change.subject)}</a>',
            v(change.what),
            v(change.old or "—"),
            v(change.new or "—"),
            reason,
            v(change.role_label),
        )
        tds = "\n      ".join(
            f'<td{' class="old"' if i == 4 else ""} data-label="{heading}">{cell}</td>'
            for i, (heading, cell) in enumerate(zip(headings, cells, strict=True))
        )
        rows.append(f'\n    <tr data-kind="{v(change.kind)}">\n      {tds}\n    </tr>\n    ')
    return mark_safe("".join(rows))  # noqa: S308  # every value escaped as {{ }} would


@register.simple_tag
def sitemap_entries(sitemaps) -> str:
    """The entries of the sitemap's index (templates/tracker/sitemap_index.xml), as
    django.contrib.sitemaps' own template draws them, without its loop: the index has
    an entry for every page of every section, hundreds on a large site."""
    return mark_safe(  # noqa: S308  # every value escaped as {{ }} would
        "".join(
            f"<sitemap><loc>{escape(site.location)}</loc>"
            + (
                f"<lastmod>{escape(date(template_localtime(site.last_mod), 'c'))}</lastmod>"
                if site.last_mod
                else ""
            )
            + "</sitemap>"
            for site in sitemaps
        )
    )


@register.simple_tag(takes_context=True)
def chart_figure(context: template.Context, chart, chart_id, target) -> str:
    """A target's chart as inline SVG with its legend (the geometry is
    tracker.public.charts'), drawn in Python: a template drew it in several times the
    time, and the dashboard and project pages draw one for each target. Every value is
    rendered as `{{ value }}` would render it (escaped, localised)."""
    if not chart:
        return "\n\n"  # the line breaks of the template it replaced (tests/public)

    v = coordinates(context)  # numbers fast, anything else by render_value_in_context
    with_label = bool(chart.y_label)
    title = gettext("Progress chart: %(title)s") % {"title": v(target.title)}
    left, right, top, bottom = (
        v(chart.plot_left),
        v(chart.plot_right),
        v(chart.plot_top),
        v(chart.plot_bottom),
    )
    out = [
        '\n\n<figure class="chart">\n',
        f'  <svg viewBox="0 0 {v(chart.width)} {v(chart.height)}" role="img"'
        f' aria-labelledby="chart-title-{v(chart_id)}"'
        + (f' aria-describedby="chart-desc-{v(chart_id)}"' if with_label else "")
        + ' focusable="false">\n',
        f'    <title id="chart-title-{v(chart_id)}">{title}</title>\n    ',
    ]
    if with_label:
        out.append(
            f'<desc id="chart-desc-{v(chart_id)}">{v(gettext("Values in"))}'
            f"{formatting.punctuation(':')}{v(chart.y_label)}</desc>"
        )
    out.append(
        f'\n    <line class="axis" x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}"></line>'
        f'\n    <line class="axis" x1="{left}" y1="{top}" x2="{left}" y2="{bottom}"></line>\n    '
    )
    if with_label:
        out.append(
            f'<text class="axis-label" x="8" y="{v(chart.plot_top - 12)}" text-anchor="start">'
            f"{v(chart.y_label)}</text>"
        )
    out.append("\n    ")
    if chart.due_x is not None:
        due = v(chart.due_x)
        out.append(f'<line class="due-mark" x1="{due}" y1="{top}" x2="{due}" y2="{bottom}"></line>')
    out.append("\n    ")
    if chart.target_y is not None:
        level = v(chart.target_y)
        out.append(
            f'<line class="target-level" x1="{left}" y1="{level}" x2="{right}" y2="{level}"></line>'
        )
    for ticks in (chart.x_ticks, chart.y_ticks):
        out.append("\n    ")
        out += [
            f'<text class="tick" x="{v(tick.x)}" y="{v(tick.y)}" text-anchor="{v(tick.anchor)}">'
            f"{v(tick.label)}</text>"
            for tick in ticks
        ]
    out.append("\n    ")
    out += [
        f'<polyline class="line-{v(line.kind)}" points="{v(line.points)}"></polyline>'
        for line in chart.lines
    ]
    out.append(f"\n    {chart_dots(context, chart)}\n  </svg>\n")
    out.append('  <figcaption class="legend">\n    ')

    def key(kind: str, text: str) -> str:
        return f'<span class="key key-{kind}">{v(text)}</span>'

    if chart.dots:
        out.append(
            key(
                "measured",
                gettext("Published counts drawn as steps")
                if chart.steps
                else gettext("Published measurements"),
            )
        )
    else:
        out.append(
            f'<span class="legend-note">{v(gettext("No published measurement to draw"))}</span>'
        )
    out.append("\n    ")
    out += [
        key("expected", gettext("Expected path to the due date"))
        for line in chart.lines
        if line.kind == "expected"
    ]
    out.append("\n    " + key("due", gettext("Due date")) + "\n    ")
    if target.due_earliest:
        out.append(key("earliest", gettext("Expected path to the earlier date")))
    out.append("\n    ")
    for line in chart.lines:
        if line.kind == "pledge":
            out.append(key("pledge", gettext("Original pledge")))
        if line.kind == "forecast":
            out.append(key("forecast", gettext("Forecast at the current rate")))
    out.append("\n  </figcaption>\n</figure>\n\n")
    return mark_safe("".join(out))  # noqa: S308  # every value escaped as {{ }} would


@register.simple_tag(takes_context=True)
def chart_dots(context: template.Context, chart) -> str:
    """`<circle class="dot" cx="{{ dot.0 }}" cy="{{ dot.1 }}" r="4"></circle>` for each
    of a chart's dots (chart_figure), without a template loop: a chart
    has a dot for each of its hundreds of measurements."""
    number = coordinates(context)
    return mark_safe(  # noqa: S308  # every value escaped as {{ }} would
        "".join(
            f'<circle class="dot" cx="{number(x)}" cy="{number(y)}" r="4"></circle>'
            for x, y in chart.dots
        )
    )


def coordinates(context: template.Context):
    """A function that renders a chart's coordinate as `{{ value }}` would: where the
    language writes a decimal point and no thousands separator (both of this site's),
    Django's number formatting gives what str() gives, at a tenth of the cost (a chart
    has hundreds of coordinates)."""
    plain = not settings.USE_THOUSAND_SEPARATOR and get_format("DECIMAL_SEPARATOR") == "."

    def number(value) -> str:
        if plain and type(value) in (int, float):
            text = str(value)
            if "e" not in text:
                return text
        return render_value_in_context(value, context)

    return number


@register.simple_tag(takes_context=True)
def measurement_rows(context: template.Context, measurements, target, *labels: str) -> str:
    """The rows of a target's table of measurements (templates/tracker/target_detail.html),
    as a template loop over them would render each (a target has hundreds), with
    `labels`: as of, value, source, note, and the text for no source."""
    as_of, value, source_label, note, no_source = (
        render_value_in_context(label, context) for label in labels
    )

    def text(value) -> str:
        return render_value_in_context(value, context)

    rows = []
    for measurement in measurements:
        source = measurement.source
        if not source:
            cited = text(no_source)
        elif source.url:
            cited = f'<a href="{text(source.url)}">{text(source.title)}</a>'
        else:
            cited = text(source.title)
        confidence, noted = measurement.confidence, ""
        if confidence != "high":
            # templates/tracker/_confidence.html, with its file's last line break
            if confidence:
                level = {"level": text(measurement.get_confidence_display())}
                said = gettext("Confidence: %(level)s") % level
                noted = f' <span class="confidence confidence-{text(confidence)}">{said}</span>'
            noted += "\n"
        rows.append(
            f'\n  <tr id="measurement-{text(measurement.pk)}">'
            f'<td data-label="{as_of}">{text(date(measurement.as_of, "DATE_FORMAT"))}</td>'
            f'<td data-label="{value}">{text(value_of(measurement.value, target))}</td>'
            f'<td data-label="{source_label}">{cited}</td>'
            f'<td data-label="{note}">{text(measurement.note)}{noted}</td></tr>\n  '
        )
    return mark_safe("".join(rows))  # noqa: S308  # every value escaped as {{ }} would


@register.simple_tag(takes_context=True)
def milestone_item(context: template.Context, milestone, show_project: bool = False) -> str:
    """One milestone of a list (a timeline on the dashboard, a project's page, search
    results): its link, its project (`show_project`), its confidence when below high,
    then when it was withdrawn or completed or is planned for, how late, how far it
    slipped. Python rather than an included template: pages list tens of them."""

    def text(value) -> str:
        return render_value_in_context(value, context)

    def day(on) -> str:
        return text(date(on, "DATE_FORMAT"))

    today = timezone.localdate()
    overdue = milestone.overdue_on(today)
    done = milestone.status == "completed"
    project = milestone.project
    shown = f'<span class="muted">· {text(project.name)}</span>' if project and show_project else ""
    confidence = milestone.confidence
    if confidence and confidence != "high":
        level = {"level": text(milestone.get_confidence_display())}
        said = gettext("Confidence: %(level)s") % level
        shown += f' <span class="confidence confidence-{text(confidence)}">{said}</span>'
    if milestone.withdrawn_on:
        when = gettext("Withdrawn on %(date)s. Reason: %(reason)s") % {
            "date": day(milestone.withdrawn_on),
            "reason": text(milestone.withdrawal_reason),
        }
    elif milestone.completed_on:
        when = gettext("Completed on %(date)s") % {"date": day(milestone.completed_on)}
        late = milestone.days_late
        if late:
            said = ngettext("%(days)s day late", "%(days)s days late", late) % {"days": text(late)}
            when += f"{text(punct('('))}{said}{text(punct(')'))}"
    else:
        planned = gettext("planned for %(date)s") % {"date": day(milestone.planned_on)}
        when = f"{text(milestone.get_status_display())} · {planned}\n  "
        if overdue or milestone.not_reported_on(today):
            drawn = status.overdue_badge(milestone, today, with_status=False)
            when += (
                f'<span class="{text(drawn.kind)} {text(drawn.kind)}-{text(drawn.value)}"'
                f' data-tone="{text(drawn.tone)}">{text(drawn.label)}</span>\n'
            )
    slip = milestone.slippage_days(today)
    slipped = (
        "· "
        + ngettext("slipped %(days)s day", "slipped %(days)s days", slip) % {"days": text(slip)}
        if slip
        else ""
    )
    return mark_safe(  # noqa: S308  # every value escaped as {{ }} would
        f'\n<li class="{"done" if done else "overdue" if overdue else ""}">\n'
        f'  <a href="{text(milestone.get_absolute_url())}">{text(milestone.title)}</a>\n'
        f"  {shown}\n\n  <br>\n  \n  {when}\n  \n  {slipped}\n</li>\n"
    )
