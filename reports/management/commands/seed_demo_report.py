from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from reports.demo import publish_demo_report


class Command(BaseCommand):
    help = "Publishes one demo report from the demo suggestions (run after seed_demo). Development only."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("seed_demo_report is for development only and is refused when DJANGO_DEBUG is off.")
        version = publish_demo_report()
        if version is None:
            self.stdout.write("No themed suggestions yet; no demo report published.")
            return
        url = reverse("reports:version", args=[version.report_id, version.number])
        self.stdout.write(f"Demo report published: {settings.SITE_URL}{url}")
