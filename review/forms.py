"""Forms of the review workspace. Every message a person reads is Persian; bad input changes nothing."""

import re
from datetime import date

import jdatetime
from django import forms

from common.persian import TO_LATIN, persian_digits
from review.models import RejectReason, ReviewStatus
from review.queries import ALL, OPEN, QueueFilters
from review.roles import REVIEW_ROLES
from suggestions.choices import Province, Role
from suggestions.models import Theme
from suggestions.tracking import parse_tracking_code

_JALALI = re.compile(r"^\s*(\d{4})\s*[/\-.]\s*(\d{1,2})\s*[/\-.]\s*(\d{1,2})\s*$")

STATUS_CHOICES = [(OPEN, "در انتظار تصمیم"), *ReviewStatus.choices, (ALL, "همه")]
SORT_CHOICES = [("oldest", "قدیمی‌ترین نخست"), ("newest", "تازه‌ترین نخست")]


def parse_jalali_date(text: str) -> date:
    """«۱۴۰۵/۰۹/۰۵», «1405-9-5» or «١٤٠٥/٠٩/٠٥» as a Gregorian date; ValueError when it is no real day."""
    match = _JALALI.match(text.translate(TO_LATIN))
    if not match:
        raise ValueError(text)
    year, month, day = (int(part) for part in match.groups())
    return jdatetime.date(year, month, day).togregorian()


class JalaliDateField(forms.Field):
    widget = forms.TextInput

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.widget.attrs.update({"placeholder": "۱۴۰۵/۰۹/۰۵", "inputmode": "numeric", "dir": "ltr"})

    def to_python(self, value):
        text = (value or "").strip()[:20]
        if not text:
            return None
        try:
            return parse_jalali_date(text)
        except ValueError:
            raise forms.ValidationError(
                "تاریخ را به شکل سال/ماه/روز خورشیدی بنویسید، مانند ۱۴۰۵/۰۹/۰۵.", code="invalid"
            ) from None


class QueueFilterForm(forms.Form):
    q = forms.CharField(label="جست‌وجو در متن یا کد رهگیری", required=False, max_length=200)
    status = forms.ChoiceField(label="وضعیت بررسی", choices=STATUS_CHOICES, required=False)
    theme = forms.TypedChoiceField(label="محور", coerce=int, required=False, empty_value=None)
    province = forms.ChoiceField(label="استان", required=False)
    role = forms.ChoiceField(label="نقش فرستنده", required=False)
    topic = forms.TypedChoiceField(label="موضوع", coerce=int, required=False, empty_value=None)
    date_from = JalaliDateField(label="از تاریخ")
    date_to = JalaliDateField(label="تا تاریخ")
    has_duplicates = forms.BooleanField(label="دارای تکراری", required=False)
    campaign = forms.BooleanField(label="بخشی از کارزار", required=False)
    assignee = forms.TypedChoiceField(
        label="سپرده به",
        coerce=int,
        required=False,
        empty_value=None,
        error_messages={"invalid_choice": "این کاربر بررسی‌کننده نیست؛ از فهرست «سپرده به» انتخاب کنید."},
    )
    sort = forms.ChoiceField(label="ترتیب", choices=SORT_CHOICES, required=False)
    page = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, data=None, *, themes=(), topics=(), counts=None, reviewers=None):
        super().__init__(data)
        counts = counts or {}
        if reviewers is None:
            reviewers = staff_reviewers().only("pk", "username", "first_name", "last_name")
        self.fields["assignee"].choices = [
            ("", "هر کس یا هیچ کس"),
            *[(person.pk, person.get_full_name() or person.get_username()) for person in reviewers],
        ]

        def labelled(facet, pairs):
            numbers = counts.get(facet, {})
            return [(value, _with_count(label, numbers.get(value))) for value, label in pairs]

        self.fields["status"].choices = labelled("status", STATUS_CHOICES)
        self.fields["theme"].choices = [("", "همهٔ محورها"), *labelled("theme", [(t.pk, t.label) for t in themes])]
        self.fields["province"].choices = [("", "همهٔ استان‌ها"), *labelled("province", Province.choices)]
        self.fields["role"].choices = [("", "همهٔ نقش‌ها"), *labelled("role", Role.choices)]
        self.fields["topic"].choices = [("", "همهٔ موضوع‌ها"), *labelled("topic", [(t.pk, t.name) for t in topics])]
        self.fields["has_duplicates"].label = _with_count("دارای تکراری", counts.get("has_duplicates", {}).get(1))
        self.fields["campaign"].label = _with_count("بخشی از کارزار", counts.get("campaign", {}).get(1))

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("date_from"), cleaned.get("date_to")
        if first and last and first > last:
            self.add_error("date_to", "«تا تاریخ» باید پس از «از تاریخ» باشد.")
        return cleaned

    def filters(self) -> QueueFilters:
        data = self.cleaned_data
        return QueueFilters(
            status=data.get("status") or OPEN,
            theme=data.get("theme"),
            province=data.get("province") or "",
            role=data.get("role") or "",
            topic=data.get("topic"),
            first_day=data.get("date_from"),
            last_day=data.get("date_to"),
            has_duplicates=bool(data.get("has_duplicates")),
            campaign=bool(data.get("campaign")),
            assignee=data.get("assignee"),
            search=(data.get("q") or "").strip(),
            sort=data.get("sort") or "oldest",
        )


def _with_count(label: str, count) -> str:
    if count is None:
        return label
    return f"{label} ({persian_digits(f'{count:,}'.replace(',', '٬'))})"


class DecisionForm(forms.Form):
    """The version of the review the reviewer saw, so a decision made meanwhile by someone else is caught."""

    version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)


class AcceptForm(DecisionForm):
    theme = forms.ModelChoiceField(
        label="محور",
        queryset=Theme.objects.filter(is_active=True),
        empty_label="محور را انتخاب کنید",
        error_messages={"required": "برای پذیرش، محور را انتخاب کنید.", "invalid_choice": "این محور وجود ندارد."},
    )


class RejectForm(DecisionForm):
    reason = forms.ChoiceField(
        label="دلیل رد",
        choices=[("", "دلیل را انتخاب کنید"), *RejectReason.choices],
        error_messages={"required": "دلیل رد را انتخاب کنید.", "invalid_choice": "دلیل رد را از فهرست انتخاب کنید."},
    )
    note = forms.CharField(label="توضیح", required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("reason") == RejectReason.OTHER and not (cleaned.get("note") or "").strip():
            self.add_error("note", "برای «دلیل دیگر» توضیح کوتاهی بنویسید.")
        return cleaned


class DuplicateForm(DecisionForm):
    original = forms.CharField(
        label="تکراریِ پیشنهاد",
        max_length=40,
        help_text="شمارهٔ پیشنهاد یا کد رهگیری آن",
        error_messages={"required": "شماره یا کد رهگیری پیشنهاد اصلی را بنویسید."},
    )

    def clean_original(self):
        from suggestions.models import Suggestion

        text = self.cleaned_data["original"].translate(TO_LATIN).strip().lstrip("#")
        found = None
        if text.isdigit() and len(text) < 12:
            found = Suggestion.objects.filter(pk=int(text)).first()
        if found is None:
            code = parse_tracking_code(text)
            found = Suggestion.objects.filter(tracking_code=code).first() if code else None
        if found is None:
            raise forms.ValidationError("پیشنهادی با این شماره یا کد رهگیری پیدا نشد.")
        return found


class FollowUpForm(DecisionForm):
    note = forms.CharField(label="چه پیگیری‌ای لازم است؟", required=False, max_length=1000)


class NotesForm(forms.Form):
    private_notes = forms.CharField(
        label="یادداشت داخلی", required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    tags = forms.CharField(
        label="برچسب‌ها", required=False, max_length=500, help_text="با ویرگول جدا کنید، حداکثر ده برچسب"
    )


class IdListField(forms.Field):
    """The ticked rows: a list of suggestion numbers. Which of them may change is the service's call."""

    widget = forms.MultipleHiddenInput

    def __init__(self, **kwargs):
        super().__init__(required=False, **kwargs)

    def to_python(self, value):
        numbers = []
        for item in value or []:
            text = str(item).translate(TO_LATIN).strip()
            if not text.isdigit() or len(text) > 12:
                raise forms.ValidationError("شمارهٔ ردیف‌های انتخاب‌شده درست نیست.")
            numbers.append(int(text))
        return numbers


def staff_reviewers():
    """Everyone who may review, as an editor picks them to hand work to."""
    from django.contrib.auth import get_user_model

    return (
        get_user_model().objects.filter(is_active=True, groups__name__in=REVIEW_ROLES).distinct().order_by("username")
    )


class ReviewerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.get_username()


class BulkForm(forms.Form):
    ACTIONS = [
        ("reject_spam", "رد به‌عنوان هرزنامه"),
        ("move_theme", "انتقال به محور"),
        ("mark_reviewed", "بررسی‌شده (پذیرش در محور فعلی)"),
        ("assign", "سپردن به بررسی‌کننده"),
        ("unassign", "پس گرفتن سپرده"),
    ]
    action = forms.ChoiceField(
        label="کار گروهی",
        choices=[("", "کار را انتخاب کنید"), *ACTIONS],
        error_messages={"required": "کار گروهی را انتخاب کنید."},
    )
    theme = forms.ModelChoiceField(
        label="محور مقصد", queryset=Theme.objects.filter(is_active=True), required=False, empty_label="محور مقصد"
    )
    reviewer = ReviewerChoiceField(
        label="بررسی‌کننده",
        queryset=staff_reviewers(),
        required=False,
        empty_label="بررسی‌کننده",
        error_messages={"invalid_choice": "پیشنهاد را فقط به یکی از بررسی‌کنندگان می‌توان سپرد."},
    )
    scope = forms.ChoiceField(choices=[("selected", "ردیف‌های انتخاب‌شده"), ("all", "همهٔ نتایج فیلتر")])
    ids = IdListField()

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("action") == "move_theme" and not cleaned.get("theme"):
            self.add_error("theme", "محور مقصد را انتخاب کنید.")
        if cleaned.get("action") == "assign" and not cleaned.get("reviewer"):
            self.add_error("reviewer", "بررسی‌کننده‌ای را که کار به او سپرده می‌شود انتخاب کنید.")
        if cleaned.get("scope") == "selected" and not cleaned.get("ids"):
            raise forms.ValidationError("هیچ ردیفی انتخاب نشده است.")
        return cleaned


class AuditFilterForm(forms.Form):
    actor = forms.CharField(label="کاربر", required=False, max_length=150)
    action = forms.ChoiceField(label="کنش", required=False)
    object_id = forms.CharField(label="شمارهٔ پیشنهاد", required=False, max_length=20)
    date_from = JalaliDateField(label="از تاریخ")
    date_to = JalaliDateField(label="تا تاریخ")

    def __init__(self, data=None, *, actions=()):
        super().__init__(data)
        self.fields["action"].choices = [("", "همهٔ کنش‌ها"), *actions]

    def clean_object_id(self):
        text = self.cleaned_data["object_id"].translate(TO_LATIN).strip()
        if text and not text.isdigit():
            raise forms.ValidationError("شمارهٔ پیشنهاد فقط رقم است.")
        return text
