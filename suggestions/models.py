from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models.functions import Coalesce
from django.utils import timezone

from suggestions.choices import Province, Role, State
from suggestions.tracking import display_tracking_code


class Topic(models.Model):
    slug = models.SlugField("شناسه", unique=True)
    name = models.CharField("نام", max_length=120)
    position = models.PositiveSmallIntegerField("ترتیب", default=0)
    is_active = models.BooleanField("فعال", default=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = "موضوع"
        verbose_name_plural = "موضوع‌ها"

    def __str__(self):
        return self.name


class SuggestionQuerySet(models.QuerySet):
    def unprocessed(self):
        return self.filter(state__in=[State.RECEIVED, State.ANALYZING])

    def stuck(self, *, older_than: timedelta):
        return self.unprocessed().filter(state_changed_at__lt=timezone.now() - older_than)

    def analyzed(self):
        return self.filter(state=State.ANALYZED)

    def oldest_first(self):
        return self.order_by("created_at", "id")


class Suggestion(models.Model):
    tracking_code = models.CharField("کد رهگیری", max_length=16, unique=True, editable=False)
    role = models.CharField("نقش فرستنده", max_length=32, choices=Role.choices)
    # Blank only for suggestions imported from paper or elsewhere without a province.
    province = models.CharField("استان", max_length=32, choices=Province.choices, blank=True)
    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="suggestions", verbose_name="موضوع")
    title = models.CharField("عنوان", max_length=150)
    body = models.TextField("متن پیشنهاد")
    normalized_text = models.TextField("متن یکسان‌شده", blank=True, default="")
    match_text = models.TextField("صورت مقایسه", blank=True, default="")
    fingerprint = models.CharField("اثر انگشت", max_length=32, blank=True, default="", db_index=True)
    signature = models.BinaryField("امضای MinHash", null=True, blank=True, editable=False)
    # What the text proposes (``analysis.ideas.proposal_key``), made once when it is analyzed: texts with one key
    # are one idea. Null for a text analyzed before it was stored; the re-clustering makes those from the text.
    proposal_key = models.BigIntegerField("کلید پیشنهاد", null=True, blank=True, editable=False)
    duplicate_group = models.ForeignKey(
        "DuplicateGroup",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
        verbose_name="گروه تکراری",
    )
    duplicate_score = models.FloatField("شباهت به نمونهٔ اصلی", null=True, blank=True)
    idea = models.ForeignKey(
        "Idea", null=True, blank=True, on_delete=models.SET_NULL, related_name="members", verbose_name="ایده"
    )
    # A reviewer put this suggestion in its idea (merging or splitting ideas): re-clustering keeps it there.
    idea_by_reviewer = models.BooleanField("ایده را کارشناس برگزیده", default=False)
    state = models.CharField("وضعیت پردازش", max_length=16, choices=State.choices, default=State.RECEIVED)
    attempts = models.PositiveSmallIntegerField("تعداد تلاش", default=0)
    # Set only when the broker refused the task at submit time; the next sweep enqueues it at once.
    awaiting_enqueue = models.BooleanField("در انتظار صف", default=False)
    last_error = models.CharField("آخرین خطا", max_length=200, blank=True, default="")
    ip_hash = models.CharField(max_length=64, blank=True, default="", editable=False)
    idempotency_key = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    source = models.CharField("منبع", max_length=16, default="web", editable=False)
    created_at = models.DateTimeField("زمان ثبت", default=timezone.now, db_index=True)
    state_changed_at = models.DateTimeField("زمان تغییر وضعیت", default=timezone.now)
    analyzed_at = models.DateTimeField("زمان تحلیل", null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SuggestionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "پیشنهاد"
        verbose_name_plural = "پیشنهادها"
        indexes = [
            models.Index(fields=["state", "state_changed_at"], name="suggestion_state_age"),
            # The reviewer queue filters by these, alone and together, over a million rows.
            models.Index(fields=["province", "created_at"], name="suggestion_province_age"),
            models.Index(fields=["role", "created_at"], name="suggestion_role_age"),
        ]

    def __str__(self):
        return self.title

    @property
    def display_code(self) -> str:
        return display_tracking_code(self.tracking_code)


class Contact(models.Model):
    """How to reach a submitter. Never shown publicly; purged after the retention period."""

    suggestion = models.OneToOneField(Suggestion, on_delete=models.CASCADE, related_name="contact")
    name = models.CharField("نام", max_length=120, blank=True, default="")
    email = models.EmailField("رایانامه", blank=True, default="")
    phone = models.CharField("تلفن همراه", max_length=11, blank=True, default="")
    consent = models.BooleanField("رضایت به تماس", default=False)
    purge_after = models.DateField("تاریخ پاک‌سازی", db_index=True)

    class Meta:
        verbose_name = "اطلاعات تماس"
        verbose_name_plural = "اطلاعات تماس"

    def __str__(self):
        return f"تماس پیشنهاد {self.suggestion_id}"

    @staticmethod
    def purge_date_from(moment) -> "timezone.datetime.date":
        return (moment + timedelta(days=settings.CONTACT_RETENTION_DAYS)).date()


class GroupKind(models.TextChoices):
    EXACT = "exact", "تکراری دقیق"
    NEAR = "near", "تقریباً تکراری"
    CAMPAIGN = "campaign", "کارزار کپی‌شده"


class DuplicateGroup(models.Model):
    """Suggestions that say the same thing in (nearly) the same words; a large one is a campaign."""

    kind = models.CharField("نوع", max_length=16, choices=GroupKind.choices, default=GroupKind.EXACT)
    canonical = models.ForeignKey("Suggestion", on_delete=models.PROTECT, related_name="+", verbose_name="نمونهٔ اصلی")
    score = models.FloatField("کمترین شباهت", default=1.0)
    size = models.PositiveIntegerField("تعداد", default=1)
    first_seen = models.DateTimeField("نخستین دریافت", default=timezone.now)
    last_seen = models.DateTimeField("آخرین دریافت", default=timezone.now)
    canonical_chosen_by_reviewer = models.BooleanField(default=False)

    class Meta:
        verbose_name = "گروه تکراری"
        verbose_name_plural = "گروه‌های تکراری"

    def __str__(self):
        return f"{self.get_kind_display()} ({self.size})"


class Theme(models.Model):
    """A theme of the collection. Identities survive re-clustering; reviewer edits are kept."""

    label = models.CharField("عنوان", max_length=200)
    keywords = models.JSONField("کلیدواژه‌ها", default=list, blank=True)
    size = models.PositiveIntegerField("تعداد", default=0)
    version = models.PositiveIntegerField("نسخهٔ خوشه‌بندی", default=1)
    label_edited = models.BooleanField("عنوان را کارشناس نوشته", default=False)
    is_active = models.BooleanField("فعال", default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-size", "id"]
        verbose_name = "محور"
        verbose_name_plural = "محورها"

    def __str__(self):
        return self.label


class IdeaQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True, size__gt=0)

    def in_theme(self, theme: "Theme"):
        return self.filter(theme=theme)

    def with_people(self):
        """`people`: everyone who proposed or backed the idea: its suggestions, and the browsers that backed any of
        them, each once (one browser may have backed two texts of the idea before they were found to be one)."""
        backers = (
            Support.objects.filter(idea__idea_id=models.OuterRef("pk"))
            .order_by()
            .values("idea__idea_id")
            .annotate(n=models.Count("browser", distinct=True))
            .values("n")
        )
        supporters = Coalesce(models.Subquery(backers), 0)
        return self.annotate(supporters=supporters, people=models.F("size") + supporters)

    def largest_first(self):
        return self.order_by("-size", "pk")


class Idea(models.Model):
    """Suggestions that propose the same thing in their own words: above duplicate groups, below themes, and the
    level reviewers and the public count. Its id is stable across re-clusterings (the idea that continues it keeps
    it), and it lies in exactly one theme. Written only by `suggestions.grouping`."""

    label = models.CharField("عنوان", max_length=300)
    label_edited = models.BooleanField("عنوان را کارشناس نوشته", default=False)
    theme = models.ForeignKey(
        Theme, null=True, blank=True, on_delete=models.SET_NULL, related_name="ideas", verbose_name="محور"
    )
    # Suggestions in the idea; the people behind it add its supporters (IdeaQuerySet.with_people).
    size = models.PositiveIntegerField("تعداد پیشنهاد", default=0)
    is_active = models.BooleanField("فعال", default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = IdeaQuerySet.as_manager()

    class Meta:
        ordering = ["-size", "id"]
        verbose_name = "ایده"
        verbose_name_plural = "ایده‌ها"
        indexes = [models.Index(fields=["theme", "is_active", "size"], name="idea_theme_size")]

    def __str__(self):
        return self.label


class ThemeMembership(models.Model):
    class Source(models.TextChoices):
        MACHINE = "machine", "خوشه‌بندی"
        REVIEWER = "reviewer", "کارشناس"

    suggestion = models.OneToOneField(Suggestion, on_delete=models.CASCADE, related_name="theme_membership")
    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="memberships")
    score = models.FloatField(default=0.0)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.MACHINE)
    assigned_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "عضویت در محور"
        verbose_name_plural = "عضویت در محورها"
        indexes = [models.Index(fields=["theme", "source"], name="membership_theme_source")]

    def __str__(self):
        return f"{self.suggestion_id} → {self.theme_id}"


class SimilarSuggestion(models.Model):
    """The few existing suggestions most like one suggestion, best first."""

    suggestion = models.ForeignKey(Suggestion, on_delete=models.CASCADE, related_name="similar_links")
    other = models.ForeignKey(Suggestion, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField()
    rank = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["suggestion", "rank"]
        constraints = [models.UniqueConstraint(fields=["suggestion", "other"], name="similar_once")]

    def __str__(self):
        return f"{self.suggestion_id} ~ {self.other_id} ({self.score:.2f})"


class SeparatePair(models.Model):
    """A reviewer said these two are not duplicates: the analysis never merges them again."""

    first = models.ForeignKey(Suggestion, on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey(Suggestion, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="separate_pair_once"),
            models.CheckConstraint(condition=models.Q(first__lt=models.F("second")), name="separate_pair_ordered"),
        ]

    def __str__(self):
        return f"{self.first_id} ≠ {self.second_id}"


class ThemeSnapshot(models.Model):
    """The fitted vectoriser and theme centroids of the latest re-clustering, shared by every process: numeric
    arrays in `.npz` bytes and JSON metadata whose `format` says how to read them
    (`suggestions.analysis.snapshot_format`). A row written before format 2 holds a pickle and empty metadata:
    it is refused, never unpickled, and the collection is re-clustered."""

    version = models.PositiveIntegerField(unique=True)
    arrays = models.BinaryField()
    metadata = models.JSONField(default=dict)
    item_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-version"]

    def __str__(self):
        return f"snapshot {self.version}"


class SuggestionEmbedding(models.Model):
    """The e5 vector of an analyzed suggestion, made later on the slow queue; the lexical analysis never waits
    for it, and a suggestion whose vector cannot be made stays analyzed."""

    class State(models.TextChoices):
        # Waiting for a message to be sent: never sent, the broker refused it, or the last attempt failed.
        PENDING = "pending", "در انتظار صف"
        # One message is in the semantic queue since state_changed_at: the sweeper sends no other until it is old.
        QUEUED = "queued", "در صف"
        EMBEDDING = "embedding", "در حال محاسبه"
        STORED = "stored", "ذخیره شد"
        # Given up after EMBEDDING_MAX_ATTEMPTS messages; the suggestion keeps its lexical analysis.
        FAILED = "failed", "ناموفق"

    suggestion = models.OneToOneField(Suggestion, on_delete=models.CASCADE, primary_key=True, related_name="embedding")
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    # 384 float16 values (768 bytes): half precision changes no cosine by more than 0.001.
    vector = models.BinaryField(null=True, blank=True, editable=False)
    # Messages sent to the semantic queue for this vector (and deliveries claimed without one).
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=200, blank=True, default="")
    state_changed_at = models.DateTimeField(default=timezone.now)
    stored_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "بردار معنایی"
        verbose_name_plural = "بردارهای معنایی"
        indexes = [
            models.Index(fields=["state", "state_changed_at"], name="embedding_state_age"),
            # Each process's vector matrix reads the vectors stored since it last looked.
            models.Index(fields=["stored_at"], name="embedding_stored_at"),
        ]

    def __str__(self):
        return f"بردار پیشنهاد {self.suggestion_id} ({self.get_state_display()})"


class SupportQuerySet(models.QuerySet):
    def for_idea_of(self, suggestion: "Suggestion"):
        """The supports of the idea this suggestion belongs to: those of any suggestion of its duplicate group, so
        that a reviewer choosing another canonical suggestion, or two groups merging, loses none of them."""
        if suggestion.duplicate_group_id:
            return self.filter(
                models.Q(idea_id=suggestion.pk) | models.Q(idea__duplicate_group_id=suggestion.duplicate_group_id)
            )
        return self.filter(idea_id=suggestion.pk)

    def for_ideas_of(self, suggestions):
        """The supports of the ideas of all these suggestions (see for_idea_of), in one query."""
        groups, alone = _groups_and_alone(suggestions)
        return self.filter(models.Q(idea__duplicate_group_id__in=groups) | models.Q(idea_id__in=alone))

    def backers(self) -> int:
        """How many browsers these supports came from, each once: one citizen may have backed two texts while they
        were two ideas, before a reviewer or the analysis joined them, and is still one supporter."""
        return self.aggregate(n=models.Count("browser", distinct=True))["n"]

    def backers_by_idea(self, suggestions) -> dict[tuple, int]:
        """`backers` of the idea of each of these suggestions, by `support_key` (two queries, whatever their
        number). A support counts for its suggestion's whole group, whichever member is canonical now."""
        groups, alone = _groups_and_alone(suggestions)
        counted = {}
        for key, field, ids in (("group", "idea__duplicate_group_id", groups), ("alone", "idea_id", alone)):
            if ids:
                rows = self.filter(**{f"{field}__in": ids}).values_list(field)
                rows = rows.annotate(n=models.Count("browser", distinct=True)).order_by()
                counted.update({(key, pk): n for pk, n in rows})
        return counted


def _groups_and_alone(suggestions) -> tuple[set[int], set[int]]:
    """The ideas supports back, as `support_key` names them: the duplicate groups of these suggestions, and those
    in no group."""
    groups = {s.duplicate_group_id for s in suggestions if s.duplicate_group_id}
    return groups, {s.pk for s in suggestions if not s.duplicate_group_id}


def support_key(suggestion: "Suggestion") -> tuple:
    """What names the idea a support backs today: the suggestion's duplicate group, or itself when it has none."""
    return ("group", suggestion.duplicate_group_id) if suggestion.duplicate_group_id else ("alone", suggestion.pk)


class Support(models.Model):
    """A citizen's backing of an idea that is already public, instead of a near copy of it. Never a suggestion:
    never analyzed, never in the queue, never counted among the suggestions.

    `idea` is the suggestion that stands for the idea when the support arrived (its duplicate group's canonical
    suggestion). It is not re-pointed to `Idea`: ideas are merged, split and retired by reviewers and every
    re-clustering, and a support tied to a suggestion, which never goes, follows that suggestion's idea wherever it
    goes (`IdeaQuerySet.with_people`, counting each browser once), with no support ever rewritten or dropped to
    keep the one-per-browser rule when two ideas become one."""

    idea = models.ForeignKey(Suggestion, on_delete=models.PROTECT, related_name="supports", verbose_name="ایده")
    tracking_code = models.CharField("کد رهگیری", max_length=16, unique=True, editable=False)
    # The idea as the citizen saw it when backing it: what /track/ tells the holder of the code.
    idea_text = models.CharField("ایده، آن‌گونه که دیده شد", max_length=400)
    role = models.CharField("نقش حامی", max_length=32, choices=Role.choices, blank=True)
    province = models.CharField("استان", max_length=32, choices=Province.choices, blank=True)
    # A keyed digest of the browser's CSRF secret (suggestions.forms.browser_tag): one support per idea per browser.
    browser = models.CharField(max_length=20, editable=False)
    ip_hash = models.CharField(max_length=64, blank=True, default="", editable=False)
    created_at = models.DateTimeField("زمان ثبت", default=timezone.now, db_index=True)

    objects = SupportQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "حمایت"
        verbose_name_plural = "حمایت‌ها"
        constraints = [models.UniqueConstraint(fields=["idea", "browser"], name="support_once_per_browser")]

    def __str__(self):
        return f"حمایت از ایدهٔ {self.idea_id}"

    @property
    def display_code(self) -> str:
        return display_tracking_code(self.tracking_code)
