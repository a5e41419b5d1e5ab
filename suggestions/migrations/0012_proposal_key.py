"""What a suggestion proposes, as the number `analysis.ideas.proposal_key` makes of it when it is analyzed. Rows
analyzed before have none (null); the re-clustering makes theirs from the stored text."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('suggestions', '0011_analyzed_spelling'),
    ]

    operations = [
        migrations.AddField(
            model_name='suggestion',
            name='proposal_key',
            field=models.BigIntegerField(blank=True, editable=False, null=True, verbose_name='کلید پیشنهاد'),
        ),
    ]
