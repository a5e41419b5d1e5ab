"""The topics of the call for ideas, taken from the ministry's announcement (shared/seed_article.txt)."""

SEED_TOPICS = [
    ("voting-procedures", "شیوه‌های رأی‌گیری"),
    ("health-protocols", "پروتکل‌های بهداشتی در شعبه‌های اخذ رأی"),
    ("staff-training", "آموزش عوامل اجرایی انتخابات"),
    ("electronic-voting", "رأی‌گیری الکترونیک و فناوری"),
    ("council-elections", "انتخابات شوراهای اسلامی شهر و روستا"),
    ("campaigning", "تبلیغات انتخاباتی"),
    ("observation", "نظارت و شفافیت"),
    ("other", "سایر"),
]
