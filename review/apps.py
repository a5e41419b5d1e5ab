from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ReviewConfig(AppConfig):
    name = "review"
    verbose_name = "بررسی"

    def ready(self):
        from review.roles import grant_admin_permissions

        # After review's own post_migrate, by which time every app's permissions exist.
        post_migrate.connect(grant_admin_permissions, sender=self, dispatch_uid="review.grant_admin_permissions")
