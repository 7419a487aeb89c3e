from django.db import migrations

# Editors and managers may take a photo off an update not yet published (the admin's
# photo rows say where: tracker.editorial.admin.UpdatePhotoInline); a published photo
# stays, as everything published does.
RIGHT = "delete_evidencefile"


def rights(apps, change: str) -> None:
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    found = Permission.objects.filter(content_type__app_label="tracker", codename=RIGHT)
    for group in Group.objects.filter(name__in=["Project editor", "Programme manager"]):
        getattr(group.permissions, change)(*found)


def grant(apps, schema_editor):
    rights(apps, "add")


def revoke(apps, schema_editor):
    rights(apps, "remove")


class Migration(migrations.Migration):
    dependencies = [("tracker", "0021_short_grams")]

    operations = [migrations.RunPython(grant, revoke)]
