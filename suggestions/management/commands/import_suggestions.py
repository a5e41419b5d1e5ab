import csv
import json
import uuid
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.dateparse import parse_datetime

from suggestions import analysis
from suggestions.choices import Province, Role
from suggestions.models import Suggestion, Topic
from suggestions.services import submit_suggestion
from suggestions.text import clean_user_text

# Re-importing the same file must not create copies: each row's key derives from the file's row id or text.
IMPORT_NAMESPACE = uuid.UUID("6f1b7a52-3c1e-4d55-9a0e-5d8a3c0e1400")
MAX_BODY = 5000


def read_rows(path: Path) -> list[dict]:
    if path.suffix.lower() == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return list(csv.DictReader(handle))
    rows = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise CommandError(f"سطر {number}: JSON معتبر نیست ({exc.msg}).") from exc
    return rows


def check_row(row: dict, topics: dict[str, Topic]) -> tuple[dict | None, list[str]]:
    errors = []
    body = clean_user_text(str(row.get("body") or row.get("text") or ""))
    if not body:
        errors.append("متن پیشنهاد خالی است")
    elif not analysis.match_form(analysis.display_form(body)):
        # Invisible characters or punctuation alone: nothing a reviewer could read or the analysis could group.
        errors.append("متن پیشنهاد نوشته‌ای ندارد (فقط نویسه‌های نامرئی یا نشانه‌ها)")
    elif len(body) > MAX_BODY:
        errors.append(f"متن پیشنهاد بیش از {MAX_BODY} نویسه است")
    title = clean_user_text(str(row.get("title") or "")) or body[:80]
    if len(title) > 150:
        errors.append("عنوان بیش از ۱۵۰ نویسه است")
    role = row.get("role") or Role.OTHER
    if role not in Role.values:
        errors.append(f"نقش «{role}» شناخته نیست")
    province = row.get("province") or ""
    if province and province not in Province.values:
        errors.append(f"استان «{province}» شناخته نیست")
    topic = topics.get(row.get("topic") or "other")
    if topic is None:
        errors.append(f"موضوع «{row.get('topic')}» شناخته نیست")
    created_at = None
    if row.get("created_at"):
        created_at = parse_datetime(str(row["created_at"]))
        if created_at is None:
            errors.append("تاریخ ثبت باید ISO 8601 باشد")
    if errors:
        return None, errors
    key_source = str(row.get("id") or f"{title}\n{body}")
    return {
        "title": title,
        "body": body,
        "role": role,
        "province": province,
        "topic": topic,
        "created_at": created_at,
        "idempotency_key": uuid.uuid5(IMPORT_NAMESPACE, key_source),
    }, []


class Command(BaseCommand):
    help = "Imports suggestions collected on paper or elsewhere (JSONL or CSV) and queues them for analysis."

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file, **options):
        path = Path(file)
        if not path.exists():
            raise CommandError(f"پرونده «{file}» پیدا نشد.")
        topics = {topic.slug: topic for topic in Topic.objects.all()}
        checked, problems = [], []
        for number, row in enumerate(read_rows(path), start=1):
            fields, errors = check_row(row if isinstance(row, dict) else {}, topics)
            if errors:
                problems.append(f"ردیف {number}: " + "؛ ".join(errors))
            else:
                checked.append(fields)
        if problems:
            # All or nothing: a file with a bad row is fixed and imported again, never half-imported.
            raise CommandError("هیچ پیشنهادی وارد نشد:\n" + "\n".join(problems))
        before = Suggestion.objects.count()
        with transaction.atomic():
            for fields in checked:
                created_at = fields.pop("created_at")
                suggestion = submit_suggestion(source="import", **fields)
                if created_at is not None and suggestion.source == "import":
                    Suggestion.objects.filter(pk=suggestion.pk).update(created_at=created_at)
        added = Suggestion.objects.count() - before
        self.stdout.write(f"{added} suggestions imported, {len(checked) - added} already there; queued for analysis.")
