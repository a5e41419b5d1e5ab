from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from suggestions.choices import Province, Role, State
from suggestions.tracking import display_tracking_code


class Topic(models.Model):
    slug = models.SlugField("شناسه", unique=True)
    name = models.CharField("نام", max_length=120)
    position = models.PositiveSmallIntegerField("ترتیب", default=0)
    is_active = models.BooleanField("فعال", default=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = "موضوع"
        verbose_name_plural = "موضوع‌ها"

    def __str__(self):
        return self.name


class SuggestionQuerySet(models.QuerySet):
    def unprocessed(self):
        return self.filter(state__in=[State.RECEIVED, State.ANALYSING])

    def stuck(self, *, older_than: timedelta):
        return self.unprocessed().filter(state_changed_at__lt=timezone.now() - older_than)

    def analysed(self):
        return self.filter(state=State.ANALYSED)

    def oldest_first(self):
        return self.order_by("created_at", "id")


class Suggestion(models.Model):
    tracking_code = models.CharField("کد رهگیری", max_length=16, unique=True, editable=False)
    role = models.CharField("نقش فرستنده", max_length=32, choices=Role.choices)
    province = models.CharField("استان", max_length=32, choices=Province.choices)
    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="suggestions", verbose_name="موضوع")
    title = models.CharField("عنوان", max_length=150)
    body = models.TextField("متن پیشنهاد")
    normalized_text = models.TextField("متن یکسان‌شده", blank=True, default="")
    match_text = models.TextField("صورت مقایسه", blank=True, default="")
    fingerprint = models.CharField("اثر انگشت", max_length=32, blank=True, default="", db_index=True)
    state = models.CharField("وضعیت پردازش", max_length=16, choices=State.choices, default=State.RECEIVED)
    attempts = models.PositiveSmallIntegerField("تعداد تلاش", default=0)
    last_error = models.CharField("آخرین خطا", max_length=200, blank=True, default="")
    ip_hash = models.CharField(max_length=64, blank=True, default="", editable=False)
    idempotency_key = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    source = models.CharField("منبع", max_length=16, default="web", editable=False)
    created_at = models.DateTimeField("زمان ثبت", default=timezone.now, db_index=True)
    state_changed_at = models.DateTimeField("زمان تغییر وضعیت", default=timezone.now)
    analysed_at = models.DateTimeField("زمان تحلیل", null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SuggestionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "پیشنهاد"
        verbose_name_plural = "پیشنهادها"
        indexes = [models.Index(fields=["state", "state_changed_at"], name="suggestion_state_age")]

    def __str__(self):
        return self.title

    @property
    def display_code(self) -> str:
        return display_tracking_code(self.tracking_code)


class Contact(models.Model):
    """How to reach a submitter. Never shown publicly; purged after the retention period."""

    suggestion = models.OneToOneField(Suggestion, on_delete=models.CASCADE, related_name="contact")
    name = models.CharField("نام", max_length=120, blank=True, default="")
    email = models.EmailField("رایانامه", blank=True, default="")
    phone = models.CharField("تلفن همراه", max_length=11, blank=True, default="")
    consent = models.BooleanField("رضایت به تماس", default=False)
    purge_after = models.DateField("تاریخ پاک‌سازی", db_index=True)

    class Meta:
        verbose_name = "اطلاعات تماس"
        verbose_name_plural = "اطلاعات تماس"

    def __str__(self):
        return f"تماس پیشنهاد {self.suggestion_id}"

    @staticmethod
    def purge_date_from(moment) -> "timezone.datetime.date":
        return (moment + timedelta(days=settings.CONTACT_RETENTION_DAYS)).date()
