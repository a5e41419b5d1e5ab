import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from suggestions.choices import Province, Role
from suggestions.models import Contact, Idea, Suggestion, Theme, ThemeMembership, Topic
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
