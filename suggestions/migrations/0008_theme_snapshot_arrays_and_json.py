from django.db import migrations, models


class Migration(migrations.Migration):
    """Theme snapshots become arrays and JSON. The bytes of an older row (a pickle) keep their column under its new
    name, with empty metadata that marks it as format 1: the portal refuses it, never unpickles it, and
    re-clusters."""

    dependencies = [
        ("suggestions", "0007_embedding_queued_state"),
    ]

    operations = [
        migrations.RenameField(model_name="themesnapshot", old_name="model", new_name="arrays"),
        migrations.AddField(model_name="themesnapshot", name="metadata", field=models.JSONField(default=dict)),
    ]
