"""The three staff groups, and the contact-details permission for administrators (others get it by hand)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUPS = ("reviewer", "editor", "administrator")


def create_groups(apps, schema_editor):
    # Permissions are normally made after all migrations; make review's now so one can be granted.
    config = apps.get_app_config("review")
    config.models_module = True
    create_permissions(config, apps=apps, verbosity=0)
    config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name in GROUPS:
        Group.objects.get_or_create(name=name)
    view_contact = Permission.objects.get(codename="view_contact", content_type__app_label="review")
    Group.objects.get(name="administrator").permissions.add(view_contact)


class Migration(migrations.Migration):
    dependencies = [
        ("review", "0003_match_text_trigram_index"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, migrations.RunPython.noop)]
