import pytest

from suggestions.text import clean_user_text, normalize_mobile


def test_cleaning_removes_a_right_to_left_override_but_keeps_zwnj():
    assert clean_user_text("می\u200cخواهم \u202eرای\u202c بدهم") == "می\u200cخواهم رای بدهم"


def test_cleaning_removes_control_characters_but_keeps_line_breaks():
    assert clean_user_text("سطر اول\x00\x07\r\nسطر دوم\x1b") == "سطر اول\nسطر دوم"


@pytest.mark.parametrize(
    "typed",
    ["09121234567", "۰۹۱۲۱۲۳۴۵۶۷", "+989121234567", "00989121234567", "0912 123 4567", "9121234567"],
)
def test_iranian_mobile_numbers_in_any_common_form_become_one_form(typed):
    assert normalize_mobile(typed) == "09121234567"


@pytest.mark.parametrize("typed", ["02188776655", "0912123456", "091212345678", "abc", "+441234567890"])
def test_what_is_not_an_iranian_mobile_is_refused(typed):
    assert normalize_mobile(typed) is None
