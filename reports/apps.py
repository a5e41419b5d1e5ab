from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "گزارش‌ها"

    def ready(self):
        from reports.audit import register_with_the_audit_log

        register_with_the_audit_log()
