"""Filters that show numbers and dates to people, over `common.persian`. A builtin: every template has them."""

from django import template

from common.persian import jalali_date, jalali_datetime, persian_digits, persian_number

register = template.Library()

register.filter("fa_digits", persian_digits)
register.filter("fa_number", persian_number)
register.filter("jalali", jalali_datetime)
register.filter("jalali_date", jalali_date)
