"""The baseline the dose-log benchmark is measured against: a bare DRF view answering a
constant JSON body on the same server (routing, DRF dispatch and rendering, nothing else).
Mounted only when BENCH_ENDPOINTS is set (bench/dose_post.py sets it)."""

from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

CONSTANT = {"status": "ok", "detail": "A constant body for the benchmark baseline."}


class ConstantView(APIView):
    authentication_classes: list[type] = []
    permission_classes = [AllowAny]

    def get(self, request: Request) -> Response:
        return Response(CONSTANT)

    def post(self, request: Request) -> Response:
        return Response(CONSTANT)
