from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "common"
    verbose_name = "پایه"

    def ready(self):
        from common.persian_admin import make_every_admin_persian, name_third_party_apps_in_persian

        # The admin's autodiscovery (django.contrib.admin is first among the apps) has loaded every admin by now.
        name_third_party_apps_in_persian()
        make_every_admin_persian()
