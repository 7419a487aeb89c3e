"""The two staff roles, with the model permissions each needs.

Which projects or programmes a person may touch is set per record (Project.editors,
Programme.managers); these groups say what they may do there."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITOR = {
    "project": ["view", "change"],
    "target": ["view", "add", "change"],
    "milestone": ["view", "add", "change"],
    "measurement": ["view", "add", "change"],
    "progressupdate": ["view", "add", "change"],
    "source": ["view", "add", "change"],
    "organisation": ["view"],
    "sector": ["view"],
}
MANAGER = {
    **EDITOR,
    "programme": ["view", "change"],
    "project": ["view", "add", "change"],
    "measurement": ["view", "add", "change", "delete"],
    "organisation": ["view", "add", "change"],
    "sector": ["view", "add", "change"],
}
ROLES = {"Project editor": EDITOR, "Programme manager": MANAGER}
EXTRA = {"Programme manager": ["publish_progressupdate"]}


def setup_roles(apps, schema_editor):
    # Permissions are made after migrations; make them now so the groups can hold them.
    for config in apps.get_app_configs():
        config.models_module = True
        create_permissions(config, apps=apps, verbosity=0)
        config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, rights in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        codenames = [f"{action}_{model}" for model, actions in rights.items() for action in actions]
        codenames += EXTRA.get(name, [])
        group.permissions.set(
            Permission.objects.filter(content_type__app_label="tracker", codename__in=codenames)
        )


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0003_editorial_workflow"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(setup_roles, remove_roles)]
