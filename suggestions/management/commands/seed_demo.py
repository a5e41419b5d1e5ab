from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from suggestions.demo import demo_suggestions
from suggestions.models import Suggestion, Topic
from suggestions.services import submit_suggestion

DEMO_PASSWORD = "demo-pass-1400"
# Two editors, because nobody approves a report they wrote: whichever editor drafts, the other approves.
DEMO_ACCOUNTS = [("reviewer", "reviewer"), ("editor", "editor"), ("editor2", "editor")]
DEMO_ROLES = {
    "reviewer": "reviews suggestions; drafts and submits reports",
    "editor": "approves and publishes reports the others submit; manages the topics in /admin/",
    "editor2": "a second editor: approves what editor drafts, and the other way round",
}
# The admin has something for editors (the topics of the call) and nothing for reviewers.
ADMIN_GROUPS = ("editor", "administrator")


class Command(BaseCommand):
    help = "Creates demo accounts and, on an empty database, demo suggestions. Development only."

    def add_arguments(self, parser):
        parser.add_argument("--suggestions", type=int, default=300)

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("seed_demo is for development only and is refused when DJANGO_DEBUG is off.")
        with transaction.atomic():
            for username, group_name in DEMO_ACCOUNTS:
                self._ensure_account(username, group_name)
        if Suggestion.objects.exists():
            self.stdout.write("Suggestions already exist; no demo suggestions added.")
        else:
            topics = {topic.slug: topic for topic in Topic.objects.all()}
            for row in demo_suggestions(options["suggestions"]):
                topic = topics.get(row.pop("topic_slug")) or topics["other"]
                submit_suggestion(topic=topic, source="demo", **row)
            self.stdout.write(f"Added {options['suggestions']} demo suggestions; the worker analyzes them.")
        for username, _ in DEMO_ACCOUNTS:
            self.stdout.write(f"Demo account: {username} / {DEMO_PASSWORD} ({DEMO_ROLES[username]})")

    def _ensure_account(self, username: str, group_name: str) -> None:
        group, _ = Group.objects.get_or_create(name=group_name)
        user, _ = get_user_model().objects.get_or_create(username=username)
        user.set_password(DEMO_PASSWORD)
        user.is_staff = group_name in ADMIN_GROUPS
        user.save()
        user.groups.add(group)
