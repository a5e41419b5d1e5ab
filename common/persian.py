"""Numbers and dates shown to people: Persian digits, the Persian thousands separator, the Jalali calendar in
Tehran time. Stored values stay Latin digits, ISO and UTC; what people type is read back with `latin_digits`.

The one digit table of the project. Importing this module imports no Django, so the analysis package, which
must stay free of it, reads digits with the same table as the pages that show them."""

import datetime

import jdatetime

LATIN_DIGITS = "0123456789"
PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹"
ARABIC_DIGITS = "٠١٢٣٤٥٦٧٨٩"  # Arabic-Indic: what Arabic keyboards and some phones type

# Latin and Arabic-Indic digits become Persian ones; the inverse reads any of the three as Latin.
TO_PERSIAN = str.maketrans(LATIN_DIGITS + ARABIC_DIGITS, PERSIAN_DIGITS * 2)
TO_LATIN = str.maketrans(PERSIAN_DIGITS + ARABIC_DIGITS, LATIN_DIGITS * 2)
# A number written the Persian way: its decimal point, thousands separator and percent sign too.
TO_PERSIAN_NUMBER = TO_PERSIAN | str.maketrans(".,%", "٫٬٪")

MONTHS = ["فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور", "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند"]


def persian_digits(value) -> str:
    return str(value).translate(TO_PERSIAN)


def latin_digits(text: str) -> str:
    """What a person typed, with Persian and Arabic-Indic digits read as Latin ones."""
    return text.translate(TO_LATIN)


def persian_number(value) -> str:
    """A whole number with Persian digits and the Persian thousands separator (۱۲٬۳۴۵); anything that is not
    a whole number is shown as it is, in Persian digits."""
    try:
        return persian_digits(f"{int(value):,}".replace(",", "٬"))
    except (TypeError, ValueError):
        return persian_digits(value)


def jalali_datetime(value, with_time: bool = True) -> str:
    """«۱۴ آذر ۱۴۰۵، ساعت ۰۹:۳۰» in the active time zone (Tehran unless a page chose another); a date alone
    has no time to show."""
    if value is None:
        return ""
    if not isinstance(value, datetime.datetime):
        day = jdatetime.date.fromgregorian(date=value)
        return persian_digits(f"{day.day} {MONTHS[day.month - 1]} {day.year}")
    # Imported here, not above: the analysis package uses this module's digits and must not load Django.
    from django.utils import timezone

    local = timezone.localtime(value) if timezone.is_aware(value) else value
    day = jdatetime.date.fromgregorian(date=local.date())
    text = f"{day.day} {MONTHS[day.month - 1]} {day.year}"
    if with_time:
        text += f"، ساعت {local:%H:%M}"
    return persian_digits(text)


def jalali_date(value) -> str:
    return jalali_datetime(value, with_time=False)
