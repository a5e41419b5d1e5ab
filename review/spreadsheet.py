"""Cells of the CSV files the portal serves, written so that a spreadsheet shows them and runs nothing.

Excel, LibreOffice and Google Sheets read a cell that begins with = + - @, a tab or a carriage return as a
formula: `=HYPERLINK(…)` leaks a row to another site, `@SUM(1+1)*cmd|' /C calc'!A0` asks to run a program.
As OWASP advises, such a cell gets a leading apostrophe, which makes it text. Text goes through the same
cleaning as what citizens type first, so bidi controls cannot reorder what the reader sees. Numbers stay
numbers: the open data's counts are never negative, and a spreadsheet does not run a number."""

from collections.abc import Iterable

from suggestions.text import clean_user_text

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value):
    if not isinstance(value, str):
        return value
    text = clean_user_text(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def spreadsheet_row(row: Iterable) -> list:
    return [spreadsheet_cell(value) for value in row]
