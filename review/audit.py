"""The audit log: writing a row, and reading rows as a person would (Persian field names and values, Jalali
Tehran times, objects by name instead of «app.model 12»)."""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.urls import reverse

from common.persian import jalali_datetime, persian_digits, persian_number
from review.models import ACTION_LABELS, AuditEntry, RejectReason, ReviewStatus

# What apps above review audit -----------------------------------------------------------------------------
# Reports sit above review: their AppConfig.ready() names their actions, objects and statuses here, so the
# audit page reads them without importing reports.

_action_labels: dict[str, str] = dict(ACTION_LABELS)
_names_by_type: dict[str, Callable[[models.Model], str]] = {}
_former_types: dict[str, str] = {}  # an object type rows were written with → the model's label today
_status_labels: dict[str, str] = {}


def register_action_labels(labels: Mapping[str, str]) -> None:
    """Name audited actions in Persian. An action already named otherwise is refused: two apps cannot share one."""
    clashes = sorted(action for action, label in labels.items() if _action_labels.get(action, label) != label)
    if clashes:
        raise ImproperlyConfigured(f"audit actions already named otherwise: {', '.join(clashes)}")
    _action_labels.update(labels)


def register_audited_model(
    model: type[models.Model], *, name: Callable[[models.Model], str], formerly: str = ""
) -> None:
    """How the audit page names an object of `model`. `formerly` is the object type rows were written with
    while the model belonged to another app, so those rows still find their object and its history."""
    _names_by_type[model._meta.label_lower] = name
    if formerly:
        _former_types[formerly] = model._meta.label_lower


def register_status_labels(choices: Iterable[tuple[str, str]]) -> None:
    """Persian names of statuses, beside review's own, for the `status` field of audited facts."""
    _status_labels.update(choices)


def action_labels() -> dict[str, str]:
    return dict(_action_labels)


def action_label(action: str) -> str:
    return _action_labels.get(action, action)


def object_types_of(model: type[models.Model]) -> list[str]:
    """Every object type the audit rows of `model` may carry: today's label and the ones it had before."""
    label = model._meta.label_lower
    return [label, *(former for former, current in _former_types.items() if current == label)]


def record_action(
    *, actor, action: str, target: models.Model, before: dict | None = None, after: dict | None = None
) -> AuditEntry:
    """Append one row to the audit log. Call it inside the transaction of the change it describes, so the
    log never claims what did not happen. `before` and `after` hold review facts only, no personal data."""
    return AuditEntry.objects.create(
        actor=actor,
        actor_name=actor.get_username() if actor is not None else "system",
        action=action,
        object_type=target._meta.label_lower,
        object_id=str(target.pk),
        before=before,
        after=after,
    )


# Reading the log ----------------------------------------------------------------------------------------

# What each key of `before` and `after` means, and how its value is shown.
FIELDS = {
    "status": ("وضعیت بررسی", "status"),
    "reject_reason": ("دلیل رد", "reject_reason"),
    "theme": ("محور", "theme"),
    "placed_in": ("جای پیشنهاد در محورها", "theme"),
    "source": ("محور مبدأ", "theme"),
    "source_label": ("عنوان محور مبدأ", "text"),
    "source_size": ("اندازهٔ محور مبدأ", "number"),
    "source_active": ("محور مبدأ فعال است", "bool"),
    "duplicate_of": ("تکراریِ", "suggestion"),
    "canonical": ("نمونهٔ اصلی", "suggestion"),
    "suggestion": ("پیشنهاد", "suggestion"),
    "chosen_by_reviewer": ("انتخاب بررسی‌کننده", "bool"),
    "group": ("گروه تکراری", "group"),
    "group_kept": ("گروه باقی ماند", "bool"),
    "separated_pairs": ("جفت‌های جداشده", "number"),
    "tags": ("برچسب‌ها", "list"),
    "notes_length": ("طول یادداشت داخلی (نویسه)", "number"),
    "until": ("در دست تا", "time"),
    "label": ("عنوان", "text"),
    "label_edited": ("عنوان را کارشناس نوشته", "bool"),
    "moved": ("شمار جابه‌جاشده", "number"),
    "size": ("اندازه", "number"),
    "length": ("طول متن (نویسه)", "number"),
    "redactions": ("اطلاعات پوشانده", "list"),
    "number": ("شمارهٔ نسخه", "number"),
    "report": ("گزارش", "number"),
    "themes": ("شمار محورها", "number"),
    "from": ("برگرفته از نسخه", "number"),
    "task_id": ("شناسهٔ کار", "text"),
    "assigned_to": ("سپرده به", "text"),
    "open": ("باز است", "bool"),
    "idea": ("ایده", "idea"),
    "source_idea": ("ایدهٔ مبدأ", "idea"),
    "source_idea_label": ("عنوان ایدهٔ مبدأ", "text"),
    "source_idea_size": ("اندازهٔ ایدهٔ مبدأ", "number"),
    "source_idea_active": ("ایدهٔ مبدأ فعال است", "bool"),
}


@dataclass(frozen=True)
class Change:
    label: str
    before: str
    after: str


def _statuses() -> dict:
    return {**_status_labels, **dict(ReviewStatus.choices)}


class _Names:
    """Looks up, in one query per kind, the themes and objects a page of entries mentions."""

    def __init__(self, entries):
        self.themes: dict = {}
        theme_ids = set()
        for entry in entries:
            for facts in (entry.before, entry.after):
                if isinstance(facts, dict):
                    for key, value in facts.items():
                        if FIELDS.get(key, ("", ""))[1] == "theme" and isinstance(value, int):
                            theme_ids.add(value)
        if theme_ids:
            Theme = apps.get_model("suggestions", "theme")
            self.themes = dict(Theme.objects.filter(pk__in=theme_ids).values_list("pk", "label"))
        self.statuses = _statuses()

    def value(self, kind: str, value) -> str:
        if value is None or value == "" or value == []:
            return "—"
        if kind == "status":
            return self.statuses.get(value, str(value))
        if kind == "reject_reason":
            return dict(RejectReason.choices).get(value, str(value))
        if kind == "theme":
            label = self.themes.get(value)
            return f"«{label}»" if label else f"محور {persian_digits(value)}"
        if kind == "suggestion":
            return f"پیشنهاد {persian_digits(value)}"
        if kind == "group":
            return f"گروه {persian_digits(value)}"
        if kind == "idea":
            return f"ایده {persian_digits(value)}"
        if kind == "bool":
            return "بله" if value else "خیر"
        if kind == "list":
            return "، ".join(str(item) for item in value) if isinstance(value, list) else str(value)
        if kind == "time":
            try:
                return jalali_datetime(datetime.fromisoformat(value))
            except (TypeError, ValueError):
                return str(value)
        if kind == "number":
            return persian_number(value)
        return persian_digits(value) if isinstance(value, int) else str(value)


def changes_of(entry: AuditEntry, names: _Names) -> list[Change]:
    """Field by field, what the entry changed: a key whose value stayed the same is left out."""
    before = entry.before if isinstance(entry.before, dict) else {}
    after = entry.after if isinstance(entry.after, dict) else {}
    rows = []
    for key in dict.fromkeys([*before, *after]):
        if key in before and key in after and before[key] == after[key]:
            continue
        label, kind = FIELDS.get(key, (key, "text"))
        rows.append(
            Change(
                label=label,
                before=names.value(kind, before.get(key)) if key in before else "",
                after=names.value(kind, after.get(key)) if key in after else "",
            )
        )
    return rows


def _object_names(entries) -> dict:
    """(object_type, object_id) → (name, address or ''), in one query per object type."""
    wanted: dict[str, set] = {}
    for entry in entries:
        wanted.setdefault(entry.object_type, set()).add(entry.object_id)
    names = {}
    for object_type, ids in wanted.items():
        current = _former_types.get(object_type, object_type)
        try:
            model = apps.get_model(current)
        except (LookupError, ValueError):
            model = None
        found = model._default_manager.in_bulk(list(ids)) if model is not None else {}
        for object_id in ids:
            obj = found.get(int(object_id)) if object_id.isdigit() else None
            names[(object_type, object_id)] = _name_of(current, object_id, obj, model)
    return names


def _name_of(object_type: str, object_id: str, obj, model) -> tuple[str, str]:
    number = persian_digits(object_id)
    if object_type == "suggestions.suggestion":
        return f"پیشنهاد {number}", reverse("review:suggestion", args=[object_id])
    if obj is None:
        kind = model._meta.verbose_name if model is not None else "مورد"
        return f"{kind} {number} (پاک‌شده)", ""
    if (name := _names_by_type.get(object_type)) is not None:
        return name(obj), ""
    if object_type == "suggestions.theme":
        return f"محور «{obj.label}»", ""
    if object_type == "suggestions.idea":
        return f"ایدهٔ «{obj.label}»", ""
    if object_type == "suggestions.duplicategroup":
        return f"گروه تکراری {number}", ""
    if object_type == "auth.user":
        return f"کاربر «{obj.get_username()}»", ""
    if object_type == "review.assignment":
        return f"سپردن پیشنهاد {persian_digits(obj.suggestion_id)}", reverse(
            "review:suggestion", args=[obj.suggestion_id]
        )
    return f"{model._meta.verbose_name} {number}", ""


def describe_entries(entries: list[AuditEntry]) -> list[AuditEntry]:
    """Give each entry `object_name`, `object_url` and `changes` for the audit page."""
    names = _Names(entries)
    objects = _object_names(entries)
    for entry in entries:
        entry.object_name, entry.object_url = objects[(entry.object_type, entry.object_id)]
        entry.changes = changes_of(entry, names)
    return entries
