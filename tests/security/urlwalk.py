"""Every URL the portal answers, with sample arguments, for walks over the whole site."""

import re
import uuid

from django.urls import URLPattern, URLResolver, get_resolver

_CONVERTERS = {"int": "1", "uuid": str(uuid.UUID(int=1)), "str": "0000000000000000", "slug": "x", "path": "x"}


def _walk(patterns, prefix=""):
    for entry in patterns:
        route = str(entry.pattern)
        if isinstance(entry, URLResolver):
            if route.startswith("admin/"):
                yield "/admin/"  # Django's own admin: checked at its door
                continue
            yield from _walk(entry.url_patterns, prefix + route)
        elif isinstance(entry, URLPattern):
            yield prefix + route


def all_paths(ids: dict[str, str] | None = None) -> list[str]:
    """Concrete paths for every route; `<int:pk>` takes ids.get(first path segment) when given."""
    paths = []
    for route in _walk(get_resolver().url_patterns):
        route = route.lstrip("^").rstrip("$")
        if "(?P" in route:
            continue

        def fill(match, route=route):
            converter = match.group(1) or "str"
            if converter == "int" and ids:
                for key, value in ids.items():
                    if route.startswith(key):
                        return value
            return _CONVERTERS.get(converter, "x")

        paths.append("/" + re.sub(r"<(?:(\w+):)?\w+>", fill, route))
    return sorted(set(paths))


def is_staff_path(path: str) -> bool:
    return path.startswith(("/review/", "/admin/"))
