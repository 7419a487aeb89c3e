"""The staff roles as the migrations make them, for tests that run after a live-server
test has emptied the database (and its migrated groups)."""

import importlib

from django.contrib.auth.models import Group, Permission


def ensure_roles() -> None:
    """The two roles, as the migrations make them: an earlier test with a live server
    may have emptied the database (and its migrated groups) after itself."""
    roles = importlib.import_module("tracker.migrations.0004_roles")
    review = importlib.import_module("tracker.migrations.0007_publishing")
    for name, rights in roles.ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        codenames = [f"{action}_{model}" for model, actions in rights.items() for action in actions]
        codenames += roles.EXTRA.get(name, []) + review.REVIEW_RIGHTS
        codenames = [code for code in codenames if code != "delete_measurement"]
        group.permissions.set(
            Permission.objects.filter(content_type__app_label="tracker", codename__in=codenames)
        )


def editor_of(project, username: str = "editor", **fields):
    """A staff user in the editors' group, assigned to `project`."""
    from tests import factories

    user = factories.UserFactory(username=username, is_staff=True, **fields)
    user.groups.add(Group.objects.get(name="Project editor"))
    project.editors.add(user)
    return user


def manager_of(programme, username: str = "manager", **fields):
    """A staff user in the managers' group, managing `programme`."""
    from tests import factories

    user = factories.UserFactory(username=username, is_staff=True, **fields)
    user.groups.add(Group.objects.get(name="Programme manager"))
    programme.managers.add(user)
    return user
