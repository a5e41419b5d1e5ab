"""Redaction reads what a person sees, not the code points: digits split by invisible joiners, tatweel,
underscores or slashes, full-width signs and spelled-out e-mail addresses are hidden like plain ones, and the
marker replaces the whole original span."""

import pytest

from reports.redaction import EMAIL, NAMED, NATIONAL_ID, NUMBER, PHONE, POSTAL_CODE, URL, redact

ZWNJ, ZWJ, ZWSP, TATWEEL, BOM = "\u200c", "\u200d", "\u200b", "\u0640", "\ufeff"

# (text, kinds found, the text once redacted)
FORMATS = [
    # Formats that were hidden before and must stay hidden.
    ("با ۰۹۱۲۳۴۵۶۷۸۹ تماس بگیرید", [PHONE], "با [شمارهٔ تلفن حذف شد] تماس بگیرید"),
    ("موبایل 0912-345-6789.", [PHONE], "موبایل [شمارهٔ تلفن حذف شد]."),
    ("موبایل ۰۹۱۲ ۳۴۵ ۶۷۸۹ لطفاً", [PHONE], "موبایل [شمارهٔ تلفن حذف شد] لطفاً"),
    ("کد ملی ۰۴۹۹۳۷۰۸۹۹ دارم", [NATIONAL_ID], "کد ملی [کد ملی حذف شد] دارم"),
    ("کد پستی 1345678913", [POSTAL_CODE], "کد پستی [کد پستی حذف شد]"),
    ("رایانامه ali.rezaei@example.com است", [EMAIL], "رایانامه [رایانامه حذف شد] است"),
    ("ایمیل maryam [at] gmail.com", [EMAIL], "ایمیل [رایانامه حذف شد]"),
    ("سایت www.vote-help.ir را ببینید", [URL], "سایت [نشانی وب حذف شد] را ببینید"),
    ("کارت 6037-9971-1234-5678 برای کمک", [NUMBER], "کارت [شماره حذف شد] برای کمک"),
    # Digits split by ZWNJ, ZWJ, zero-width space, BOM, tatweel, underscore or slash.
    (f"شماره ۰۹۱۲{ZWNJ}۳۴۵{ZWNJ}۶۷۸۹ است", [PHONE], "شماره [شمارهٔ تلفن حذف شد] است"),
    (f"شماره ۰۹۱۲{TATWEEL}۳۴۵{TATWEEL}۶۷۸۹ است", [PHONE], "شماره [شمارهٔ تلفن حذف شد] است"),
    ("شماره 0912_345_6789 است", [PHONE], "شماره [شمارهٔ تلفن حذف شد] است"),
    ("شماره 0912/345/6789 است", [PHONE], "شماره [شمارهٔ تلفن حذف شد] است"),
    (f"شماره 0912{ZWJ}345{ZWSP}6789 است", [PHONE], "شماره [شمارهٔ تلفن حذف شد] است"),
    (f"شماره ۰۹۱۲{BOM}۳۴۵۶۷۸۹ است", [PHONE], "شماره [شمارهٔ تلفن حذف شد] است"),
    (f"کد ملی ۱۲۸۷{ZWNJ}۶۵۴{ZWNJ}۳۲۰ دارم", [NATIONAL_ID], "کد ملی [کد ملی حذف شد] دارم"),
    (f"کد ملی ۰۴۹۹{TATWEEL}۳۷۰{TATWEEL}۸۹۹ دارم", [NATIONAL_ID], "کد ملی [کد ملی حذف شد] دارم"),
    # Full-width digits and signs.
    ("شماره ０９１２３４５６７８９ است", [PHONE], "شماره [شمارهٔ تلفن حذف شد] است"),
    ("رایانامه ali＠example.com است", [EMAIL], "رایانامه [رایانامه حذف شد] است"),
    ("رایانامه ａｌｉ＠ｅｘａｍｐｌｅ．ｃｏｍ است", [EMAIL], "رایانامه [رایانامه حذف شد] است"),
    # Spelled-out addresses.
    ("ali dot rezaei at example dot com", [EMAIL], "[رایانامه حذف شد]"),
    ("بنویسید به ali dot rezaei at example dot com لطفاً", [EMAIL], "بنویسید به [رایانامه حذف شد] لطفاً"),
    ("ali.rezaei AT gmail DOT com", [EMAIL], "[رایانامه حذف شد]"),
    ("ali (at) example (dot) ir", [EMAIL], "[رایانامه حذف شد]"),
    ("ali ات gmail دات com", [EMAIL], "[رایانامه حذف شد]"),
]
# Numbers people write about elections: none is personal data.
KEPT = [
    "سال ۱۴۰۰ انتخابات برگزار شد",
    f"سال ۱۴۰۰{ZWNJ}ها",
    "۲۵ درصد مردم در ساعت ۱۰ رأی دادند",
    "تاریخ ۱۴۰۰/۰۳/۲۸ بود",
    "تاریخ 1400-03-28 بود",
    "تاریخ 1400_03_28 بود",
    f"تاریخ ۱۴۰۰{TATWEEL}۰۳{TATWEEL}۲۸ بود",
    "۳.۵ میلیون نفر",
    "شعبهٔ شمارهٔ ۱۲۳۴۵",
    "پیشنهاد: صندوق‌ها هر (۲) ساعت ضدعفونی شوند.",
    "۱۲۰ صندوق و ۴۵۰۰ رأی",
    "نسبت ۱/۲ بود",
    "look at the data on page 3",
    "we met at noon dot",
]


@pytest.mark.parametrize(("text", "kinds", "redacted"), FORMATS)
def test_every_written_form_of_personal_data_is_hidden_over_its_whole_span(text, kinds, redacted):
    result = redact(text)
    assert [finding.kind for finding in result.findings] == kinds
    assert result.text == redacted


@pytest.mark.parametrize("text", KEPT)
def test_years_counts_dates_and_ordinary_words_are_not_hidden(text):
    result = redact(text)
    assert result.text == text and not result.findings


def test_a_finding_keeps_the_original_characters_it_covers():
    text = f"شماره ۰۹۱۲{ZWNJ}۳۴۵{ZWNJ}۶۷۸۹ است"
    (finding,) = redact(text).findings
    assert finding.text == f"۰۹۱۲{ZWNJ}۳۴۵{ZWNJ}۶۷۸۹"
    assert text[finding.start : finding.end] == finding.text


def test_a_named_term_is_hidden_even_when_stretched_with_tatweel():
    result = redact(f"آقای رضـ{TATWEEL}ایی مدیر شعبه است", extra_terms=["رضایی"])
    assert result.text == "آقای [نام یا عبارت حذف شد] مدیر شعبه است"
    assert [finding.kind for finding in result.findings] == [NAMED]


def test_redacting_a_spelled_out_address_twice_changes_nothing_more():
    once = redact("ali dot rezaei at example dot com و ۰۹۱۲ـ۳۴۵ـ۶۷۸۹").text
    assert redact(once).text == once
