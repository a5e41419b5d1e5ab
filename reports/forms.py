from datetime import datetime, time, timedelta

import jdatetime
from django import forms
from django.utils import timezone

from common.persian import latin_digits, persian_digits
from suggestions.models import Theme

DATE_HELP = "به تقویم خورشیدی، مانند ۱۴۰۰/۰۱/۱۵؛ رقم فارسی یا انگلیسی."


def jalali_text(day) -> str:
    jalali = jdatetime.date.fromgregorian(date=day)
    return persian_digits(f"{jalali.year:04d}/{jalali.month:02d}/{jalali.day:02d}")


def start_of_day(day) -> datetime:
    """The first instant of a day in Tehran, as an aware datetime (stored as UTC)."""
    return timezone.make_aware(datetime.combine(day, time.min))


class JalaliDateField(forms.CharField):
    """A day typed in the Jalali calendar; cleaned to a Gregorian date."""

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", DATE_HELP)
        super().__init__(**kwargs)
        self.widget.attrs.update({"dir": "ltr", "inputmode": "numeric", "placeholder": "۱۴۰۰/۰۱/۱۵", "maxlength": "12"})

    def to_python(self, value):
        text = latin_digits(super().to_python(value) or "").strip().replace("-", "/")
        if not text:
            return None
        if len(text) > 12:
            raise forms.ValidationError("تاریخ را به شکل سال/ماه/روز بنویسید، مانند ۱۴۰۰/۰۱/۱۵.")
        parts = text.split("/")
        if len(parts) != 3 or not all(part.isdigit() for part in parts):
            raise forms.ValidationError("تاریخ را به شکل سال/ماه/روز بنویسید، مانند ۱۴۰۰/۰۱/۱۵.")
        year, month, day = (int(part) for part in parts)
        try:
            return jdatetime.date(year, month, day).togregorian()
        except ValueError:
            raise forms.ValidationError("این تاریخ در تقویم خورشیدی وجود ندارد.") from None


class BootstrapForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxSelectMultiple):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select")
            else:
                widget.attrs.setdefault("class", "form-control")


class ReportForm(BootstrapForm):
    title = forms.CharField(label="عنوان گزارش", max_length=200)
    introduction = forms.CharField(
        label="مقدمه",
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="مارک‌داون: **پررنگ**، *کج*، فهرست با خط تیره، پیوند. سرتیترهای # و ## به متن ساده تبدیل می‌شوند.",
    )
    first_day = JalaliDateField(label="نخستین روز دوره")
    last_day = JalaliDateField(label="آخرین روز دوره")
    themes = forms.ModelMultipleChoiceField(
        label="محورهای گزارش",
        queryset=Theme.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "دست‌کم یک محور برگزینید."},
    )
    change_note = forms.CharField(
        label="یادداشت اصلاح",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="در نسخهٔ اصلاحی بنویسید چه چیزی و چرا تغییر کرد؛ این یادداشت کنار گزارش منتشر می‌شود.",
    )

    def __init__(self, *args, chosen=(), is_correction: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        chosen_ids = [theme.pk for theme in chosen]
        self.fields["themes"].queryset = Theme.objects.filter(is_active=True, size__gt=0) | Theme.objects.filter(
            pk__in=chosen_ids
        )
        self.fields["themes"].label_from_instance = lambda theme: f"{theme.label} ({persian_digits(theme.size)})"
        if not is_correction:
            del self.fields["change_note"]

    def clean(self):
        data = super().clean()
        first, last = data.get("first_day"), data.get("last_day")
        if first and last and last < first:
            self.add_error("last_day", "آخرین روز دوره نمی‌تواند پیش از نخستین روز آن باشد.")
        return data

    def period(self) -> tuple[datetime, datetime]:
        return (
            start_of_day(self.cleaned_data["first_day"]),
            start_of_day(self.cleaned_data["last_day"] + timedelta(days=1)),
        )


class SummaryForm(BootstrapForm):
    text = forms.CharField(
        label="متن خلاصه",
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text="مارک‌داون. شمار پیشنهادها و سهم‌ها خودکار از داده‌ها افزوده می‌شوند؛ آن‌ها را اینجا ننویسید.",
    )


class QuoteForm(BootstrapForm):
    suggestion = forms.ModelChoiceField(
        label="پیشنهاد پذیرفته‌شده",
        queryset=None,
        empty_label="پیشنهادی را برگزینید",
        error_messages={
            "invalid_choice": "این پیشنهاد پذیرفته‌شده و در این محور نیست.",
            "required": "پیشنهادی را که از آن نقل می‌کنید برگزینید.",
        },
    )
    excerpt = forms.CharField(
        label="بخش برگزیده از متن",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="عین واژه‌های پیشنهاد، حداکثر ۶۰۰ نویسه. اطلاعات شخصی خودکار پوشانده می‌شود.",
    )
    extra_terms = forms.CharField(
        label="عبارت‌های دیگری که باید پوشانده شوند",
        required=False,
        help_text="مثلاً نام یک شخص یا محل؛ با ویرگول جدا کنید.",
    )

    def __init__(self, *args, suggestions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["suggestion"].queryset = suggestions
        self.fields["suggestion"].label_from_instance = lambda item: f"{persian_digits(item.pk)} · {item.title}"


class ReturnForm(BootstrapForm):
    note = forms.CharField(
        label="دلیل برگرداندن", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
