"""Forms of the duplicate and theme boards. They parse input; the rules live in the services."""

from django import forms

from suggestions.models import GroupKind, Idea, Suggestion, Theme

NOT_FOUND = "این پیشنهاد پیدا نشد؛ شاید صفحه کهنه است. صفحه را تازه کنید."
THEME_NOT_FOUND = "این محور پیدا نشد یا دیگر فعال نیست؛ صفحه را تازه کنید."
IDEA_NOT_FOUND = "این ایده پیدا نشد یا دیگر فعال نیست؛ صفحه را تازه کنید."


class GroupFilterForm(forms.Form):
    kind = forms.ChoiceField(label="نوع", choices=[("", "همه"), *GroupKind.choices], required=False)
    sort = forms.ChoiceField(
        label="ترتیب", choices=[("size", "بزرگ‌ترین گروه"), ("recent", "تازه‌ترین دریافت")], required=False
    )

    def filters(self) -> dict[str, str]:
        if not self.is_valid():
            return {"kind": "", "sort": "size"}
        return {"kind": self.cleaned_data["kind"], "sort": self.cleaned_data["sort"] or "size"}


class MemberForm(forms.Form):
    suggestion = forms.ModelChoiceField(
        queryset=Suggestion.objects.all(),
        error_messages={"required": "پیشنهادی انتخاب نشده است.", "invalid_choice": NOT_FOUND},
    )


class RenameThemeForm(forms.Form):
    label = forms.CharField(label="عنوان تازه", required=False, strip=True)


def active_themes():
    return Theme.objects.filter(is_active=True).order_by("-size", "pk")


class MergeThemeForm(forms.Form):
    target = forms.ModelChoiceField(
        label="ادغام در محور",
        queryset=active_themes(),
        error_messages={"required": "محور مقصد را برگزینید.", "invalid_choice": THEME_NOT_FOUND},
    )


class SelectionForm(forms.Form):
    suggestions = forms.ModelMultipleChoiceField(
        queryset=Suggestion.objects.all(),
        error_messages={
            "required": "هیچ پیشنهادی انتخاب نشده است.",
            "invalid_choice": NOT_FOUND,
            "invalid_pk_value": NOT_FOUND,
        },
    )


class MoveForm(SelectionForm):
    target = forms.ModelChoiceField(
        label="انتقال به محور",
        queryset=active_themes(),
        error_messages={"required": "محور مقصد را برگزینید.", "invalid_choice": THEME_NOT_FOUND},
    )


class SplitThemeForm(SelectionForm):
    label = forms.CharField(label="عنوان محور تازه", required=False, strip=True)


class MergeIdeaForm(forms.Form):
    target = forms.ModelChoiceField(
        label="ادغام در ایده",
        queryset=Idea.objects.filter(is_active=True),
        error_messages={"required": "ایدهٔ مقصد را برگزینید.", "invalid_choice": IDEA_NOT_FOUND},
    )


class SplitIdeaForm(SelectionForm):
    label = forms.CharField(label="عنوان ایدهٔ تازه", required=False, strip=True)


class MoveIdeaForm(forms.Form):
    target = forms.ModelChoiceField(
        label="انتقال به محور",
        queryset=active_themes(),
        error_messages={"required": "محور مقصد را برگزینید.", "invalid_choice": THEME_NOT_FOUND},
    )


def first_error(form: forms.Form) -> str:
    for errors in form.errors.values():
        return errors[0]
    return ""
