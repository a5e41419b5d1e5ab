"""Realistic synthetic Persian suggestions: ideas, spelling noise, near-copies and one campaign.

`generate(size, seed=…)` gives the same items for the same seed on every machine: the shared data sets were
written from it (`benchmarks/generate.py --size 20000 --seed 2026 --prefix hay` is `crowd_20000.jsonl`), so a
change to any list or to the order of the draws changes them. Add new vocabulary in a new function instead.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from common.persian import latin_digits

OPENINGS = ["", "با سلام،", "با سلام و احترام،", "لطفا", "پیشنهاد می‌کنم", "به نظر من", "خواهشمندم"]
SUBJECTS = [
    "ساعت رای‌گیری",
    "تعداد شعب اخذ رای",
    "صندوق‌های سیار",
    "آموزش عوامل اجرایی",
    "رای‌گیری الکترونیکی",
    "تبلیغات نامزدها",
    "فاصله‌گذاری اجتماعی",
    "ماسک و دستکش",
    "ضدعفونی صندوق‌ها",
    "نوبت‌دهی اینترنتی",
    "تعرفه‌های رای",
    "ناظران شورای نگهبان",
    "سالمندان و بیماران",
    "مناظره‌های تلویزیونی",
    "شمارش آرا",
    "کارت ملی هوشمند",
    "شعب روستایی",
    "دانشجویان خوابگاهی",
    "رای پستی",
    "صف‌های طولانی",
]
ACTIONS = [
    "تمدید شود",
    "افزایش یابد",
    "در فضای باز برگزار شود",
    "به صورت مجازی انجام شود",
    "رایگان توزیع شود",
    "هر ساعت بررسی شود",
    "با دقت بیشتری اجرا شود",
    "از قبل اطلاع‌رسانی شود",
    "محدود شود",
    "به خانه‌ها برده شود",
    "در سامانه ثبت شود",
    "زیر نظر ناظران انجام شود",
]
PLACES = [
    "در شهرهای بزرگ",
    "در روستاها",
    "در بیمارستان‌ها",
    "در مدارس",
    "در مساجد",
    "در سالن‌های ورزشی",
    "در مراکز قرنطینه",
    "در شهرستان‌ها",
    "در استان‌های مرزی",
    "در محله‌های پرجمعیت",
]
REASONS = [
    "تا مردم مجبور نباشند همه در یک زمان مراجعه کنند",
    "تا ازدحام کمتر شود",
    "تا سلامت مردم حفظ شود",
    "تا مشارکت افزایش پیدا کند",
    "تا سالمندان در خطر نباشند",
    "تا اعتماد عمومی بیشتر شود",
    "چون شرایط کرونا خطرناک است",
    "تا صف‌ها طولانی نشود",
    "تا هزینه‌ها کاهش یابد",
    "تا کسی از رای دادن جا نماند",
]
DETAILS = [
    "حداقل {n} نفر نیروی اضافی",
    "فاصله {n} متری",
    "از ساعت {n} صبح",
    "برای افراد بالای {n} سال",
    "در {n} نوبت",
    "با {n} درصد ظرفیت",
    "تا ساعت {n} شب",
    "در {n} روز",
]
CLOSINGS = ["", "با تشکر.", "ممنون از زحمات شما.", "امیدوارم بررسی شود.", "سپاس."]

CAMPAIGN = (
    "{open} ما جمعی از {who} {city} {ask} که رای‌گیری الکترونیکی از طریق سامانه ملی با کارت هوشمند {do} "
    "تا در شرایط {risk} کرونا هیچ شهروندی برای رای دادن مجبور به حضور در شعبه‌های {crowd} نباشد و "
    "{result}. {close}"
)
CAMPAIGN_SLOTS = {
    "open": ["با سلام،", "سلام،", "با عرض سلام و احترام،"],
    "who": ["شهروندان", "ساکنان", "مردم", "اهالی"],
    "city": ["تهران", "اصفهان", "شیراز", "تبریز", "مشهد", "کرج", "اهواز"],
    "ask": ["درخواست داریم", "خواهش می‌کنیم", "تقاضا داریم", "خواستاریم"],
    "do": ["اجرا شود", "برگزار شود", "فراهم شود", "انجام شود"],
    "risk": ["خطرناک", "نگران‌کننده", "بحرانی"],
    "crowd": ["شلوغ", "پرجمعیت", "پرازدحام"],
    "result": ["سلامت همه حفظ شود", "جان مردم به خطر نیفتد", "کسی بیمار نشود"],
    "close": ["با تشکر", "سپاس", "ممنونیم", ""],
}


@dataclass
class Item:
    id: str
    text: str
    kind: str  # original, noise, near, campaign
    source: str | None = None


def idea(rng: random.Random) -> str:
    """One original suggestion: an opening, two to four proposals with a place, a detail and a reason."""
    parts = [rng.choice(OPENINGS)]
    for _ in range(rng.randint(2, 4)):
        detail = rng.choice(DETAILS).format(n=rng.randint(2, 90))
        parts.append(
            f"{rng.choice(SUBJECTS)} {rng.choice(PLACES)} {detail} {rng.choice(ACTIONS)} {rng.choice(REASONS)}"
        )
        parts[-1] += rng.choice([".", "،", " و"])
    parts.append(rng.choice(CLOSINGS))
    return " ".join(p for p in parts if p)


_ARABIC = str.maketrans({"ی": "ي", "ک": "ك"})


def noise(text: str, rng: random.Random) -> str:
    """The same text as another keyboard, phone or copy-paste would produce it."""
    for change in rng.sample(["arabic", "digits", "zwnj_space", "no_zwnj", "html", "bidi"], k=rng.randint(1, 3)):
        if change == "arabic":
            text = text.translate(_ARABIC)
        elif change == "digits":
            text = latin_digits(text)
        elif change == "zwnj_space":
            text = text.replace("\u200c", " ")
        elif change == "no_zwnj":
            text = text.replace("\u200c", "")
        elif change == "html":
            text = f"<p>{text}</p>".replace(" و ", " &nbsp;و ")
        else:
            text = "\u200f" + text + "\u200e"
    return text


def near_copy(text: str, rng: random.Random, edits: int = 2) -> str:
    """A copy with a few words dropped, doubled or swapped for another."""
    words = text.split()
    for _ in range(edits):
        i = rng.randrange(len(words))
        op = rng.random()
        if op < 0.4 and len(words) > 10:
            del words[i]
        elif op < 0.7:
            words[i] = rng.choice(["خیلی", "حتما", "واقعا", "لطفا", "هم"]) + " " + words[i]
        else:
            words[i] = rng.choice(words)
    return " ".join(words)


def campaign_copy(rng: random.Random) -> str:
    """The campaign template with up to three synonyms swapped and a small edit or two."""
    values = {slot: options[0] for slot, options in CAMPAIGN_SLOTS.items()}
    for slot in rng.sample(sorted(CAMPAIGN_SLOTS), k=rng.randint(0, 3)):
        values[slot] = rng.choice(CAMPAIGN_SLOTS[slot])
    return near_copy(CAMPAIGN.format(**values).strip(), rng, edits=rng.randint(0, 2))


def generate(
    size: int, *, seed: int = 0, campaign_share: float = 0.02, near_share: float = 0.05, noise_share: float = 0.1
) -> list[Item]:
    rng = random.Random(seed)
    items: list[Item] = []
    originals: list[Item] = []
    for n in range(size):
        roll = rng.random()
        if originals and roll < noise_share:
            source = rng.choice(originals)
            items.append(Item(f"s{n}", noise(source.text, rng), "noise", source.id))
        elif originals and roll < noise_share + near_share:
            source = rng.choice(originals)
            items.append(Item(f"s{n}", near_copy(source.text, rng), "near", source.id))
        elif roll < noise_share + near_share + campaign_share:
            items.append(Item(f"s{n}", campaign_copy(rng), "campaign", "campaign"))
        else:
            item = Item(f"s{n}", idea(rng), "original")
            originals.append(item)
            items.append(item)
    return items


def form_texts(count: int, *, seed: int) -> list[tuple[str, str]]:
    """(title, body) pairs a citizen could type into the form: the title the first eight words, both long
    enough for the form's minimums."""
    pairs = []
    for item in generate(count, seed=seed):
        title = " ".join(item.text.split()[:8])[:150]
        if len(title) >= 10 and len(item.text) >= 30:
            pairs.append((title, item.text[:5000]))
    return pairs
