"""Redaction of personal data in quotes: a table of texts and what must be hidden in each."""

import pytest

from reports.redaction import (
    EMAIL,
    NAMED,
    NATIONAL_ID,
    NUMBER,
    PHONE,
    POSTAL_CODE,
    URL,
    is_postal_code,
    is_valid_national_id,
    redact,
)


def national_id(first_nine: str) -> str:
    """The ten-digit national ID with the right check digit for its first nine digits."""
    remainder = sum(int(digit) * (10 - position) for position, digit in enumerate(first_nine)) % 11
    return first_nine + str(remainder if remainder < 2 else 11 - remainder)


VALID_ID = national_id("049937089")  # 0499370899
HIDDEN = [
    # (text, kinds found, the personal part that must be gone)
    ("با ۰۹۱۲۳۴۵۶۷۸۹ تماس بگیرید", [PHONE], "۰۹۱۲۳۴۵۶۷۸۹"),
    ("شماره: ٠٩١٢٣٤٥٦٧٨٩ است", [PHONE], "٠٩١٢٣٤٥٦٧٨٩"),
    ("call 09123456789 now", [PHONE], "09123456789"),
    ("موبایل ۰۹۱۲ ۳۴۵ ۶۷۸۹ لطفاً", [PHONE], "۶۷۸۹"),
    ("موبایل 0912-345-6789.", [PHONE], "0912-345-6789"),
    ("+98 912 345 6789 پاسخ می‌دهم", [PHONE], "345 6789"),
    ("۰۰۹۸۹۱۲۳۴۵۶۷۸۹", [PHONE], "۰۰۹۸۹۱۲۳۴۵۶۷۸۹"),
    ("بدون صفر 9123456789", [PHONE], "9123456789"),
    ("دفتر (021) 8877-6655 است", [PHONE], "8877-6655"),
    ("تلفن ثابت ۰۲۱-۸۸۷۷۶۶۵۵", [PHONE], "۸۸۷۷۶۶۵۵"),
    ("تلفن محل ۸۸۷۷۶۶۵۵", [PHONE], "۸۸۷۷۶۶۵۵"),
    ("تلفن محل 8877 6655", [PHONE], "8877 6655"),
    ("رایانامه‌ام ali.rezaei+vote@example.co.ir است", [EMAIL], "ali.rezaei"),
    ("ایمیل maryam [at] gmail.com", [EMAIL], "maryam"),
    (f"کد ملی {VALID_ID} دارم", [NATIONAL_ID], VALID_ID),
    ("کد ملی ۰۴۹۹۳۷۰۸۹۹ دارم", [NATIONAL_ID], "۰۴۹۹۳۷۰۸۹۹"),
    ("کد پستی 1345678913", [POSTAL_CODE], "1345678913"),
    ("کد پستی ۱۳۴۵۶-۷۸۹۱۳", [POSTAL_CODE], "۷۸۹۱۳"),
    ("ببینید https://example.com/a?b=1.", [URL], "example.com"),
    ("سایت www.vote-help.ir را ببینید", [URL], "vote-help"),
    ("کانال t.me/election_help", [URL], "election_help"),
    ("کارت 6037-9971-1234-5678 برای کمک", [NUMBER], "6037"),
    ("کد دیگری 1234567890", [NUMBER], "1234567890"),
]


@pytest.mark.parametrize(("text", "kinds", "secret"), HIDDEN)
def test_personal_data_is_hidden(text, kinds, secret):
    result = redact(text)
    assert [finding.kind for finding in result.findings] == kinds
    assert secret not in result.text
    assert "حذف شد]" in result.text


def test_several_kinds_in_one_text_are_each_hidden_in_place():
    text = f"من {VALID_ID} هستم، ۰۹۱۲۳۴۵۶۷۸۹ و a@b.ir و www.x.ir"
    result = redact(text)
    assert [finding.kind for finding in result.findings] == [NATIONAL_ID, PHONE, EMAIL, URL]
    assert result.text == "من [کد ملی حذف شد] هستم، [شمارهٔ تلفن حذف شد] و [رایانامه حذف شد] و [نشانی وب حذف شد]"


def test_words_a_reviewer_names_are_hidden_too():
    result = redact("آقای رضایی مدیر شعبه است", extra_terms=["رضایی"])
    assert result.text == "آقای [نام یا عبارت حذف شد] مدیر شعبه است" and result.findings[0].kind == NAMED


def test_redacting_twice_changes_nothing_more():
    once = redact(f"{VALID_ID} و ۰۹۱۲۳۴۵۶۷۸۹").text
    assert redact(once).text == once


@pytest.mark.parametrize(
    ("digits", "valid"),
    [
        (VALID_ID, True),
        (national_id("001234567"), True),
        (national_id("123456780"), True),
        ("0499370898", False),  # wrong check digit
        ("1111111111", False),  # one digit repeated is never issued
        ("123456789", False),  # nine digits
        ("۰۴۹۹۳۷۰۸۹۹", True),
    ],
)
def test_the_national_id_check_digit(digits, valid):
    assert is_valid_national_id(digits) is valid


@pytest.mark.parametrize(
    ("digits", "valid"), [("1345678913", True), ("2345678913", False), ("1345578913", False), ("1111678913", False)]
)
def test_the_postal_code_format(digits, valid):
    assert is_postal_code(digits) is valid
