import math

from suggestions.tracking import CODE_DIGITS, display_tracking_code, new_tracking_code, parse_tracking_code


def test_a_tracking_code_carries_at_least_forty_bits():
    assert CODE_DIGITS * math.log2(10) >= 40
    assert len(new_tracking_code()) == CODE_DIGITS


def test_tracking_codes_do_not_repeat():
    assert len({new_tracking_code() for _ in range(2000)}) == 2000


def test_a_code_is_shown_in_persian_digits_in_four_groups():
    assert display_tracking_code("0123456789012345") == "۰۱۲۳-۴۵۶۷-۸۹۰۱-۲۳۴۵"


def test_a_code_typed_in_persian_digits_with_dashes_is_accepted():
    assert parse_tracking_code("۰۱۲۳-۴۵۶۷-۸۹۰۱-۲۳۴۵") == "0123456789012345"


def test_a_code_typed_in_arabic_indic_digits_with_spaces_is_accepted():
    assert parse_tracking_code(" ٠١٢٣ ٤٥٦٧ ٨٩٠١ ٢٣٤٥ ") == "0123456789012345"


def test_a_code_of_the_wrong_length_is_refused():
    assert parse_tracking_code("12345") is None
    assert parse_tracking_code("1" * 17) is None
    assert parse_tracking_code("") is None
