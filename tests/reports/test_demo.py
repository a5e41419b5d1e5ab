"""seed_demo_report publishes one demo report from the demo suggestions, once."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from reports.models import ReportVersion
from suggestions.demo import demo_suggestions
from suggestions.models import Topic
from suggestions.services import submit_suggestion

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_suggestions_sent(settings):
    settings.DEBUG = True
    topics = {topic.slug: topic for topic in Topic.objects.all()}
    for row in demo_suggestions(40):
        topic = topics.get(row.pop("topic_slug")) or topics["other"]
        submit_suggestion(topic=topic, source="demo", **row)


def test_seed_demo_report_publishes_one_report_a_newcomer_can_open(client, demo_suggestions_sent, settings):
    settings.RECLUSTER_MIN_SUGGESTIONS = 5
    call_command("seed_demo_report", stdout=io.StringIO())
    version = ReportVersion.objects.published().get()
    assert version.report.is_demo and version.content["sections"]
    assert all(section["quotes"] for section in version.content["sections"])
    assert version.approved_by.username == "editor" and version.author.username == "reviewer"
    assert client.get(reverse("reports:list")).content.decode().count(version.title) == 1
    assert client.get(reverse("reports:version", args=[version.report_id, 1])).status_code == 200

    call_command("seed_demo_report", stdout=io.StringIO())
    assert ReportVersion.objects.count() == 1


def test_seed_demo_report_is_refused_when_debug_is_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("seed_demo_report")
