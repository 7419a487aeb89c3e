"""Staffing: programme managers find staff, invite editors and assign them to projects,
with no superuser involved; and who must use a second factor.

A manager sees of the user list only active staff who are not superusers, by name and
e-mail, and can change nobody's permissions: inviting makes a new account in the
"Project editor" group, and assigning touches only their own programme's projects."""

import logging
import uuid
from typing import cast

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.models import Group
from django.contrib.auth.models import User as AuthUser
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django_otp.plugins.otp_totp.models import TOTPDevice

from tracker.editorial.notifications import display_name, language_of, site_url
from tracker.models import Programme, Project, StaffProfile
from tracker.ops import mail

log = logging.getLogger(__name__)

EDITOR_GROUP = "Project editor"
User = get_user_model()


# Who is who


def is_manager(user) -> bool:
    """A programme manager (or a superuser): may staff their programmes."""
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return False
    if user.is_superuser:
        return True
    return user.has_perm("tracker.change_programme") and user.managed_programmes.exists()


def staff_users_for(user) -> QuerySet:
    """The accounts a person may find and assign: everyone for a superuser; for a
    manager, active staff who are not superusers; nobody for anyone else."""
    if user.is_superuser:
        return User.objects.all()
    if not is_manager(user):
        return User.objects.none()
    return User.objects.filter(is_active=True, is_staff=True, is_superuser=False)


def managed_programmes(user) -> QuerySet[Programme]:
    if user.is_superuser:
        return Programme.objects.all()
    if not is_manager(user):
        return Programme.objects.none()
    return Programme.objects.filter(managers=user)


def must_use_two_factor(user) -> bool:
    """Whether this person may use the admin only after giving a second factor: every
    member of staff where the site requires it (OTP_REQUIRED_FOR_STAFF), superusers
    where OTP_REQUIRED_FOR_SUPERUSERS, and the managers and editors of a programme that
    requires it."""
    if not (user.is_authenticated and user.is_staff):
        return False
    if getattr(settings, "OTP_REQUIRED_FOR_STAFF", False):
        return True
    if user.is_superuser and getattr(settings, "OTP_REQUIRED_FOR_SUPERUSERS", False):
        return True
    # Asked several times a request (permission, set-up guard): kept on the user object.
    if not hasattr(user, "_programme_requires_two_factor"):
        user._programme_requires_two_factor = Programme.objects.filter(
            Q(managers=user) | Q(projects__editors=user), requires_two_factor=True
        ).exists()
    return user._programme_requires_two_factor


# Writes


class StaffingError(Exception):
    """A staffing step that is not allowed: the message says why, for the person."""


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    """One-time links for invited staff: the token covers the password, so it stops
    working once a password is set, and it expires (PASSWORD_RESET_TIMEOUT)."""

    key_salt = "tracker.staff.InvitationTokenGenerator"  # unchanged: tokens already sent stay valid


invitation_tokens = InvitationTokenGenerator()


def _log(by, user, flag: int, message: str) -> None:
    # The admin's own record of actions ("Recent actions", the user's history).
    LogEntry.objects.log_actions(
        user_id=by.pk,
        queryset=[user],
        action_flag=flag,
        change_message=message,
        single_object=True,
    )


def _check_project(project: Project, by) -> None:
    if not managed_programmes(by).filter(pk=project.programme_id).exists():
        raise StaffingError(gettext("Only a manager of this programme can staff its projects."))


def assign_editor(*, project: Project, user, by) -> None:
    _check_project(project, by)
    if not staff_users_for(by).filter(pk=user.pk).exists():
        raise StaffingError(gettext("This person cannot be assigned here."))
    project.editors.add(user)
    _log(by, user, CHANGE, f"Assigned to {project.programme.slug}/{project.slug}.")


def unassign_editor(*, project: Project, user, by) -> None:
    _check_project(project, by)
    project.editors.remove(user)
    _log(by, user, CHANGE, f"Unassigned from {project.programme.slug}/{project.slug}.")


def invitation_url(user) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = invitation_tokens.make_token(user)
    return site_url(reverse("admin:accept-invitation", args=[uid, token]))


def send_invitation(*, user, by, projects) -> str:
    """E-mail the one-time link (or, to someone who already has a password, the news of
    the assignment) in the invitee's language; returns the key of the queued message."""
    with translation.override(language_of(user)):
        context = {
            "name": user.get_full_name() or user.get_username(),
            "username": user.get_username(),
            "inviter": display_name(by),
            "projects": [str(p) for p in projects],
            "url": invitation_url(user) if not user.has_usable_password() else None,
            "login_url": site_url(reverse("admin:index")),
            "days": settings.PASSWORD_RESET_TIMEOUT // (24 * 3600),
        }
        message = EmailMultiAlternatives(
            subject=gettext("You are invited to the policy target tracker")
            if context["url"]
            else gettext("You have been assigned to projects in the policy target tracker"),
            body=_render("tracker/email/invitation.txt", context),
            to=[user.email],
        )
        message.attach_alternative(_render("tracker/email/invitation.html", context), "text/html")
    # Each invitation is news, even to the same person again ("Send the invitation again").
    key = f"invitation:{user.pk}:{uuid.uuid4().hex}"
    mail.deliver(message, key=key)
    return key


def _render(template: str, context: dict) -> str:
    return render_to_string(template, context)


@transaction.atomic
def invite_editor(
    *, programme: Programme, projects, name: str, email: str, language: str, by
) -> tuple:
    """Make (or find) a staff account for `email` and put it on `projects`; the caller
    then e-mails it (send_invitation).

    A new account gets an unusable password and the "Project editor" group; its owner
    sets a password through the one-time link. An existing account keeps its rights
    untouched: it is only assigned. Returns the user and whether it is new."""
    if not managed_programmes(by).filter(pk=programme.pk).exists():
        raise StaffingError(gettext("Only a manager of this programme can invite its editors."))
    if any(project.programme_id != programme.pk for project in projects):
        raise StaffingError(gettext("Choose projects of this programme."))
    email = User.objects.normalize_email(email).strip()
    user = User.objects.filter(email__iexact=email).order_by("pk").first()
    created = user is None
    if user is None:
        username, suffix = email.lower(), 1
        while User.objects.filter(username__iexact=username).exists():
            suffix += 1
            username = f"{email.lower()}.{suffix}"
        user = User(username=username, email=email, first_name=name.strip(), is_staff=True)
        user.set_unusable_password()
        user.save()
        user.groups.add(Group.objects.get(name=EDITOR_GROUP))
        StaffProfile.objects.create(user=user, language=language)
        _log(by, user, ADDITION, "Invited as an editor.")
    elif not staff_users_for(by).filter(pk=user.pk).exists():
        raise StaffingError(
            gettext(
                "An account with this e-mail address exists but cannot be assigned here; "
                "ask an administrator."
            )
        )
    for project in projects:
        assign_editor(project=project, user=user, by=by)
    return user, created


def send_invitation_or_say(request: HttpRequest, *, user, projects) -> bool:
    """Queue the invitation. Where it is sent at once (development), a mail server that
    refused it is reported instead of the success; the account and its assignments are
    kept, the message is tried again, and the page offers to send it again. With a
    worker (production) a failure shows in the outbox, for an administrator."""
    key = send_invitation(user=user, by=request.user, projects=projects)
    if not mail.refused(key):
        return True
    messages.error(
        request,
        gettext(
            "The e-mail to %(person)s could not be sent yet; it will be tried again. "
            "You can also send it again later."
        )
        % {"person": display_name(user)},
    )
    return False


def set_language(*, user, language: str) -> StaffProfile:
    profile, _ = StaffProfile.objects.update_or_create(user=user, defaults={"language": language})
    return profile


# The admin's user list, as a manager sees it


class StaffUserAdmin(UserAdmin):
    """Django's user admin, opened (read-only, bounded) to programme managers so they can
    find staff and fill the "Assigned editors" picker; only superusers change accounts."""

    list_display = ("display", "email", "first_name", "last_name", "is_active", "last_login")
    search_fields = ("first_name", "last_name", "email", "username")
    ordering = ("first_name", "last_name", "email")

    @staticmethod
    def _limited(request) -> bool:
        return not request.user.is_superuser

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset & staff_users_for(request.user) if self._limited(request) else queryset

    def has_module_permission(self, request) -> bool:
        return super().has_module_permission(request) or is_manager(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return super().has_view_permission(request, obj) or is_manager(request.user)

    def get_list_filter(self, request):
        return ("is_active",) if self._limited(request) else super().get_list_filter(request)

    def get_fieldsets(self, request, obj=None):
        if self._limited(request) and not self.has_change_permission(request, obj):
            return ((None, {"fields": ("first_name", "last_name", "email", "last_login")}),)
        return super().get_fieldsets(request, obj)

    def get_inlines(self, request, obj):
        return [] if self._limited(request) else super().get_inlines(request, obj)

    @admin.display(description=_("name and e-mail"), ordering="first_name")
    def display(self, obj) -> str:
        return display_name(obj)


# Forms


class InviteForm(forms.Form):
    name = forms.CharField(label=_("Full name"), max_length=150)
    email = forms.EmailField(label=_("E-mail address"))
    language = forms.ChoiceField(
        label=_("Language for e-mail"), choices=settings.LANGUAGES, initial=settings.LANGUAGE_CODE
    )
    projects: "forms.ModelMultipleChoiceField[Project]" = forms.ModelMultipleChoiceField(
        label=_("Projects to edit"),
        queryset=Project.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, programme: Programme, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["projects"].queryset = programme.projects.order_by("name")  # type: ignore[attr-defined]
        self.fields["language"].initial = translation.get_language()


class AssignForm(forms.Form):
    project: "forms.ModelChoiceField[Project]" = forms.ModelChoiceField(
        queryset=Project.objects.none()
    )
    user = forms.ModelChoiceField(queryset=User.objects.none())

    def __init__(self, *args, programme: Programme, by, **kwargs):
        super().__init__(*args, **kwargs)
        # Fields of the model choice kind, which self.fields does not say.
        self.fields["project"].queryset = programme.projects.all()  # type: ignore[attr-defined]
        self.fields["user"].queryset = staff_users_for(by)  # type: ignore[attr-defined]


class ProfileForm(forms.Form):
    name = forms.CharField(label=_("Full name"), max_length=150)
    language = forms.ChoiceField(label=_("Language for e-mail"), choices=settings.LANGUAGES)


# Views (mounted by TrackerAdminSite.get_urls)


def _context(request: HttpRequest, **extra) -> dict:
    return {**admin.site.each_context(request), **extra}


def staff_index(request: HttpRequest) -> HttpResponse:
    programmes = list(managed_programmes(request.user))
    if not programmes:
        raise Http404
    if len(programmes) == 1:
        return redirect("admin:programme-staff", programmes[0].pk)
    return TemplateResponse(
        request,
        "admin/tracker/staff/index.html",
        _context(request, title=_("Staff and editors"), programmes=programmes),
    )


def programme_staff(request: HttpRequest, programme_id: int) -> HttpResponse:
    """Who can edit what in one programme; its managers assign and unassign editors."""
    programme = get_object_or_404(managed_programmes(request.user), pk=programme_id)
    by = request.user
    if request.method == "POST":
        form = AssignForm(request.POST, programme=programme, by=by)
        action = request.POST.get("action")
        if not form.is_valid() or action not in ("assign", "unassign", "reinvite"):
            messages.error(request, gettext("Choose a project and a person."))
            return redirect("admin:programme-staff", programme.pk)
        project, user = form.cleaned_data["project"], form.cleaned_data["user"]
        try:
            if action == "assign":
                assign_editor(project=project, user=user, by=by)
                note = gettext("%(person)s can now edit %(project)s.")
            elif action == "unassign":
                unassign_editor(project=project, user=user, by=by)
                note = gettext("%(person)s no longer edits %(project)s.")
            elif send_invitation_or_say(request, user=user, projects=[project]):
                note = gettext("The invitation to %(person)s was sent again.")
            else:
                note = ""
        except StaffingError as error:
            messages.error(request, str(error))
        else:
            if note:
                messages.success(request, note % {"person": display_name(user), "project": project})
        return redirect("admin:programme-staff", programme.pk)

    projects = list(
        programme.projects.order_by("name").prefetch_related(
            Prefetch(
                "editors",
                queryset=User.objects.select_related("staff_profile").order_by(
                    "first_name", "email"
                ),
            )
        )
    )
    candidates = list(staff_users_for(by).order_by("first_name", "last_name", "email"))
    managers = list(programme.managers.order_by("first_name", "email"))
    # Who has a second factor: a manager asks those without one to set it up.
    people = {u.pk for u in managers} | {u.pk for p in projects for u in p.editors.all()}
    secured = set(
        TOTPDevice.objects.filter(user__in=people, confirmed=True).values_list("user", flat=True)
    )
    for person in managers + [u for p in projects for u in p.editors.all()]:
        person.has_second_factor = person.pk in secured  # type: ignore[attr-defined]  # shown
    rows = []
    for project in projects:
        editors = list(project.editors.all())
        rows.append(
            {
                "project": project,
                "editors": editors,
                "candidates": [u for u in candidates if u not in editors and not u.is_superuser],
            }
        )
    return TemplateResponse(
        request,
        "admin/tracker/staff/programme_staff.html",
        _context(
            request,
            title=gettext("Who can edit what: %(programme)s") % {"programme": programme},
            programme=programme,
            managers=managers,
            rows=rows,
        ),
    )


def invite(request: HttpRequest, programme_id: int) -> HttpResponse:
    programme = get_object_or_404(managed_programmes(request.user), pk=programme_id)
    form = InviteForm(request.POST or None, programme=programme)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user, created = invite_editor(
                programme=programme,
                projects=list(data["projects"]),
                name=data["name"],
                email=data["email"],
                language=data["language"],
                by=request.user,
            )
        except StaffingError as error:
            form.add_error("email", str(error))
        else:
            if not send_invitation_or_say(request, user=user, projects=list(data["projects"])):
                return redirect("admin:programme-staff", programme.pk)
            note = (
                gettext("Invitation sent to %(person)s.")
                if created
                else gettext("%(person)s already has an account: assigned, and told by e-mail.")
            )
            messages.success(request, note % {"person": display_name(user)})
            return redirect("admin:programme-staff", programme.pk)
    return TemplateResponse(
        request,
        "admin/tracker/staff/invite.html",
        _context(
            request,
            title=gettext("Invite an editor to %(programme)s") % {"programme": programme},
            programme=programme,
            form=form,
        ),
        status=400 if form.errors else 200,
    )


@never_cache
def accept_invitation(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """The invitee's one-time page: set a password, then log in."""
    try:
        user = User.objects.get(pk=int(urlsafe_base64_decode(uidb64).decode()))
    except (ValueError, TypeError, OverflowError, UnicodeDecodeError, User.DoesNotExist):
        user = None
    valid = (
        user is not None
        and user.is_active
        and user.is_staff
        and invitation_tokens.check_token(user, token)
    )
    if user is not None:
        translation.activate(language_of(user))
        request.LANGUAGE_CODE = translation.get_language()
    form = SetPasswordForm(user, request.POST or None) if valid and user is not None else None
    if form is not None and request.method == "POST" and form.is_valid():
        form.save()  # a new password hash: the link stops working
        messages.success(
            request,
            gettext("Your password is set. Log in with your user name, %(username)s.")
            % {"username": form.user.get_username()},
        )
        return redirect(reverse("admin:login") + "?next=" + reverse("admin:index"))
    return TemplateResponse(
        request,
        "admin/tracker/staff/accept_invitation.html",
        _context(
            request,
            title=gettext("Set your password") if valid else gettext("This link no longer works"),
            form=form,
            valid=valid,
            invitee=user if valid else None,
        ),
        status=200 if valid and not (form and form.errors) else (400 if valid else 410),
    )


def my_profile(request: HttpRequest) -> HttpResponse:
    user = cast(AuthUser, request.user)  # the admin site lets only staff in
    form = ProfileForm(
        request.POST or None,
        initial={"name": user.get_full_name(), "language": language_of(user)},
    )
    if request.method == "POST" and form.is_valid():
        user.first_name, user.last_name = form.cleaned_data["name"].strip(), ""
        user.save(update_fields=["first_name", "last_name"])
        set_language(user=user, language=form.cleaned_data["language"])
        messages.success(request, gettext("Your profile is saved."))
        return redirect("admin:my-profile")
    return TemplateResponse(
        request,
        "admin/tracker/staff/profile.html",
        _context(
            request,
            title=pgettext("page title", "My profile"),
            form=form,
            programmes=managed_programmes(user),
            projects=Project.objects.filter(editors=user).select_related("programme"),
        ),
    )
