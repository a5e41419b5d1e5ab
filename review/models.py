from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils import timezone


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionDenied("the audit log is append-only")

    def delete(self):
        raise PermissionDenied("the audit log is append-only")

    def for_object(self, obj):
        return self.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))


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
