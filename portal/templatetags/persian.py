"""Filters that show numbers and dates to people: Persian digits, Jalali calendar, Tehran time."""

import jdatetime
from django import template
from django.utils import timezone

register = template.Library()

_TO_PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
_MONTHS = ["فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور", "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند"]


def persian_digits(value) -> str:
    return str(value).translate(_TO_PERSIAN)


def jalali_datetime(value, with_time: bool = True) -> str:
    if value is None:
        return ""
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    day = jdatetime.date.fromgregorian(date=local.date())
    text = f"{day.day} {_MONTHS[day.month - 1]} {day.year}"
    if with_time:
        text += f"، ساعت {local:%H:%M}"
    return persian_digits(text)


@register.filter(name="fa_digits")
def fa_digits_filter(value):
    return persian_digits(value)


@register.filter(name="fa_number")
def fa_number_filter(value):
    """A whole number with Persian digits and the Persian thousands separator."""
    try:
        return persian_digits(f"{int(value):,}".replace(",", "٬"))
    except (TypeError, ValueError):
        return persian_digits(value)


@register.filter(name="jalali")
def jalali_filter(value):
    return jalali_datetime(value)


@register.filter(name="jalali_date")
def jalali_date_filter(value):
    return jalali_datetime(value, with_time=False)
