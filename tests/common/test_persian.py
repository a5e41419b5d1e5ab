import datetime
import subprocess
import sys

from django.template import Context, Template

from common.persian import jalali_datetime, latin_digits, persian_digits, persian_number


def test_latin_and_arabic_digits_are_shown_as_persian_ones():
    assert persian_digits("12 و ٣٤") == "۱۲ و ۳۴"


def test_persian_and_arabic_digits_typed_by_people_are_read_as_latin_ones():
    assert latin_digits("۱۲٣٤-56") == "1234-56"


def test_a_whole_number_gets_the_persian_thousands_separator_and_anything_else_stays_as_it_is():
    assert persian_number(1234567) == "۱٬۲۳۴٬۵۶۷"
    assert persian_number("بی‌شمار 3") == "بی‌شمار ۳"


def test_a_utc_time_is_shown_as_a_jalali_date_in_tehran_time():
    moment = datetime.datetime(2026, 12, 4, 20, 45, tzinfo=datetime.UTC)  # 00:15 the next day in Tehran
    assert jalali_datetime(moment) == "۱۴ آذر ۱۴۰۵، ساعت ۰۰:۱۵"
    assert jalali_datetime(moment, with_time=False) == "۱۴ آذر ۱۴۰۵"
    assert jalali_datetime(None) == ""


def test_every_template_has_the_persian_filters_without_loading_them():
    page = Template("{{ n|fa_number }} {{ d|jalali_date }} {{ s|fa_digits }}").render(
        Context({"n": 2500, "d": datetime.date(2026, 3, 21), "s": "v2"})
    )
    assert page == "۲٬۵۰۰ ۱ فروردین ۱۴۰۵ v۲"


def test_the_digit_table_can_be_imported_without_django():
    # The analysis package, which loads no Django, reads digits with this same table.
    code = "import sys, common.persian; print(any(name.startswith('django') for name in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
