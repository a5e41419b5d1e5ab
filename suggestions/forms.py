import time
import uuid

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Div, Field, Fieldset, Layout, Submit
from django import forms
from django.conf import settings
from django.core import signing
from django.core.exceptions import NON_FIELD_ERRORS
from django.urls import reverse_lazy
from django.utils.crypto import salted_hmac
from django.utils.functional import cached_property

from common.persian import persian_number
from suggestions.choices import Province, Role
from suggestions.text import clean_user_text, normalize_mobile, says_something, visible_length
from suggestions.topic_cache import active_topics, topic_by_pk
from suggestions.tracking import parse_tracking_code

_FORM_CLOCK_SALT = "suggestions.form-clock"
_BROWSER_SALT = "suggestions.form-browser"
FORM_INVALID = "فرم معتبر نیست؛ لطفاً صفحه را دوباره باز کنید."
TOO_FAST = "فرم خیلی سریع فرستاده شد؛ لطفاً چند ثانیه صبر کنید و دوباره بفرستید."
KEY_REUSED = (
    "این فرم پیش‌تر با متن دیگری فرستاده شده و رسیدش صادر شده است؛ متن تازهٔ شما ثبت نشد و همین‌جا مانده است. "
    "اگر پیشنهاد دیگری است، دوباره «ثبت پیشنهاد» را بزنید."
)


def browser_tag(browser: str) -> str:
    """A short keyed digest of the browser's CSRF secret: the page may carry it, the secret it may not."""
    return salted_hmac(_BROWSER_SALT, browser, algorithm="sha256").hexdigest()[:20]


def _length_error(label: str, low: int, high: int) -> str:
    return f"{label} باید دست‌کم {persian_number(low)} و حداکثر {persian_number(high)} نویسه باشد."


class CappedCharField(forms.CharField):
    """A text field that never sends back more than its hard limit: an oversized post is refused, and the
    page that says so is not the post again (2.4 MB in, 2.4 MB out)."""

    def bound_data(self, data, initial):
        data = super().bound_data(data, initial)
        return data[: self.max_length] if isinstance(data, str) and self.max_length else data


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
    # The hard limits leave room for the ZWNJs and marks that Persian text carries beyond what it shows; the
    # limits people are told (TITLE_LIMITS, BODY_LIMITS) count what a reader sees.
    title = CappedCharField(
        label="عنوان پیشنهاد",
        max_length=400,
        strip=False,
        error_messages={"max_length": _length_error("عنوان", *TITLE_LIMITS)},
    )
    body = CappedCharField(
        label="متن پیشنهاد",
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=12000,
        strip=False,
        error_messages={"max_length": _length_error("متن پیشنهاد", *BODY_LIMITS)},
    )
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
    form_clock = forms.CharField(widget=forms.HiddenInput, error_messages={"required": FORM_INVALID})
    idempotency_key = forms.UUIDField(
        widget=forms.HiddenInput, error_messages={"required": FORM_INVALID, "invalid": FORM_INVALID}
    )

    def __init__(self, *args, browser: str = "", **kwargs):
        """browser: the CSRF secret of the browser that asked for or sent the form (the view passes it)."""
        super().__init__(*args, **kwargs)
        self.browser = browser
        if not self.is_bound:
            for name, value in self.fresh_hidden_values(browser=browser).items():
                self.initial.setdefault(name, value)
        self.fields["title"].widget.attrs.update({"maxlength": self.TITLE_LIMITS[1]})
        self.fields["body"].widget.attrs.update(
            {
                "maxlength": self.BODY_LIMITS[1],
                "hx-post": reverse_lazy("hints:similar"),
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
                "پیشنهاد شما",
                "role",
                "province",
                "topic",
                "title",
                "body",
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
    def fresh_hidden_values(*, browser: str, started: float | None = None, key: str | None = None) -> dict[str, str]:
        """What makes each blank form unique: its idempotency key, and a signed clock that holds when the form
        was handed out, that key and the browser it was handed to. Another browser cannot send it, nor send
        this browser's form with another key."""
        key = key or str(uuid.uuid4())
        clock = {"t": time.time() if started is None else started, "k": key, "b": browser_tag(browser)}
        return {"form_clock": signing.dumps(clock, salt=_FORM_CLOCK_SALT), "idempotency_key": key}

    def renew_hidden_values(self) -> None:
        """Give a refused form a new key (and a valid clock) so that sending it again can succeed. The clock
        keeps its start when it was valid: the person has been at the page since then."""
        started = self.cleaned_data.get("form_clock") if hasattr(self, "cleaned_data") else None
        self.data = self.data.copy()
        for name, value in self.fresh_hidden_values(browser=self.browser, started=started or time.time()).items():
            self.data[name] = value

    def _clean_text(self, name: str, label: str, limits: tuple[int, int]) -> str:
        value = clean_user_text(self.cleaned_data.get(name, ""))
        if not says_something(value):
            raise forms.ValidationError(
                f"{label} باید حرف یا رقم داشته باشد؛ نویسه‌های نامرئی، نشانه‌ها و شکلک‌ها به‌تنهایی پذیرفته نمی‌شوند."
            )
        if not limits[0] <= visible_length(value) <= limits[1]:
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
            clock = signing.loads(self.cleaned_data["form_clock"], salt=_FORM_CLOCK_SALT)
            started, key, tag = float(clock["t"]), str(clock["k"]), str(clock["b"])
        except (signing.BadSignature, TypeError, ValueError, KeyError):
            raise forms.ValidationError(FORM_INVALID, code="invalid") from None
        posted_key = self.data.get("idempotency_key", "")
        if tag != browser_tag(self.browser) or key != posted_key:
            # Another browser's form, or this form with a key it was not given.
            raise forms.ValidationError(FORM_INVALID, code="invalid")
        if time.time() - started < settings.FORM_MIN_FILL_SECONDS:
            raise forms.ValidationError(TOO_FAST, code="too_fast")
        return started

    def clean(self):
        data = super().clean()
        has_contact = any(data.get(name) for name in ("name", "email", "phone"))
        if has_contact and not data.get("consent"):
            self.add_error("consent", "برای ثبت راه تماس، رضایت به تماس را تأیید کنید یا راه تماس را خالی بگذارید.")
        for hidden in ("form_clock", "idempotency_key", "website"):
            # Hidden fields cannot show their own error; the person sees it at the top of the form.
            if hidden in self.errors:
                for error in self.errors.pop(hidden).as_data():
                    if error.messages[0] not in self.non_field_errors():
                        self.add_error(None, error)
        return data

    def has_invalid_hidden_values(self) -> bool:
        return FORM_INVALID in self.non_field_errors()

    @property
    def has_field_errors(self) -> bool:
        """Whether a field people can see needs a change (not only the form as a whole, e.g. sent too fast)."""
        return any(name != NON_FIELD_ERRORS for name in self.errors)

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


SUPPORT_NOT_THIS_BROWSER = "این صفحه در مرورگر دیگری باز شده است؛ لطفاً صفحهٔ حمایت را دوباره باز کنید."


class SupportForm(forms.Form):
    """Backing an idea that is already public: role and province are optional. The signed clock binds the page to
    the idea and to the browser it was handed to, as the suggestion form's clock does."""

    role = FixedChoiceField(
        label="نقش شما (اختیاری)", choices=[("", "ترجیح می‌دهم نگویم"), *Role.choices], required=False
    )
    province = FixedChoiceField(
        label="استان (اختیاری)", choices=[("", "ترجیح می‌دهم نگویم"), *Province.choices], required=False
    )
    form_clock = forms.CharField(widget=forms.HiddenInput, error_messages={"required": FORM_INVALID})

    def __init__(self, *args, browser: str, idea_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.browser, self.idea_id = browser, idea_id
        if not self.is_bound:
            clock = {"t": time.time(), "k": f"support:{idea_id}", "b": browser_tag(browser)}
            self.initial["form_clock"] = signing.dumps(clock, salt=_FORM_CLOCK_SALT)

    def clean_form_clock(self):
        try:
            clock = signing.loads(self.cleaned_data["form_clock"], salt=_FORM_CLOCK_SALT)
            key, tag = str(clock["k"]), str(clock["b"])
        except (signing.BadSignature, TypeError, KeyError):
            raise forms.ValidationError(FORM_INVALID, code="invalid") from None
        if key != f"support:{self.idea_id}":
            raise forms.ValidationError(FORM_INVALID, code="invalid")
        if not self.browser or tag != browser_tag(self.browser):
            raise forms.ValidationError(SUPPORT_NOT_THIS_BROWSER, code="other_browser")
        return clock

    @property
    def browser_digest(self) -> str:
        return browser_tag(self.browser)
