"""Read an admin form page the way a browser would, so a test can change a field and post."""

import datetime as dt
from decimal import Decimal

from django import forms
from django.db.models import Model


def _as_post_value(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "on" if value else None
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Model):
        return str(value.pk)
    if isinstance(value, list | tuple | set):
        return [str(getattr(v, "pk", v)) for v in value]
    if isinstance(value, Decimal | int | float):
        return str(value)
    return value


def _add_form(data: dict, form) -> None:
    for name in form.fields:
        bound = form[name]
        if bound.field.disabled:
            continue
        value = bound.value()
        if isinstance(value, dt.datetime) and hasattr(bound.field.widget, "widgets"):
            # The admin's split date-time widget posts a date and a time.
            data[f"{bound.html_name}_0"] = value.date().isoformat()
            data[f"{bound.html_name}_1"] = value.time().isoformat(timespec="seconds")
            continue
        if value is None and isinstance(
            bound.field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField
        ):
            continue  # an empty multiple choice posts nothing
        post = _as_post_value(value)
        if post is not None:
            data[bound.html_name] = post


def admin_form_data(response) -> dict:
    """The POST data a browser would send for an admin add or change page, unchanged."""
    data: dict = {}
    _add_form(data, response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        _add_form(data, formset.management_form)
        for form in formset.forms:
            _add_form(data, form)
    return data


def list_rows(*rows: dict) -> dict:
    """What the admin's editable list posts: its management form and one dict a row."""
    data = {
        "form-TOTAL_FORMS": str(len(rows)),
        "form-INITIAL_FORMS": str(len(rows)),
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
        "_save": "Save",
    }
    for index, row in enumerate(rows):
        data.update({f"form-{index}-{name}": value for name, value in row.items()})
    return data
