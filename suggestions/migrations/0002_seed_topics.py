from django.db import migrations

from suggestions.topics import SEED_TOPICS


def seed_topics(apps, schema_editor):
    Topic = apps.get_model("suggestions", "Topic")
    for position, (slug, name) in enumerate(SEED_TOPICS):
        Topic.objects.get_or_create(slug=slug, defaults={"name": name, "position": position})


class Migration(migrations.Migration):
    dependencies = [("suggestions", "0001_initial")]

    operations = [migrations.RunPython(seed_topics, migrations.RunPython.noop)]
