import time
import uuid

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Div, Field, Fieldset, Layout, Submit
from django import forms
from django.conf import settings
from django.core import signing
from django.urls import reverse_lazy
from django.utils.functional import cached_property

from suggestions.choices import Province, Role
from suggestions.text import clean_user_text, normalize_mobile
from suggestions.topic_cache import active_topics, topic_by_pk
from suggestions.tracking import parse_tracking_code

_FORM_CLOCK_SALT = "suggestions.form-clock"


def _length_error(label: str, low: int, high: int) -> str:
    return f"{label} باید دست‌کم {low:,} و حداکثر {high:,} نویسه باشد.".translate(
        str.maketrans("0123456789,", "۰۱۲۳۴۵۶۷۸۹٬")
    )


class FixedChoiceField(forms.ChoiceField):
    """Choices fixed in the code. Django deep-copies every field's choices for each form it builds; these
    never change, so the copies share them (the 31 provinces were a fifth of a submission's form cost)."""

    def __deepcopy__(self, memo):
        result = forms.Field.__deepcopy__(self, memo)
        result._choices = self._choices
        return result


def _topic_choices():
    return [("", "انتخاب کنید"), *((topic.pk, topic.name) for topic in active_topics())]


class TopicField(forms.ChoiceField):
    """One of the active topics, from the list each process keeps (suggestions.topic_cache); cleans to the Topic."""

    def __init__(self, **kwargs):
        super().__init__(choices=_topic_choices, **kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        topic = topic_by_pk(value)
        if topic is None:
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice", params={"value": value}
            )
        return topic

    def validate(self, value):
        forms.Field.validate(self, value)  # membership was checked by to_python


class SuggestionForm(forms.Form):
    TITLE_LIMITS = (10, 150)
    BODY_LIMITS = (30, 5000)

    role = FixedChoiceField(label="شما در چه نقشی پیشنهاد می‌دهید؟", choices=Role.choices)
    province = FixedChoiceField(label="استان", choices=[("", "انتخاب کنید")] + Province.choices)
    topic = TopicField(label="موضوع")
    title = forms.CharField(label="عنوان پیشنهاد", max_length=400, strip=False)
    body = forms.CharField(label="متن پیشنهاد", widget=forms.Textarea(attrs={"rows": 8}), max_length=12000, strip=False)
    name = forms.CharField(label="نام (اختیاری)", required=False, max_length=120)
    email = forms.EmailField(
        label="رایانامه (اختیاری)",
        required=False,
        error_messages={"invalid": "نشانی رایانامه درست نیست؛ مانند name@example.com بنویسید."},
    )
    phone = forms.CharField(
        label="تلفن همراه (اختیاری)",
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "dir": "ltr"}),
    )
    consent = forms.BooleanField(label="می‌پذیرم که برای پیگیری همین پیشنهاد با من تماس گرفته شود.", required=False)
    # A field people never see; naive bots fill every input they find.
    website = forms.CharField(label="وب‌سایت", required=False)
    form_clock = forms.CharField(widget=forms.HiddenInput)
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            for name, value in self.fresh_hidden_values().items():
                self.initial.setdefault(name, value)
        self.fields["title"].widget.attrs.update({"maxlength": self.TITLE_LIMITS[1]})
        self.fields["body"].widget.attrs.update(
            {
                "maxlength": self.BODY_LIMITS[1],
                "hx-post": reverse_lazy("suggestions:similar"),
                "hx-trigger": "input changed delay:700ms",
                "hx-target": "#similar-suggestions",
                "hx-swap": "innerHTML",
            }
        )
        self.fields["website"].widget.attrs.update({"autocomplete": "off", "tabindex": "-1"})

    @cached_property
    def helper(self):
        # Built only when the form is drawn: a valid submission never is.
        helper = FormHelper()
        helper.form_id = "suggestion-form"
        helper.attrs = {"novalidate": ""}
        helper.layout = Layout(
            Fieldset(
                "پیشنهاد شما", "role", "province", "topic", "title", "body",
                HTML('<div id="similar-suggestions" aria-live="polite"></div>'),
            ),
            Fieldset(
                "راه تماس (اختیاری و محرمانه)",
                "name",
                "email",
                "phone",
                "consent",
                HTML('<p class="form-text">اطلاعات تماس هرگز منتشر نمی‌شود و پس از پایان دورهٔ نگهداری پاک می‌شود.</p>'),
            ),
            Div(Field("website"), css_class="visually-hidden", aria_hidden="true"),
            "form_clock",
            "idempotency_key",
            Submit("submit", "ثبت پیشنهاد", css_class="btn-primary btn-lg", data_once="1"),
        )
        return helper

    @staticmethod
    def fresh_hidden_values() -> dict[str, str]:
        """What makes each blank form unique: when it was handed out (signed) and its idempotency key."""
        return {
            "form_clock": signing.dumps(time.time(), salt=_FORM_CLOCK_SALT),
            "idempotency_key": str(uuid.uuid4()),
        }

    def _clean_text(self, name: str, label: str, limits: tuple[int, int]) -> str:
        value = clean_user_text(self.cleaned_data.get(name, ""))
        if not limits[0] <= len(value) <= limits[1]:
            raise forms.ValidationError(_length_error(label, *limits))
        return value

    def clean_title(self):
        return self._clean_text("title", "عنوان", self.TITLE_LIMITS)

    def clean_body(self):
        return self._clean_text("body", "متن پیشنهاد", self.BODY_LIMITS)

    def clean_name(self):
        return clean_user_text(self.cleaned_data.get("name", ""))

    def clean_phone(self):
        raw = self.cleaned_data.get("phone", "")
        if not raw.strip():
            return ""
        mobile = normalize_mobile(raw)
        if mobile is None:
            raise forms.ValidationError("شمارهٔ تلفن همراه درست نیست؛ مانند ۰۹۱۲۱۲۳۴۵۶۷ بنویسید.")
        return mobile

    def clean_website(self):
        if self.cleaned_data.get("website"):
            raise forms.ValidationError("این فرم را نمی‌توان به این شکل فرستاد.")
        return ""

    def clean_form_clock(self):
        try:
            started = float(signing.loads(self.cleaned_data["form_clock"], salt=_FORM_CLOCK_SALT))
        except (signing.BadSignature, TypeError, ValueError):
            raise forms.ValidationError("فرم معتبر نیست؛ لطفاً صفحه را دوباره باز کنید.") from None
        if time.time() - started < settings.FORM_MIN_FILL_SECONDS:
            raise forms.ValidationError("فرم خیلی سریع فرستاده شد؛ لطفاً چند ثانیه صبر کنید و دوباره بفرستید.")
        return started

    def clean(self):
        data = super().clean()
        has_contact = any(data.get(name) for name in ("name", "email", "phone"))
        if has_contact and not data.get("consent"):
            self.add_error("consent", "برای ثبت راه تماس، رضایت به تماس را تأیید کنید یا راه تماس را خالی بگذارید.")
        for hidden in ("form_clock", "website"):
            # Hidden fields cannot show their own error; the person sees it at the top of the form.
            if hidden in self.errors:
                for message in self.errors.pop(hidden):
                    self.add_error(None, message)
        return data

    def submission_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "role": data["role"],
            "province": data["province"],
            "topic": data["topic"],
            "title": data["title"],
            "body": data["body"],
            "name": data["name"],
            "email": data["email"],
            "phone": data["phone"],
            "consent": data["consent"],
            "idempotency_key": data["idempotency_key"],
        }


class TrackForm(forms.Form):
    code = forms.CharField(
        label="کد رهگیری",
        max_length=40,
        widget=forms.TextInput(
            attrs={"dir": "ltr", "inputmode": "numeric", "autocomplete": "off", "placeholder": "۱۲۳۴-۵۶۷۸-۹۰۱۲-۳۴۵۶"}
        ),
    )

    def clean_code(self):
        code = parse_tracking_code(self.cleaned_data["code"])
        if code is None:
            raise forms.ValidationError("کد رهگیری ۱۶ رقم است؛ آن را همان‌طور که در رسید آمده وارد کنید.")
        return code
