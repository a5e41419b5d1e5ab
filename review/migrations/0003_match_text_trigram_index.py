"""A trigram index over the match form, so the queue's search stays fast on PostgreSQL.

The match form has no word breaks (compounds are written with a space, a ZWNJ or nothing, so
`suggestions.analysis.match_form` drops them all): a full-text index would see each text as one
over-long word. A trigram index serves `LIKE '%folded term%'` instead. SQLite needs nothing: it scans.
"""

from django.db import migrations

INDEX = "review_match_text_trgm"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON suggestions_suggestion USING gin (match_text gin_trgm_ops)"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("review", "0002_review_records"),
        ("suggestions", "0003_analysis_results"),
    ]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
