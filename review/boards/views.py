"""Duplicate groups, campaigns and the themes board. Each view parses input, calls one service and picks a
response: an htmx partial when htmx asked, otherwise the full page (after a change, a redirect to it)."""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from common.htmx import is_htmx, redirect_htmx, render_htmx
from common.persian import persian_number as fa_number
from review.boards import queries, services
from review.boards.forms import (
    GroupFilterForm,
    MemberForm,
    MergeIdeaForm,
    MergeThemeForm,
    MoveForm,
    MoveIdeaForm,
    RenameThemeForm,
    SplitIdeaForm,
    SplitThemeForm,
    first_error,
)
from review.boards.progress import recluster_progress as read_progress
from review.boards.services import BoardError
from review.roles import REVIEW_ROLES, require_role, role_required
from suggestions.choices import Province
from suggestions.models import DuplicateGroup, GroupKind, Idea, Theme

review_staff = role_required(*REVIEW_ROLES)

GROUPS_PER_PAGE = 25
MEMBERS_PER_PAGE = 20
THEME_MEMBERS_PER_PAGE = 50
IDEAS_PER_PAGE = 20
WORDINGS_PER_PAGE = 30


def valid_data(form: forms.Form) -> dict:
    """The form's cleaned data; a form that fails is refused like a service would, with its first message."""
    if not form.is_valid():
        raise BoardError(first_error(form))
    return form.cleaned_data


# Duplicate groups ---------------------------------------------------------------------------------------


@review_staff
@require_GET
def group_list(request):
    filters = GroupFilterForm(request.GET).filters()
    page = Paginator(queries.duplicate_groups(**filters), GROUPS_PER_PAGE).get_page(request.GET.get("page"))
    counts = queries.group_counts_by_kind()
    context = {
        "staff_section": "duplicates",
        "page": page,
        "filters": filters,
        "kinds": [(value, label, counts[value]) for value, label in [("", "همه"), *GroupKind.choices]],
    }
    return render_htmx(
        request, full="review/boards/group_list.html", partial="review/boards/_group_list.html", context=context
    )


def group_context(request, group: DuplicateGroup, **extra) -> dict:
    members = Paginator(queries.members_of(group), MEMBERS_PER_PAGE).get_page(request.GET.get("page"))
    return {
        "staff_section": "duplicates",
        "group": group,
        "canonical": group.canonical,
        "members": members,
        "rows": queries.compared_with(group.canonical, members),
        **extra,
    }


def get_group_for_reviewer_or_404(user, pk: int) -> DuplicateGroup:
    require_role(user, *REVIEW_ROLES)
    return get_object_or_404(DuplicateGroup.objects.select_related("canonical"), pk=pk)


@review_staff
@require_GET
def group_detail(request, pk: int):
    group = get_group_for_reviewer_or_404(request.user, pk)
    return render_htmx(
        request,
        full="review/boards/group_detail.html",
        partial="review/boards/_group_board.html",
        context=group_context(request, group),
    )


@review_staff
@require_GET
def campaign(request, pk: int):
    group = get_group_for_reviewer_or_404(request.user, pk)
    provinces = dict(Province.choices)
    context = {
        "staff_section": "duplicates",
        "group": group,
        "sample": queries.campaign_sample(group),
        "provinces": [(provinces.get(code, "نامشخص"), count) for code, count in queries.campaign_provinces(group)],
    }
    return render(request, "review/boards/campaign.html", context)


def edit_group(request, pk: int, service, *, done: str) -> HttpResponse:
    group = get_group_for_reviewer_or_404(request.user, pk)
    try:
        data = valid_data(MemberForm(request.POST))
        kept = service(group=group, suggestion=data["suggestion"], actor=request.user)
    except BoardError as error:
        return render_htmx(
            request,
            full="review/boards/group_detail.html",
            partial="review/boards/_group_board.html",
            context=group_context(request, group, error=str(error)),
            status=400,
        )
    if kept is None:
        messages.success(request, f"{done} گروه با یک عضو باقی‌مانده برچیده شد.")
        return redirect_htmx(request, reverse("boards:group_list"))
    if not is_htmx(request):
        messages.success(request, done)
        return redirect("boards:group_detail", pk=kept.pk)
    kept = get_group_for_reviewer_or_404(request.user, kept.pk)
    return render(request, "review/boards/_group_board.html", group_context(request, kept, notice=done))


@review_staff
@require_POST
def group_canonical(request, pk: int):
    return edit_group(request, pk, services.choose_canonical, done="نمونهٔ اصلی گروه عوض شد.")


@review_staff
@require_POST
def group_split(request, pk: int):
    return edit_group(request, pk, services.split_member, done="پیشنهاد از گروه جدا شد.")


@review_staff
@require_POST
def group_not_duplicate(request, pk: int):
    return edit_group(
        request,
        pk,
        services.mark_not_duplicate,
        done="پیشنهاد از گروه جدا شد و تحلیل دیگر آن را با اعضای این گروه یکی نمی‌کند.",
    )


# Themes -------------------------------------------------------------------------------------------------


def with_samples(themes: list[Theme]) -> list[Theme]:
    samples = queries.theme_samples(themes)
    backers = queries.supporters_by_theme(theme.pk for theme in themes)
    ideas = queries.top_ideas_by_theme(theme.pk for theme in themes)
    for theme in themes:
        theme.samples = samples.get(theme.pk, [])
        theme.supporters = backers.get(theme.pk, 0)
        theme.top_ideas = ideas.get(theme.pk, [])
    return themes


@review_staff
@require_GET
def theme_board(request):
    themes = with_samples(list(queries.board_themes()))
    context = {"staff_section": "themes", "themes": themes, "total": sum(theme.size for theme in themes)}
    return render(request, "review/boards/theme_board.html", context)


def theme_context(request, theme: Theme, **extra) -> dict:
    members = Paginator(queries.theme_members(theme), THEME_MEMBERS_PER_PAGE).get_page(request.GET.get("page"))
    return {
        "staff_section": "themes",
        "theme": theme,
        "theme_supporters": queries.supporters_by_theme([theme.pk]).get(theme.pk, 0),
        "members": members,
        "ideas": Paginator(queries.theme_ideas(theme), IDEAS_PER_PAGE).get_page(request.GET.get("ideas_page")),
        "other_themes": queries.board_themes().exclude(pk=theme.pk).only("pk", "label", "size"),
        **extra,
    }


@review_staff
@require_GET
def theme_detail(request, pk: int):
    theme = get_object_or_404(Theme, pk=pk, is_active=True)
    return render_htmx(
        request,
        full="review/boards/theme_detail.html",
        partial="review/boards/_theme_page.html",
        context=theme_context(request, theme),
    )


def theme_response(request, theme: Theme, *, notice: str = "", error: str = "", **extra) -> HttpResponse:
    status = 400 if error else 200
    if not error and not is_htmx(request):
        messages.success(request, notice)
        return redirect("boards:theme_detail", pk=theme.pk)
    if request.POST.get("part") == "card" and is_htmx(request):
        # The rename form on a board card answers with that card alone.
        context = {"theme": with_samples([theme])[0], "notice": notice, "error": error}
        return render(request, "review/boards/_theme_card.html", context, status=status)
    return render_htmx(
        request,
        full="review/boards/theme_detail.html",
        partial="review/boards/_theme_page.html",
        context=theme_context(request, theme, notice=notice, error=error, **extra),
        status=status,
    )


@review_staff
@require_POST
def theme_rename(request, pk: int):
    theme = get_object_or_404(Theme, pk=pk)
    form = RenameThemeForm(request.POST)
    label = form.cleaned_data["label"] if form.is_valid() else ""
    try:
        theme = services.rename_theme(theme=theme, label=label, actor=request.user)
    except BoardError as error:
        return theme_response(request, theme, error=str(error))
    return theme_response(request, theme, notice="عنوان محور ذخیره شد.")


@review_staff
@require_POST
def theme_merge(request, pk: int):
    source = get_object_or_404(Theme, pk=pk)
    try:
        data = valid_data(MergeThemeForm(request.POST))
        target = services.merge_themes(source=source, target=data["target"], actor=request.user)
    except BoardError as error:
        return theme_response(request, source, error=str(error))
    messages.success(request, f"محور «{source.label}» در این محور ادغام شد.")
    return redirect_htmx(request, reverse("boards:theme_detail", args=[target.pk]))


@review_staff
@require_POST
def theme_move(request, pk: int):
    theme = get_object_or_404(Theme, pk=pk)
    try:
        data = valid_data(MoveForm(request.POST))
        target = data["target"]
        moved = services.move_to_theme(
            suggestions=data["suggestions"], from_theme=theme, to_theme=target, actor=request.user
        )
    except BoardError as error:
        return theme_response(request, theme, error=str(error))
    notice = f"{fa_number(moved)} پیشنهاد به محور «{target.label}» رفت."
    theme.refresh_from_db()
    if not theme.is_active:
        messages.success(request, f"{notice} این محور خالی شد و کنار رفت.")
        return redirect_htmx(request, reverse("boards:theme_detail", args=[target.pk]))
    return theme_response(request, theme, notice=notice)


@review_staff
@require_POST
def theme_split(request, pk: int):
    theme = get_object_or_404(Theme, pk=pk)
    try:
        data = valid_data(SplitThemeForm(request.POST))
        new_theme = services.split_theme(
            theme=theme,
            suggestions=data["suggestions"],
            label=data["label"],
            actor=request.user,
        )
    except BoardError as error:
        return theme_response(request, theme, error=str(error))
    theme.refresh_from_db()
    notice = f"{fa_number(new_theme.size)} پیشنهاد به محور تازهٔ «{new_theme.label}» رفت."
    return theme_response(request, theme, notice=notice, new_theme=new_theme)


# Ideas --------------------------------------------------------------------------------------------------


def get_active_idea_for_reviewer_or_404(user, pk: int) -> Idea:
    require_role(user, *REVIEW_ROLES)
    return get_object_or_404(Idea.objects.active().with_people().select_related("theme"), pk=pk)


def idea_context(request, idea: Idea, **extra) -> dict:
    wordings = Paginator(queries.idea_wordings(idea), WORDINGS_PER_PAGE).get_page(request.GET.get("page"))
    return {
        "staff_section": "themes",
        "idea": idea,
        "wordings": wordings,
        "merge_targets": queries.ideas_to_merge_with(idea),
        "other_themes": queries.board_themes().exclude(pk=idea.theme_id).only("pk", "label", "size"),
        **extra,
    }


@review_staff
@require_GET
def idea_detail(request, pk: int):
    idea = get_active_idea_for_reviewer_or_404(request.user, pk)
    return render_htmx(
        request,
        full="review/boards/idea_detail.html",
        partial="review/boards/_idea_page.html",
        context=idea_context(request, idea),
    )


def idea_refused(request, idea: Idea, error: str) -> HttpResponse:
    return render_htmx(
        request,
        full="review/boards/idea_detail.html",
        partial="review/boards/_idea_page.html",
        context=idea_context(request, get_active_idea_for_reviewer_or_404(request.user, idea.pk), error=error),
        status=400,
    )


def idea_changed(request, idea: Idea, notice: str, **extra) -> HttpResponse:
    if not is_htmx(request):
        messages.success(request, notice)
        return redirect("boards:idea_detail", pk=idea.pk)
    context = idea_context(request, get_active_idea_for_reviewer_or_404(request.user, idea.pk), notice=notice, **extra)
    return render(request, "review/boards/_idea_page.html", context)


@review_staff
@require_POST
def idea_merge(request, pk: int):
    source = get_active_idea_for_reviewer_or_404(request.user, pk)
    try:
        data = valid_data(MergeIdeaForm(request.POST))
        target = services.merge_ideas(source=source, target=data["target"], actor=request.user)
    except BoardError as error:
        return idea_refused(request, source, str(error))
    messages.success(request, f"ایدهٔ «{source.label}» در این ایده ادغام شد.")
    return redirect_htmx(request, reverse("boards:idea_detail", args=[target.pk]))


@review_staff
@require_POST
def idea_split(request, pk: int):
    idea = get_active_idea_for_reviewer_or_404(request.user, pk)
    try:
        data = valid_data(SplitIdeaForm(request.POST))
        new_idea = services.split_idea(
            idea=idea,
            suggestions=data["suggestions"],
            label=data["label"],
            actor=request.user,
        )
    except BoardError as error:
        return idea_refused(request, idea, str(error))
    notice = f"{fa_number(new_idea.size)} پیشنهاد به ایدهٔ تازهٔ «{new_idea.label}» رفت."
    return idea_changed(request, idea, notice, new_idea=new_idea)


@review_staff
@require_POST
def idea_move(request, pk: int):
    idea = get_active_idea_for_reviewer_or_404(request.user, pk)
    try:
        data = valid_data(MoveIdeaForm(request.POST))
        target = data["target"]
        idea = services.move_idea_to_theme(idea=idea, theme=target, actor=request.user)
    except BoardError as error:
        return idea_refused(request, idea, str(error))
    return idea_changed(request, idea, f"این ایده با {fa_number(idea.size)} پیشنهادش به محور «{target.label}» رفت.")


# Re-clustering ------------------------------------------------------------------------------------------


@review_staff
@require_POST
def recluster_start(request):
    task_id = services.start_reclustering(actor=request.user)
    if is_htmx(request):
        context = {"task_id": task_id, "progress": read_progress(task_id)}
        return render(request, "review/boards/_recluster_progress.html", context)
    return redirect("boards:recluster_progress", task_id=task_id)


@review_staff
@require_GET
def recluster_progress(request, task_id):
    task_id = str(task_id)
    if not services.was_started(task_id):
        raise Http404("no re-clustering was started with this id")
    context = {"staff_section": "themes", "task_id": task_id, "progress": read_progress(task_id)}
    return render_htmx(
        request, full="review/boards/recluster.html", partial="review/boards/_recluster_progress.html", context=context
    )
