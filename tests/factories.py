"""Rows as the product leaves them, written straight to the tables.

The analyzed, grouped and themed states are those `suggestions.grouping` (the one writer of duplicate groups,
themes, memberships and ideas) and the analysis task leave behind, computed here without running the pipeline:
no band index, no clustering, no scikit-learn. Tests of the pipeline itself live in `tests/suggestions/`."""

from datetime import timedelta
from itertools import count

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Count
from django.utils import timezone

from reports.models import Report, ReportStatus, ReportVersion
from review.models import Review, ReviewStatus
from suggestions import analysis
from suggestions.choices import Province, Role, State
from suggestions.models import (
    Contact,
    DuplicateGroup,
    GroupKind,
    Idea,
    SimilarSuggestion,
    Suggestion,
    Support,
    Theme,
    ThemeMembership,
    Topic,
)
from suggestions.tracking import new_tracking_code


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", "pass-1400-word")

    @factory.post_generation
    def groups(self, create, names, **kwargs):
        for name in names or []:
            self.groups.add(Group.objects.get_or_create(name=name)[0])
        self.save()


class SuggestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Suggestion

    tracking_code = factory.LazyFunction(new_tracking_code)
    role = Role.CITIZEN
    province = Province.TEHRAN
    topic = factory.LazyFunction(lambda: Topic.objects.get(slug="voting-procedures"))
    title = "تمدید ساعت رأی‌گیری تا نیمه‌شب"
    body = factory.Sequence(lambda n: f"پیشنهاد می‌کنم ساعت رأی‌گیری تا نیمه‌شب تمدید شود تا ازدحام کم شود. شمارهٔ {n}")


class AnalyzedSuggestionFactory(SuggestionFactory):
    """A suggestion as the analysis task leaves it before any grouping: analyzed, with its display and match
    forms, fingerprint and MinHash signature stored; in no duplicate group, theme or idea."""

    state = State.ANALYZED
    analyzed_at = factory.LazyFunction(timezone.now)
    normalized_text = factory.LazyAttribute(lambda s: analysis.display_form(f"{s.title}\n{s.body}"))
    match_text = factory.LazyAttribute(lambda s: analysis.match_form(s.normalized_text))
    fingerprint = factory.LazyAttribute(lambda s: analysis.fingerprint(s.normalized_text))
    signature = factory.LazyAttribute(lambda s: analysis.signature_to_bytes(analysis.signature(s.normalized_text)))

    class Meta:
        skip_postgeneration_save = True

    @factory.post_generation
    def similar(self, create, others, **kwargs):
        """`similar=[suggestion, ...]`: its stored similar list, best first, as the analysis writes it (rank from
        0, each scored by its estimated word overlap)."""
        own = analysis.signature_from_bytes(self.signature)
        SimilarSuggestion.objects.bulk_create(
            SimilarSuggestion(
                suggestion=self,
                other=other,
                rank=rank,
                score=float(analysis.estimated_jaccard(own, analysis.signature_from_bytes(other.signature))),
            )
            for rank, other in enumerate(others or [])
        )


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    suggestion = factory.SubFactory(SuggestionFactory)
    name = "مریم احمدی"
    email = "maryam@example.ir"
    phone = "09121234567"
    consent = True
    purge_after = factory.LazyAttribute(lambda contact: Contact.purge_date_from(contact.suggestion.created_at))


class ThemeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Theme

    label = factory.Sequence(lambda n: f"محور آزمایشی {n}")


class IdeaFactory(factory.django.DjangoModelFactory):
    """An idea in a theme. Give it members with `members=[suggestion, ...]` (each also placed in its theme)."""

    class Meta:
        model = Idea
        skip_postgeneration_save = True

    label = factory.Sequence(lambda n: f"ایدهٔ آزمایشی {n}")
    theme = factory.SubFactory(ThemeFactory)

    @factory.post_generation
    def members(self, create, suggestions, **kwargs):
        for suggestion in suggestions or []:
            Suggestion.objects.filter(pk=suggestion.pk).update(idea=self)
            suggestion.idea = self
            if self.theme_id:
                ThemeMembership.objects.update_or_create(suggestion=suggestion, defaults={"theme_id": self.theme_id})
        if suggestions:
            self.size = Suggestion.objects.filter(idea=self).count()
            self.save(update_fields=["size"])
            if self.theme_id:
                theme_size = ThemeMembership.objects.filter(theme_id=self.theme_id).count()
                Theme.objects.filter(pk=self.theme_id).update(size=theme_size)


class ThemeMembershipFactory(factory.django.DjangoModelFactory):
    """A suggestion placed in a theme, the machine's choice unless `source` says a reviewer's; the theme's size
    is recounted afterwards, as `suggestions.grouping` does after every placement."""

    class Meta:
        model = ThemeMembership

    suggestion = factory.SubFactory(AnalyzedSuggestionFactory)
    theme = factory.SubFactory(ThemeFactory)
    score = 0.5
    source = ThemeMembership.Source.MACHINE

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        membership, _ = model_class.objects.update_or_create(suggestion=kwargs.pop("suggestion"), defaults=kwargs)
        recount_themes()
        return membership


def recount_themes() -> None:
    """Every theme's size from its memberships, as `grouping._recount` leaves it."""
    sizes = dict(ThemeMembership.objects.values_list("theme_id").annotate(n=Count("pk")))
    for theme in Theme.objects.only("pk", "size"):
        if theme.size != sizes.get(theme.pk, 0):
            Theme.objects.filter(pk=theme.pk).update(size=sizes.get(theme.pk, 0))


def themed(*, label: str, keywords: list[str], bodies: list[str], title: str = "پیشنهاد برای انتخابات") -> Theme:
    """An active theme of a finished re-clustering: one analyzed suggestion per body, machine placements,
    its size counted."""
    theme = ThemeFactory(label=label, keywords=keywords)
    for body in bodies:
        ThemeMembershipFactory(theme=theme, suggestion=AnalyzedSuggestionFactory(title=title, body=body))
    theme.refresh_from_db()
    return theme


_copied_texts = count(1)


class DuplicateGroupFactory(factory.django.DjangoModelFactory):
    """A duplicate group as `suggestions.grouping` leaves it after the analysis joined its members: the earliest
    member is the canonical one (score 1.0), every other member carries its estimated similarity to it, and
    size, first and last time seen, lowest score and kind are counted from the members.

    `members` are analyzed suggestions (made with `AnalyzedSuggestionFactory`); without them, two copies of one
    text make an exact group. A field given (`kind="campaign"`) stands instead of the counted one."""

    class Meta:
        model = DuplicateGroup

    @classmethod
    def _create(cls, model_class, *args, members=None, **kwargs):
        if members is None:
            body = f"پیشنهاد می‌کنم صندوق‌های سیار به روستاهای دور بروند. متن تکراری {next(_copied_texts)}"
            members = [AnalyzedSuggestionFactory(body=body), AnalyzedSuggestionFactory(body=body)]
        if len(members) < 2:
            raise ValueError("one suggestion alone is no group")
        members = sorted(members, key=lambda s: (s.created_at, s.pk))
        canonical = members[0]
        base = analysis.signature_from_bytes(canonical.signature)
        scores = {
            s.pk: 1.0
            if s.pk == canonical.pk
            else float(analysis.estimated_jaccard(analysis.signature_from_bytes(s.signature), base))
            for s in members
        }
        counted = {
            "size": len(members),
            "first_seen": members[0].created_at,
            "last_seen": members[-1].created_at,
            "score": min(scores.values()),
            "kind": GroupKind(analysis.group_kind([s.fingerprint for s in members])),
        }
        group = model_class.objects.create(canonical=canonical, **{**counted, **kwargs})
        for member in members:
            Suggestion.objects.filter(pk=member.pk).update(duplicate_group=group, duplicate_score=scores[member.pk])
            member.duplicate_group, member.duplicate_score = group, scores[member.pk]
        return group


class ReviewFactory(factory.django.DjangoModelFactory):
    """What reviewers made of a suggestion; pending unless told. A decided status gets its decider and time."""

    class Meta:
        model = Review

    suggestion = factory.SubFactory(AnalyzedSuggestionFactory)
    status = ReviewStatus.PENDING
    decided_by = factory.Maybe(
        factory.LazyAttribute(lambda r: r.status != ReviewStatus.PENDING),
        yes_declaration=factory.SubFactory(UserFactory, groups=["reviewer"]),
        no_declaration=None,
    )
    decided_at = factory.Maybe(
        factory.LazyAttribute(lambda r: r.status != ReviewStatus.PENDING),
        yes_declaration=factory.LazyFunction(timezone.now),
        no_declaration=None,
    )


class SupportFactory(factory.django.DjangoModelFactory):
    """A citizen's backing of an idea (the suggestion standing for it), from one browser."""

    class Meta:
        model = Support

    idea = factory.SubFactory(AnalyzedSuggestionFactory)
    tracking_code = factory.LazyFunction(new_tracking_code)
    idea_text = factory.LazyAttribute(lambda s: s.idea.title)
    role = Role.CITIZEN
    province = Province.TEHRAN
    browser = factory.Sequence(lambda n: f"browser-{n}")


class ReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Report


class ReportVersionFactory(factory.django.DjangoModelFactory):
    """A draft version of a new report over the last thirty days, written by an editor. Published versions are
    frozen by `reports.services` from their content: make them through the service, not here."""

    class Meta:
        model = ReportVersion
        skip_postgeneration_save = True

    report = factory.SubFactory(ReportFactory)
    number = 1
    status = ReportStatus.DRAFT
    title = factory.Sequence(lambda n: f"گزارش آزمایشی {n}")
    period_end = factory.LazyFunction(lambda: timezone.now().replace(microsecond=0))
    period_start = factory.LazyAttribute(lambda v: v.period_end - timedelta(days=30))
    author = factory.SubFactory(UserFactory, groups=["editor"])

    @factory.post_generation
    def themes(self, create, themes, **kwargs):
        if themes:
            self.themes.set(themes)
