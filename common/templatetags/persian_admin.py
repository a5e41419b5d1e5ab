"""The admin's page links with Persian digits (Django's own tag writes Latin ones)."""

from django import template
from django.contrib.admin.views.main import PAGE_VAR
from django.utils.html import format_html

from common.persian import persian_digits

register = template.Library()


@register.simple_tag
def persian_paginator_number(cl, i):
    if i == cl.paginator.ELLIPSIS:
        return format_html("{} ", cl.paginator.ELLIPSIS)
    if i == cl.page_num:
        return format_html('<a role="button" href="" aria-current="page">{}</a> ', persian_digits(i))
    return format_html('<a role="button" href="{}">{}</a> ', cl.get_query_string({PAGE_VAR: i}), persian_digits(i))
