from django.db.models import Count, Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.generic import DetailView, ListView

from tracker import progress
from tracker.models import Milestone, Programme, Project, Rating, Source, Target


def home(request: HttpRequest) -> HttpResponse:
    """The programme list, or straight to the programme when there is only one."""
    slugs = list(Programme.objects.values_list("slug", flat=True)[:2])
    if len(slugs) == 1:
        return redirect("tracker:programme-detail", programme=slugs[0])
    return ProgrammeListView.as_view()(request)


class ProgrammeListView(ListView):
    template_name = "tracker/programme_list.html"
    context_object_name = "programmes"

    def get_queryset(self):
        return Programme.objects.annotate(
            project_count=Count("projects", distinct=True)
        ).prefetch_related(
            Prefetch(
                "targets",
                queryset=Target.objects.filter(project__isnull=True).order_by("due_on", "pk"),
                to_attr="headline_targets",
            )
        )


class ProgrammeDetailView(DetailView):
    template_name = "tracker/programme_detail.html"
    context_object_name = "programme"
    slug_url_kwarg = "programme"

    def get_queryset(self):
        return (
            Programme.objects.select_related("designated_by", "host")
            .annotate(project_count=Count("projects", distinct=True))
            .with_status()
            .prefetch_related(
                Prefetch(
                    "milestones",
                    queryset=Milestone.objects.filter(project__isnull=True).select_related(
                        "evidence"
                    ),
                    to_attr="programme_milestones",
                ),
                Prefetch("sources", queryset=Source.objects.order_by("published_on", "pk")),
            )
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["headline"] = self.object.headline_assessments()
        return context


class ProjectDetailView(DetailView):
    template_name = "tracker/project_detail.html"
    context_object_name = "project"

    def get_object(self, queryset=None):
        return get_object_or_404(
            Project.objects.with_status().prefetch_related("lead_organisations"),
            programme__slug=self.kwargs["programme"],
            slug=self.kwargs["project"],
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rating = self.object.computed_rating()
        context["computed_rating"] = Rating(rating) if rating else None
        return context


class TargetDetailView(DetailView):
    template_name = "tracker/target_detail.html"
    context_object_name = "target"

    def get_queryset(self):
        return (
            Target.objects.filter(programme__slug=self.kwargs["programme"])
            .select_related("programme", "project", "reported_equivalent_source")
            .prefetch_related("measurements__source", "sources")
        )


class MilestoneDetailView(DetailView):
    template_name = "tracker/milestone_detail.html"
    context_object_name = "milestone"

    def get_queryset(self):
        return Milestone.objects.filter(Q(programme__slug=self.kwargs["programme"])).select_related(
            "programme", "project", "evidence"
        )


def methodology(request: HttpRequest) -> HttpResponse:
    """How status is computed, with the thresholds read from the rules themselves."""
    return render(
        request,
        "tracker/methodology.html",
        {
            "thresholds": progress.THRESHOLDS,
            "labels": {status.value: status.label for status in progress.Status},
            "ratings": {rating.value: rating.label for rating in Rating},
            "stale_days": progress.DEFAULT_STALE_AFTER.days,
        },
    )
