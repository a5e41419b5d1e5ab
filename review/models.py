from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q
from django.utils import timezone

from suggestions.models import Suggestion, Theme


class ReviewStatus(models.TextChoices):
    PENDING = "pending", "در انتظار بررسی"
    ACCEPTED = "accepted", "پذیرفته"
    REJECTED = "rejected", "ردشده"
    DUPLICATE = "duplicate", "تکراری"
    FOLLOW_UP = "follow_up", "نیازمند پیگیری"
    RECUSED = "recused", "کناره‌گیری بررسی‌کننده"


# No decision yet: «next» hands these out. A recused suggestion waits for a reviewer without the conflict.
OPEN_STATUSES = (ReviewStatus.PENDING, ReviewStatus.RECUSED)


class RejectReason(models.TextChoices):
    SPAM = "spam", "هرزنامه"
    OFF_TOPIC = "off_topic", "نامربوط به موضوع فراخوان"
    ABUSIVE = "abusive", "توهین‌آمیز"
    NOT_ACTIONABLE = "not_actionable", "قابل اجرا نیست"
    OTHER = "other", "دلیل دیگر"


class ReviewQuerySet(models.QuerySet):
    def claimed_by(self, user):
        return self.filter(claimed_by=user, claim_expires_at__gt=timezone.now())

    def decided(self):
        return self.exclude(status__in=OPEN_STATUSES).filter(decided_at__isnull=False)


class Review(models.Model):
    """What reviewers made of one suggestion. Created on the first claim, decision or note: a suggestion
    without one is simply pending, so the queue sees every analyzed suggestion without a copy step."""

    suggestion = models.OneToOneField(
        Suggestion, primary_key=True, on_delete=models.CASCADE, related_name="review", verbose_name="پیشنهاد"
    )
    status = models.CharField(
        "وضعیت بررسی", max_length=16, choices=ReviewStatus.choices, default=ReviewStatus.PENDING, db_index=True
    )
    reject_reason = models.CharField("دلیل رد", max_length=16, choices=RejectReason.choices, blank=True, default="")
    decision_note = models.TextField("توضیح تصمیم", blank=True, default="")
    theme = models.ForeignKey(
        Theme, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name="محور پذیرش"
    )
    duplicate_of = models.ForeignKey(
        Suggestion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name="تکراریِ"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="تصمیم‌گیرنده",
    )
    decided_at = models.DateTimeField("زمان تصمیم", null=True, blank=True)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="در دست",
    )
    claim_expires_at = models.DateTimeField("پایان در دست داشتن", null=True, blank=True)
    private_notes = models.TextField("یادداشت‌های داخلی", blank=True, default="")
    tags = models.JSONField("برچسب‌ها", default=list, blank=True)
    # Raised by every decision; a form that carries an older number was filled before someone else decided.
    version = models.PositiveIntegerField("نسخه", default=0)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ReviewQuerySet.as_manager()

    class Meta:
        verbose_name = "بررسی"
        verbose_name_plural = "بررسی‌ها"
        permissions = [("view_contact", "دیدن اطلاعات تماس فرستنده")]
        indexes = [models.Index(fields=["decided_at"], name="review_decided_at")]
        constraints = [
            models.CheckConstraint(
                condition=Q(claimed_by__isnull=True) | Q(claim_expires_at__isnull=False), name="review_claim_expires"
            )
        ]

    def __str__(self):
        return f"{self.suggestion_id}: {self.get_status_display()}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def claim_holder(self, *, now=None):
        """The user whose claim is still running, or None."""
        if self.claimed_by_id and self.claim_expires_at and self.claim_expires_at > (now or timezone.now()):
            return self.claimed_by
        return None

    def facts(self) -> dict:
        """What the audit log keeps of a review: decisions and labels, never the free-text notes."""
        return {
            "status": self.status,
            "reject_reason": self.reject_reason,
            "theme": self.theme_id,
            "duplicate_of": self.duplicate_of_id,
            "tags": list(self.tags),
        }


class Recusal(models.Model):
    """A reviewer declared a conflict of interest: «next» never hands them this suggestion again."""

    suggestion = models.ForeignKey(Suggestion, on_delete=models.CASCADE, related_name="recusals")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "کناره‌گیری"
        verbose_name_plural = "کناره‌گیری‌ها"
        constraints = [models.UniqueConstraint(fields=["suggestion", "reviewer"], name="recusal_once")]

    def __str__(self):
        return f"{self.reviewer_id} ∤ {self.suggestion_id}"


class AssignmentQuerySet(models.QuerySet):
    def still_open(self):
        return self.filter(closed_at__isnull=True)

    def held_by(self, reviewer):
        return self.still_open().filter(reviewer=reviewer)


class Assignment(models.Model):
    """An editor handed a suggestion to a named reviewer: their «next» serves it first. It stays open until
    the suggestion is decided (by anyone), the reviewer steps back from it, or it is handed to someone else;
    closed rows are kept, so who was given what, and when, can be read later."""

    class Closed(models.TextChoices):
        DECIDED = "decided", "تصمیم گرفته شد"
        RECUSED = "recused", "بررسی‌کننده کناره گرفت"
        REASSIGNED = "reassigned", "به دیگری سپرده شد"
        WITHDRAWN = "withdrawn", "ویراستار پس گرفت"

    suggestion = models.ForeignKey(
        Suggestion, on_delete=models.CASCADE, related_name="assignments", verbose_name="پیشنهاد"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name="بررسی‌کننده"
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name="سپارنده"
    )
    assigned_at = models.DateTimeField("زمان سپردن", default=timezone.now)
    closed_at = models.DateTimeField("زمان بسته شدن", null=True, blank=True)
    closed_reason = models.CharField("چرا بسته شد", max_length=16, choices=Closed.choices, blank=True, default="")

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = "سپردن"
        verbose_name_plural = "سپردن‌ها"
        indexes = [
            models.Index(
                fields=["reviewer", "assigned_at"], condition=Q(closed_at__isnull=True), name="assignment_open_load"
            )
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["suggestion"], condition=Q(closed_at__isnull=True), name="assignment_one_open"
            )
        ]

    def __str__(self):
        return f"{self.suggestion_id} → {self.reviewer_id}"


ACTION_LABELS = {
    "claim": "برداشتن برای بررسی",
    "release": "رها کردن",
    "accept": "پذیرش",
    "reject": "رد",
    "mark_duplicate": "علامت تکراری",
    "follow_up": "نیازمند پیگیری",
    "recuse": "کناره‌گیری",
    "notes": "یادداشت و برچسب",
    "view_contact": "دیدن اطلاعات تماس",
    "bulk_reject_spam": "رد گروهی (هرزنامه)",
    "bulk_move_theme": "انتقال گروهی به محور",
    "bulk_mark_reviewed": "بررسی گروهی",
    "assign": "سپردن به بررسی‌کننده",
    "unassign": "پس گرفتن سپرده",
    "otp_enabled": "روشن کردن ورود دومرحله‌ای",
    "otp_disabled": "خاموش کردن ورود دومرحله‌ای",
    "duplicates.choose_canonical": "انتخاب نمونهٔ اصلی گروه تکراری",
    "duplicates.split_member": "جدا کردن از گروه تکراری",
    "duplicates.not_duplicate": "تکراری نیست",
    "themes.rename": "تغییر عنوان محور",
    "themes.merge": "ادغام محورها",
    "themes.move": "انتقال به محور",
    "themes.split": "جدا کردن محور تازه",
    "themes.recluster": "خوشه‌بندی دوباره",
    "ideas.merge": "ادغام ایده‌ها",
    "ideas.split": "جدا کردن ایدهٔ تازه",
    "ideas.move": "انتقال ایده به محور",
}


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionDenied("the audit log is append-only")

    def delete(self):
        raise PermissionDenied("the audit log is append-only")

    def for_object(self, obj):
        from review.audit import object_types_of  # the audit module reads this one; imported at call time

        return self.filter(object_type__in=object_types_of(type(obj)), object_id=str(obj.pk))


class AuditEntry(models.Model):
    """One reviewer or editor action: who, when (UTC), what, on which object, before and after.
    Append-only, and never holds personal data (no contact details, no addresses)."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name="کاربر"
    )
    actor_name = models.CharField("نام کاربر", max_length=150)
    at = models.DateTimeField("زمان", default=timezone.now, db_index=True)
    action = models.CharField("کنش", max_length=64, db_index=True)
    object_type = models.CharField("نوع", max_length=100)
    object_id = models.CharField("شناسه", max_length=64)
    before = models.JSONField("پیش از", null=True, blank=True)
    after = models.JSONField("پس از", null=True, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = "رویداد ممیزی"
        verbose_name_plural = "رویدادهای ممیزی"
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object")]

    def __str__(self):
        return f"{self.actor_name} {self.action} {self.object_type}#{self.object_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionDenied("the audit log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionDenied("the audit log is append-only")

    @property
    def action_label(self) -> str:
        from review.audit import action_label  # the audit module reads this one; imported at call time

        return action_label(self.action)

    @property
    def status_after_label(self) -> str:
        """The review status this action left, in Persian, or '' when it did not touch the status."""
        after, before = self.after or {}, self.before or {}
        status = after.get("status") if isinstance(after, dict) else None
        if not status or (isinstance(before, dict) and before.get("status") == status):
            return ""
        return dict(ReviewStatus.choices).get(status, status)

    @property
    def assigned_to_after(self) -> str:
        """Whom an assignment handed the suggestion to, or ''."""
        if self.action != "assign" or not isinstance(self.after, dict):
            return ""
        return self.after.get("assigned_to") or ""
