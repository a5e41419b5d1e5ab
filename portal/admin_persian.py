"""The admin in Persian throughout: Jalali dates with Persian digits wherever a model admin would show a date,
and Persian names for the apps and models that django-axes and django-otp bring in English.

`make_every_admin_persian` runs once every app's admin module is loaded (PortalConfig.ready), so an admin
added later is Jalali without remembering to be."""

import datetime

import jdatetime
from django.contrib import admin
from django.contrib.admin.filters import DateFieldListFilter
from django.contrib.admin.options import ActionLocation
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone

from portal.templatetags.persian import _MONTHS, fa_number_filter, jalali_datetime, persian_digits


def jalali_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return jalali_datetime(value)
    return jalali_datetime(datetime.datetime.combine(value, datetime.time()), with_time=False)


def _date_field(model, name):
    if not isinstance(name, str):
        return None
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return field if isinstance(field, models.DateField) else None


def _number_field(model, name):
    if not isinstance(name, str):
        return None
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    numeric = isinstance(field, (models.IntegerField, models.DecimalField, models.FloatField))
    return field if numeric and not field.choices and not field.is_relation else None


def _may_show_read_only(field) -> bool:
    """A date the system sets. A date someone must type (required, no default) stays an input."""
    return field.null or field.has_default() or getattr(field, "auto_now", False) or field.auto_now_add


class JalaliDateListFilter(DateFieldListFilter):
    """Django's date filter with the Jalali month and year in place of the Gregorian ones."""

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        now = timezone.localtime()
        if isinstance(field, models.DateTimeField):
            today = now.replace(hour=0, minute=0, second=0, microsecond=0)
        else:
            today = now.date()

        def day(jalali: jdatetime.date):
            gregorian = jalali.togregorian()
            return today.replace(year=gregorian.year, month=gregorian.month, day=gregorian.day)

        j = jdatetime.date.fromgregorian(date=now.date())
        month_start = jdatetime.date(j.year, j.month, 1)
        next_month = jdatetime.date(j.year + 1, 1, 1) if j.month == 12 else jdatetime.date(j.year, j.month + 1, 1)
        last_month = jdatetime.date(j.year - 1, 12, 1) if j.month == 1 else jdatetime.date(j.year, j.month - 1, 1)
        tomorrow = today + datetime.timedelta(days=1)
        since, until = self.lookup_kwarg_since, self.lookup_kwarg_until
        self.links = (
            ("هر زمان", {}),
            ("امروز", {since: today, until: tomorrow}),
            ("هفت روز گذشته", {since: today - datetime.timedelta(days=7), until: tomorrow}),
            (f"این ماه ({_MONTHS[j.month - 1]})", {since: day(month_start), until: day(next_month)}),
            (f"ماه پیش ({_MONTHS[last_month.month - 1]})", {since: day(last_month), until: day(month_start)}),
            (
                f"امسال ({persian_digits(j.year)})",
                {since: day(jdatetime.date(j.year, 1, 1)), until: day(jdatetime.date(j.year + 1, 1, 1))},
            ),
        )
        if field.null:
            self.links += (
                ("بی‌تاریخ", {self.field_generic + "isnull": True}),
                ("دارای تاریخ", {self.field_generic + "isnull": False}),
            )


class JalaliDatesAdmin(admin.ModelAdmin):
    """Every date column, read-only date and date filter in Jalali with Persian digits. Dates the system sets
    are shown read-only: they record what happened, and Django's date inputs only know the Gregorian calendar.
    `date_labels` names a date column in Persian where the model's own name is English."""

    date_labels: dict = {}

    def __init__(self, model, admin_site):
        super().__init__(model, admin_site)
        # The date hierarchy walks Gregorian years and months; a Jalali filter takes its place.
        self.jalali_filter_instead_of_hierarchy, self.date_hierarchy = self.date_hierarchy, None

    def _jalali(self, name):
        field = _date_field(self.model, name)
        if field is None:
            return name
        columns = self.__dict__.setdefault("_jalali_columns", {})
        if name not in columns:

            def show(obj, _name=name):
                return jalali_text(getattr(obj, _name)) or None

            show.__name__ = f"{name}_jalali"
            columns[name] = admin.display(description=self.date_labels.get(name, field.verbose_name), ordering=name)(
                show
            )
        return columns[name]

    def _persian(self, name):
        """A list column: a date in Jalali, a number in Persian digits (unless it is edited in the list)."""
        field = _number_field(self.model, name)
        if field is None or name in self.list_editable:
            return self._jalali(name)
        columns = self.__dict__.setdefault("_number_columns", {})
        if name not in columns:

            def show(obj, _name=name):
                value = getattr(obj, _name)
                return None if value is None else fa_number_filter(value)

            show.__name__ = f"{name}_persian"
            columns[name] = admin.display(description=field.verbose_name, ordering=name)(show)
        return columns[name]

    def get_action_choices(self, request, default_choices=None, action_location=ActionLocation.CHANGE_LIST):
        # Django's blank choice, «Select an option», has no Persian translation.
        default_choices = default_choices or [("", "— کاری برگزینید —")]
        return super().get_action_choices(request, default_choices=default_choices, action_location=action_location)

    def _system_dates(self):
        return [
            field.name
            for field in self.model._meta.concrete_fields
            if isinstance(field, models.DateField) and _may_show_read_only(field)
        ]

    def get_list_display(self, request):
        return [self._persian(name) for name in super().get_list_display(request)]

    def get_list_filter(self, request):
        filters = [
            (name, JalaliDateListFilter) if _date_field(self.model, name) else name
            for name in super().get_list_filter(request)
        ]
        if self.jalali_filter_instead_of_hierarchy:
            filters.insert(0, (self.jalali_filter_instead_of_hierarchy, JalaliDateListFilter))
        return filters

    def get_readonly_fields(self, request, obj=None):
        names = list(super().get_readonly_fields(request, obj))
        names += [name for name in self._system_dates() if name not in names]
        return [self._jalali(name) for name in names]

    def get_exclude(self, request, obj=None):
        return [*(super().get_exclude(request, obj) or []), *self._system_dates()]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        return [
            (title, {**options, "fields": [self._swap(entry) for entry in options.get("fields", [])]})
            for title, options in fieldsets
        ]

    def _swap(self, entry):
        if isinstance(entry, (list, tuple)):
            return type(entry)(self._jalali(name) for name in entry)
        return self._jalali(entry)


def _persian_admin_class(admin_class):
    if issubclass(admin_class, JalaliDatesAdmin):
        return admin_class
    return type(admin_class.__name__, (JalaliDatesAdmin, admin_class), {"__module__": admin_class.__module__})


def make_every_admin_persian(site=admin.site) -> None:
    for model, model_admin in list(site._registry.items()):
        persian = _persian_admin_class(type(model_admin))
        if persian is not type(model_admin):
            site.unregister(model)
            site.register(model, persian)


# Third-party apps ------------------------------------------------------------------------------------------


def _access_log_str(log) -> str:
    return f"ورود {log.username} در {jalali_text(log.attempt_time)}"


def _access_attempt_str(attempt) -> str:
    return f"تلاش‌های ورود {attempt.username} از {attempt.ip_address}"


def _access_failure_str(failure) -> str:
    locked = "، که به قفل شدن انجامید" if failure.locked_out else ""
    return f"ورود ناموفق {failure.username} در {jalali_text(failure.attempt_time)}{locked}"


def _device_str(device) -> str:
    return f"{device.name} ({device.user})"


TOTP_FIELDSETS = {
    "Identity": "دستگاه و کاربر",
    "Timestamps": "زمان‌ها",
    "Configuration": "پیکربندی",
    "State": "وضعیت",
    "Throttling": "محدودیت تلاش‌ها",
}


def name_third_party_apps_in_persian(site=admin.site) -> None:
    """django-axes and django-otp name themselves in English and cannot be translated without editing them;
    their app configs and model options are renamed here at start-up. Only display names change: the Meta
    options migrations read (`_meta.original_attrs`) are left alone, so no migration follows."""
    from django.apps import apps

    names = {"axes": "قفل ورود پس از تلاش‌های ناموفق", "otp_totp": "ورود دومرحله‌ای", "django_otp": "ورود دومرحله‌ای"}
    for label, name in names.items():
        if apps.is_installed(label) or label in apps.app_configs:
            apps.get_app_config(label).verbose_name = name

    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django_otp.plugins.otp_totp.models import TOTPDevice

    AccessLog.__str__ = _access_log_str
    AccessAttempt.__str__ = _access_attempt_str
    AccessFailureLog.__str__ = _access_failure_str
    TOTPDevice.__str__ = _device_str
    TOTPDevice._meta.verbose_name = "دستگاه رمز یک‌بار مصرف"
    TOTPDevice._meta.verbose_name_plural = "دستگاه‌های رمز یک‌بار مصرف"

    if TOTPDevice in site._registry:
        original = type(site._registry[TOTPDevice])

        class TOTPDeviceAdmin(original):
            date_labels = {"created_at": "ساخته‌شده در", "last_used_at": "آخرین استفاده"}

            @admin.display(description="کاربر", ordering="user")
            def owner(self, device):
                return device.user

            @admin.display(description="نام", ordering="name")
            def device_name(self, device):
                return device.name

            @admin.display(description="آماده", boolean=True, ordering="confirmed")
            def ready(self, device):
                return device.confirmed

            def get_list_display(self, request):
                swap = {"user": "owner", "name": "device_name", "confirmed": "ready"}
                return [swap.get(name, name) for name in super().get_list_display(request)]

            def get_fieldsets(self, request, obj=None):
                return [
                    (TOTP_FIELDSETS.get(title, title), options)
                    for title, options in super().get_fieldsets(request, obj)
                ]

        site.unregister(TOTPDevice)
        site.register(TOTPDevice, TOTPDeviceAdmin)
