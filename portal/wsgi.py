import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
# Read by the settings: statements a citizen waits for get the short database timeout.
os.environ.setdefault("HAMANDISHI_PROCESS", "web")
application = get_wsgi_application()
