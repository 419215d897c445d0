"""OpenAPI: every operation documents the error responses it can give, in the one error shape."""

from typing import Any, Literal

from drf_spectacular.authentication import SessionScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers
from rest_framework.permissions import AllowAny


class ApiErrorItemSerializer(serializers.Serializer):
    field = serializers.CharField(allow_null=True, help_text="Dotted path of the input, or null.")
    reason = serializers.CharField(help_text="Plain-language reason.")


class ApiErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Machine-readable code, e.g. `invalid`, `not_found`.")
    detail = serializers.CharField(help_text="Plain-language summary.")
    # A field named like Serializer.errors: DRF's metaclass moves it off the class, the stub
    # cannot tell.
    errors = ApiErrorItemSerializer(many=True)  # type: ignore[assignment]


_ERROR_DESCRIPTIONS = {
    "400": "Invalid input: each wrong field with a plain reason.",
    "401": "Not signed in, or the token is invalid, expired or revoked.",
    "403": "Signed in, but this role may not do this.",
    "404": "No such object, or not one this user may see.",
    "413": "Request body larger than 1 MB.",
    "415": "Content type is not application/json.",
    "429": "Too many requests or too many failed sign-ins; try again later.",
}


class ErrorDocumentingAutoSchema(AutoSchema):
    def _get_response_bodies(
        self, direction: Literal["request", "response"] = "response"
    ) -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        for code in self._error_codes():
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    ApiErrorSerializer, code, direction=direction
                )
                responses[code]["description"] = _ERROR_DESCRIPTIONS[code]
        return responses

    def _error_codes(self) -> list[str]:
        codes = []
        has_body = self.method in ("POST", "PUT", "PATCH")
        public = any(isinstance(p, AllowAny) for p in self.view.get_permissions())
        if has_body or (self.method == "GET" and self._get_filter_parameters()):
            codes.append("400")
        if not public:
            codes += ["401", "403"]
        if "{" in self.path:
            codes.append("404")
        if has_body:
            codes += ["413", "415"]
        if public and has_body:
            codes.append("429")
        return codes


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """Documents the phones' `Authorization: Bearer <token>` header."""

    target_class = "backend.api.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "Token from /api/v1/auth/login/ or /api/v1/auth/activate/.",
        }


class CheckedSessionScheme(SessionScheme):
    """Staff browsers' session cookie (DRF's session authentication, refusing caregivers)."""

    target_class = "backend.api.authentication.CheckedSessionAuthentication"
