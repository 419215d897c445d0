"""`Cache-Control: no-store` on every response that may hold patient data.

The API (patients' own and staff's), the dashboard pages, the admin and every file download
(all under /api/ or /dashboard/) must not be kept by a browser's or a proxy's cache: a shared
computer's back button or disk cache would show them to the next person. Static files and the
patient app's shell (/app/, which the service worker keeps for offline use, revalidated with
`no-cache` by its own views) are left as they are.
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

NO_STORE = "no-store"


class NoStoreMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.prefixes = tuple(settings.NO_STORE_PATH_PREFIXES)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith(self.prefixes):
            # Added to what the view set (never_cache's no-cache, must-revalidate stay), and
            # any max-age a view set is dropped: nothing here may be kept.
            if "Cache-Control" in response:
                directives = [
                    d.strip()
                    for d in response["Cache-Control"].split(",")
                    if d.strip() and not d.strip().lower().startswith(("max-age", "public"))
                ]
                if NO_STORE not in directives:
                    directives.insert(0, NO_STORE)
                response["Cache-Control"] = ", ".join(directives)
            else:
                response["Cache-Control"] = NO_STORE
            response["Pragma"] = "no-cache"
            if "Expires" in response:
                del response["Expires"]
        return response
