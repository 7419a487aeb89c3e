from django.http import HttpRequest

from tracker.models import demo_records_exist
from tracker.public.search import MAX_LENGTH


def site(request: HttpRequest) -> dict:
    """Context every public page needs: whether illustrative data is present, and how
    long a search may be (the search box in the header)."""
    if request.path.startswith("/admin/"):
        return {}
    # Asked once a request, however many templates (tables, includes) render.
    if not hasattr(request, "demo_data_present"):
        request.demo_data_present = demo_records_exist()  # type: ignore[attr-defined]
    return {"demo_data_present": request.demo_data_present, "search_max_length": MAX_LENGTH}  # type: ignore[attr-defined]
