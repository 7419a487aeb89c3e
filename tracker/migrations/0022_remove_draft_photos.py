from django.db import migrations

# Editors and managers may take a photo off an update not yet published (the admin's
# photo rows say where: tracker.editorial.admin.UpdatePhotoInline); a published photo
# stays, as everything published does.
RIGHT = "delete_evidencefile"


def grant(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    rights = Permission.objects.filter(content_type__app_label="tracker", codename=RIGHT)
    for group in Group.objects.filter(name__in=["Project editor", "Programme manager"]):
        group.permissions.add(*rights)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    rights = Permission.objects.filter(content_type__app_label="tracker", codename=RIGHT)
    for group in Group.objects.filter(name__in=["Project editor", "Programme manager"]):
        group.permissions.remove(*rights)


class Migration(migrations.Migration):
    dependencies = [("tracker", "0021_short_grams")]

    operations = [migrations.RunPython(grant, revoke)]
