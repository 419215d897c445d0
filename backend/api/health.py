from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from backend.common.health import health_report


# Not inside the request transaction: opening one needs the database this view checks.
@transaction.non_atomic_requests
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database and the broker answer, 503 when either does not."""
    healthy, report = health_report()
    return JsonResponse(report, status=200 if healthy else 503)
