"""One spelling across the code: «analyze». The stored state values and the time column follow it; the
rows keep what they meant (an «analysed» row becomes «analyzed»), and the step runs back as well."""

from django.db import migrations, models

SPELLINGS = {"analysing": "analyzing", "analysed": "analyzed"}


def respell(apps, schema_editor, spellings):
    Suggestion = apps.get_model("suggestions", "Suggestion")
    for old, new in spellings.items():
        Suggestion.objects.filter(state=old).update(state=new)


def forward(apps, schema_editor):
    respell(apps, schema_editor, SPELLINGS)


def backward(apps, schema_editor):
    respell(apps, schema_editor, {new: old for old, new in SPELLINGS.items()})


class Migration(migrations.Migration):
    dependencies = [
        ("suggestions", "0010_ideas"),
    ]

    operations = [
        migrations.RenameField(
            model_name="suggestion",
            old_name="analysed_at",
            new_name="analyzed_at",
        ),
        migrations.AlterField(
            model_name="suggestion",
            name="state",
            field=models.CharField(
                choices=[
                    ("received", "دریافت شد"),
                    ("analyzing", "در حال تحلیل"),
                    ("analyzed", "تحلیل شد"),
                    ("failed", "تحلیل ناموفق"),
                ],
                default="received",
                max_length=16,
                verbose_name="وضعیت پردازش",
            ),
        ),
        migrations.RunPython(forward, backward),
    ]
