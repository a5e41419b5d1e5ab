from django.db import models


class Role(models.TextChoices):
    CITIZEN = "citizen", "شهروند"
    LAWYER = "lawyer", "حقوق‌دان"
    JOURNALIST = "journalist", "روزنامه‌نگار یا خبرنگار"
    POLITICAL_ACTIVIST = "political_activist", "فعال سیاسی"
    SOCIAL_ACTIVIST = "social_activist", "فعال اجتماعی"
    OTHER = "other", "سایر"


class Province(models.TextChoices):
    EAST_AZARBAIJAN = "east_azarbaijan", "آذربایجان شرقی"
    WEST_AZARBAIJAN = "west_azarbaijan", "آذربایجان غربی"
    ARDABIL = "ardabil", "اردبیل"
    ISFAHAN = "isfahan", "اصفهان"
    ALBORZ = "alborz", "البرز"
    ILAM = "ilam", "ایلام"
    BUSHEHR = "bushehr", "بوشهر"
    TEHRAN = "tehran", "تهران"
    CHAHARMAHAL = "chaharmahal_bakhtiari", "چهارمحال و بختیاری"
    SOUTH_KHORASAN = "south_khorasan", "خراسان جنوبی"
    RAZAVI_KHORASAN = "razavi_khorasan", "خراسان رضوی"
    NORTH_KHORASAN = "north_khorasan", "خراسان شمالی"
    KHUZESTAN = "khuzestan", "خوزستان"
    ZANJAN = "zanjan", "زنجان"
    SEMNAN = "semnan", "سمنان"
    SISTAN = "sistan_baluchestan", "سیستان و بلوچستان"
    FARS = "fars", "فارس"
    QAZVIN = "qazvin", "قزوین"
    QOM = "qom", "قم"
    KURDISTAN = "kurdistan", "کردستان"
    KERMAN = "kerman", "کرمان"
    KERMANSHAH = "kermanshah", "کرمانشاه"
    KOHGILUYEH = "kohgiluyeh_boyerahmad", "کهگیلویه و بویراحمد"
    GOLESTAN = "golestan", "گلستان"
    GILAN = "gilan", "گیلان"
    LORESTAN = "lorestan", "لرستان"
    MAZANDARAN = "mazandaran", "مازندران"
    MARKAZI = "markazi", "مرکزی"
    HORMOZGAN = "hormozgan", "هرمزگان"
    HAMADAN = "hamadan", "همدان"
    YAZD = "yazd", "یزد"
    ABROAD = "abroad", "خارج از کشور"


class State(models.TextChoices):
    RECEIVED = "received", "دریافت شد"
    ANALYZING = "analyzing", "در حال تحلیل"
    ANALYZED = "analyzed", "تحلیل شد"
    FAILED = "failed", "تحلیل ناموفق"
