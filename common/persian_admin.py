"""The admin in Persian throughout: Jalali dates with Persian digits wherever a model admin would show a date,
and Persian names for the apps and models that django-axes and django-otp bring in English.

`make_every_admin_persian` runs once every app's admin module is loaded (CommonConfig.ready), so an admin
added later is Jalali without remembering to be."""

import dataclasses
import datetime

import jdatetime
from django.contrib import admin
from django.contrib.admin.filters import DateFieldListFilter, FieldListFilter
from django.contrib.admin.options import ActionLocation
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone

from common.persian import MONTHS, jalali_datetime, persian_digits, persian_number


def _model_field(model, name):
    """The model's field called `name`, or None for anything else (a method, a callable, a lookup)."""
    if not isinstance(name, str):
        return None
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def _is_number(field) -> bool:
    numeric = isinstance(field, (models.IntegerField, models.DecimalField, models.FloatField))
    return numeric and not field.choices and not field.is_relation


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
            (f"این ماه ({MONTHS[j.month - 1]})", {since: day(month_start), until: day(next_month)}),
            (f"ماه پیش ({MONTHS[last_month.month - 1]})", {since: day(last_month), until: day(month_start)}),
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


# Names Django makes up in English for fields that were given none.
COMMON_LABELS = {"created_at": "زمان ساخت", "updated_at": "آخرین تغییر", "confirmed": "تأییدشده"}


def _titled(filter_class, title):
    class Titled(filter_class):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.title = title

    Titled.__name__ = filter_class.__name__
    return Titled


class JalaliDatesAdmin(admin.ModelAdmin):
    """Every date column, read-only date and date filter in Jalali with Persian digits, every number column in
    Persian digits. Dates the system sets are shown read-only: they record what happened, and Django's date
    inputs only know the Gregorian calendar. `field_labels` names columns and fields in Persian where the
    model (a third-party one) names them in English; `action_labels` does the same for actions."""

    field_labels: dict = {}
    field_help: dict | None = None  # when given, replaces every help text of the form (None: keep them)
    action_labels: dict = {}
    fieldset_titles: dict = {}

    def __init__(self, model, admin_site):
        super().__init__(model, admin_site)
        # The date hierarchy walks Gregorian years and months; a Jalali filter takes its place.
        self.jalali_filter_instead_of_hierarchy, self.date_hierarchy = self.date_hierarchy, None
        self._columns = {}

    def _column(self, name, *, in_list: bool = False):
        """What to show in place of `name`: a callable with a Persian label and Persian digits, or the name."""
        if not isinstance(name, str) or (in_list and name in self.list_editable):
            return name
        if name not in self._columns:
            self._columns[name] = self._make_column(name)
        return self._columns[name] or name

    def _make_column(self, name):
        field = _model_field(self.model, name)
        if isinstance(field, models.DateField):

            def show(obj):
                return jalali_datetime(getattr(obj, name)) or self.get_empty_value_display()
        elif _is_number(field):

            def show(obj):
                value = getattr(obj, name)
                return self.get_empty_value_display() if value is None else persian_number(value)
        elif name in self.field_labels and field is not None and not field.is_relation:
            if isinstance(field, models.BooleanField):
                return admin.display(description=self.field_labels[name], boolean=True, ordering=name)(
                    lambda obj: getattr(obj, name)
                )

            def show(obj):
                return getattr(obj, f"get_{name}_display")() if field.choices else getattr(obj, name)
        elif name in self.field_labels:
            # A relation, or a method of the admin: shown as it was, under a Persian name.
            def show(obj):
                return getattr(obj, name) if field is not None else getattr(self, name)(obj)
        else:
            return None
        label = self._label(field) if field is not None else self.field_labels.get(name, name)
        show.__name__ = f"{name}_in_persian"
        ordering = name if field is not None else getattr(getattr(self, name, None), "admin_order_field", None)
        return admin.display(description=label, ordering=ordering)(show)

    def get_action_choices(self, request, default_choices=None, action_location=ActionLocation.CHANGE_LIST):
        # Django's blank choice, «Select an option», has no Persian translation.
        default_choices = default_choices or [("", "— کاری برگزینید —")]
        return super().get_action_choices(request, default_choices=default_choices, action_location=action_location)

    def get_actions(self, request, action_location=ActionLocation.CHANGE_LIST):
        actions = super().get_actions(request, action_location=action_location)
        for name, label in self.action_labels.items():
            if name in actions:
                actions[name] = dataclasses.replace(actions[name], description=label, plural_description=label)
        return actions

    def _system_dates(self):
        return [
            field.name
            for field in self.model._meta.concrete_fields
            if isinstance(field, models.DateField) and _may_show_read_only(field)
        ]

    def _readonly_names(self, request, obj):
        names = list(super().get_readonly_fields(request, obj))
        return names + [name for name in self._system_dates() if name not in names]

    def get_list_display(self, request):
        return [self._column(name, in_list=True) for name in super().get_list_display(request)]

    def get_list_filter(self, request):
        filters = [self._filter(entry) for entry in super().get_list_filter(request)]
        if self.jalali_filter_instead_of_hierarchy:
            filters.insert(0, self._filter(self.jalali_filter_instead_of_hierarchy))
        return filters

    def _filter(self, entry):
        """A date filter becomes the Jalali one; a filter whose field has a Persian label takes it as title."""
        if isinstance(entry, str):
            field = _model_field(self.model, entry)
            if isinstance(field, models.DateField):
                return (entry, _titled(JalaliDateListFilter, self._label(field)))
            if entry in self.field_labels and "__" not in entry:
                field = self.model._meta.get_field(entry)
                chosen = next(kind for test, kind in FieldListFilter._field_list_filters if test(field))
                return (entry, _titled(chosen, self.field_labels[entry]))
        elif (
            isinstance(entry, type)
            and issubclass(entry, admin.SimpleListFilter)
            and entry.parameter_name in self.field_labels
        ):
            return type(entry.__name__, (entry,), {"title": self.field_labels[entry.parameter_name]})
        return entry

    def _label(self, field):
        if field.name in self.field_labels:
            return self.field_labels[field.name]
        if str(field.verbose_name) == field.name.replace("_", " "):  # no name given: Django's English one
            return COMMON_LABELS.get(field.name, field.verbose_name)
        return field.verbose_name

    def get_readonly_fields(self, request, obj=None):
        return [self._column(name) for name in self._readonly_names(request, obj)]

    def get_exclude(self, request, obj=None):
        return [*(super().get_exclude(request, obj) or []), *self._system_dates()]

    def get_fieldsets(self, request, obj=None):
        readonly = set(self._readonly_names(request, obj))

        def swap(entry):
            if isinstance(entry, (list, tuple)):
                return type(entry)(swap(name) for name in entry)
            return self._column(entry) if entry in readonly else entry

        return [
            (
                self.fieldset_titles.get(title, title) if isinstance(title, str) else title,
                {**options, "fields": [swap(entry) for entry in options.get("fields", [])]},
            )
            for title, options in super().get_fieldsets(request, obj)
        ]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        for name, field in form.base_fields.items():
            if name in self.field_labels:
                field.label = self.field_labels[name]
            if self.field_help is not None:
                field.help_text = self.field_help.get(name, "")
        return form


def _persian_admin_class(admin_class, extra: dict):
    if issubclass(admin_class, JalaliDatesAdmin) and not extra:
        return admin_class
    return type(admin_class.__name__, (JalaliDatesAdmin, admin_class), {"__module__": admin_class.__module__, **extra})


def make_every_admin_persian(site=admin.site) -> None:
    extras = _third_party_admin_extras()
    for model, model_admin in list(site._registry.items()):
        persian = _persian_admin_class(type(model_admin), extras.get(model, {}))
        if persian is not type(model_admin):
            site.unregister(model)
            site.register(model, persian)


# Third-party apps ------------------------------------------------------------------------------------------


def _access_log_str(log) -> str:
    return f"ورود {log.username} در {jalali_datetime(log.attempt_time)}"


def _access_attempt_str(attempt) -> str:
    return f"تلاش‌های ورود {attempt.username} از {attempt.ip_address}"


def _access_failure_str(failure) -> str:
    locked = "، که به قفل شدن انجامید" if failure.locked_out else ""
    return f"ورود ناموفق {failure.username} در {jalali_datetime(failure.attempt_time)}{locked}"


def _device_str(device) -> str:
    return f"{device.name} ({device.user})"


AXES_LABELS = {
    "user_agent": "مرورگر",
    "ip_address": "نشانی IP",
    "username": "نام کاربری",
    "http_accept": "سرایند Accept",
    "path_info": "مسیر",
    "attempt_time": "زمان تلاش",
    "logout_time": "زمان خروج",
    "get_data": "داده‌های GET",
    "post_data": "داده‌های POST",
    "failures_since_start": "ورودهای ناموفق",
    "locked_out": "به قفل انجامید",
    "expiration": "پایان قفل",
    "status": "وضعیت",
}
TOTP_LABELS = {
    "user": "کاربر",
    "name": "نام دستگاه",
    "confirmed": "آماده",
    "key": "کلید",
    "step": "گام (ثانیه)",
    "t0": "آغاز شمارش (زمان یونیکس)",
    "digits": "شمار رقم‌های رمز",
    "tolerance": "رواداری (گام)",
    "drift": "انحراف ساعت (گام)",
    "throttling_failure_timestamp": "زمان آخرین شکست",
    "throttling_failure_count": "شکست‌های پیاپی",
    "created_at": "ساخته‌شده در",
    "last_used_at": "آخرین استفاده",
    "qrcode_link": "کد QR",
}
TOTP_HELP = {"key": "کلید پنهان به شکل هگز؛ پس از ساخت دستگاه دیگر نشان داده نمی‌شود."}
TOTP_FIELDSETS = {
    "Identity": "دستگاه و کاربر",
    "Timestamps": "زمان‌ها",
    "Configuration": "پیکربندی",
    "State": "وضعیت",
    "Throttling": "محدودیت تلاش‌ها",
}


def _axes_status(self, attempt) -> str:
    from django.conf import settings

    left = settings.AXES_FAILURE_LIMIT - attempt.failures_since_start
    return f"{persian_digits(left)} تلاش مانده" if left > 0 else "قفل شده"


def _axes_expiration(self, attempt):
    return jalali_datetime(attempt.expiration.expires_at) if hasattr(attempt, "expiration") else "تعیین نشده"


def _third_party_admin_extras() -> dict:
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return {
        AccessAttempt: {
            "field_labels": AXES_LABELS,
            "action_labels": {"cleanup_expired_attempts": "پاک کردن تلاش‌های منقضی"},
            "status": _axes_status,
            "expiration": _axes_expiration,
        },
        AccessLog: {"field_labels": AXES_LABELS},
        AccessFailureLog: {"field_labels": AXES_LABELS},
        TOTPDevice: {"field_labels": TOTP_LABELS, "field_help": TOTP_HELP, "fieldset_titles": TOTP_FIELDSETS},
    }


def name_third_party_apps_in_persian() -> None:
    """django-axes and django-otp name themselves in English and cannot be translated without editing them;
    their app configs and model options are renamed here at start-up. Only display names change: the Meta
    options migrations read (`_meta.original_attrs`) are left alone, so no migration follows."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django.apps import apps
    from django_otp.plugins.otp_totp.models import TOTPDevice

    names = {"axes": "قفل ورود پس از تلاش‌های ناموفق", "otp_totp": "ورود دومرحله‌ای", "django_otp": "ورود دومرحله‌ای"}
    for label, name in names.items():
        if label in apps.app_configs:
            apps.get_app_config(label).verbose_name = name

    AccessLog.__str__ = _access_log_str
    AccessAttempt.__str__ = _access_attempt_str
    AccessFailureLog.__str__ = _access_failure_str
    TOTPDevice.__str__ = _device_str
    TOTPDevice._meta.verbose_name = "دستگاه رمز یک‌بار مصرف"
    TOTPDevice._meta.verbose_name_plural = "دستگاه‌های رمز یک‌بار مصرف"
