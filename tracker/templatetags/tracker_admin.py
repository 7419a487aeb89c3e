from django import template
from django.utils import timezone

from tracker.editorial.workload import Workload, workload

register = template.Library()


@register.simple_tag(takes_context=True)
def my_work(context) -> Workload | None:
    """The admin home's "my projects": what is overdue, stale or waiting for this person."""
    user = context["request"].user
    if user.is_superuser or not user.is_staff:
        return None
    return workload(user, timezone.localdate())
