"""The admin leaves an audit row for every read and write of patient data (issue 18).

`AuditedModelAdmin` is the base of every ModelAdmin the project registers. Through
`audit_record` / `audit_record_patient_reads` (backend/audit/services.py, the one way to write
the log) it records, with the actor and the request's address and user agent:

- `admin.view`: the change page of one object opened (GET), its history page, or its delete
  confirmation page;
- `admin.list`: a changelist page: one row per patient whose data is on the page, plus one row
  without a patient for what belongs to no patient (or when the page shows nobody's data);
  the detail names the model, how many rows were shown, and the search typed, if any;
- `admin.add`, `admin.change` (the names of the changed fields, never their values; secrets
  such as password hashes are left out even as names), `admin.delete` (before the row goes);
- `admin.action`: an admin action run on selected rows (e.g. sending failed pushes again).

The patient of an object: the Patient itself, its `patient` foreign key, or, for rows that
belong to a user (a device, push preferences, a user account), the patient whose account that
user is (`audit_patient_user_field` names the field; the User model is its own user).
"""

from collections.abc import Iterable, Sequence
from typing import Any

from django.contrib import admin
from django.contrib.admin import helpers
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.http import HttpRequest, HttpResponse

from backend.accounts.models import Patient, User

from .services import audit_record

VIEW = "admin.view"
LIST = "admin.list"
ADD = "admin.add"
CHANGE = "admin.change"
DELETE = "admin.delete"
ACTION = "admin.action"

# Never written to the log, not even as a changed field's name.
SECRET_FIELDS = frozenset(
    {
        "password",
        "password1",
        "password2",
        "usable_password",
        "code_hash",
        "token",
        "key",
        "secret",
        "token_key",
        "digest",
    }
)

_CHANGED_FIELDS = "_admin_audit_changed_fields"


def _visible_fields(names: Iterable[str]) -> list[str]:
    return [name for name in names if name not in SECRET_FIELDS]


def _patient_fk(model: type[models.Model]) -> str | None:
    """The attribute holding the id of the model's `patient` foreign key, if it has one."""
    try:
        field = model._meta.get_field("patient")
    except FieldDoesNotExist:
        return None
    if getattr(field, "related_model", None) is Patient and not field.many_to_many:
        return field.attname  # type: ignore[union-attr]
    return None


class AuditedModelAdmin(admin.ModelAdmin):
    """A ModelAdmin whose reads and writes are audited (see the module's docstring)."""

    # For rows that belong to a user rather than to a patient: the foreign key to that user.
    audit_patient_user_field: str | None = None

    # ---------------------------------------------------------------- whose data

    def audit_patients(self, objects: Sequence[models.Model]) -> list[Patient | None]:
        """The patient each object belongs to (None: no patient), in order, in one query."""
        model = self.model
        if not objects:
            return []
        if issubclass(model, Patient):
            return list(objects)  # type: ignore[arg-type]
        patient_attname = _patient_fk(model)
        if patient_attname is not None:
            ids = [getattr(obj, patient_attname) for obj in objects]
            found = Patient.objects.in_bulk([i for i in ids if i is not None])
            return [found.get(i) if i is not None else None for i in ids]
        if issubclass(model, User):
            user_ids = [obj.pk for obj in objects]
        elif self.audit_patient_user_field:
            attname = model._meta.get_field(self.audit_patient_user_field).attname
            user_ids = [getattr(obj, attname) for obj in objects]
        else:
            return [None] * len(objects)
        by_user = {
            patient.user_id: patient
            for patient in Patient.objects.filter(user_id__in=[u for u in user_ids if u])
        }
        return [by_user.get(u) for u in user_ids]

    def _model_label(self) -> str:
        return self.model._meta.label_lower

    def _audit_one(
        self, request: HttpRequest, action: str, obj: models.Model, /, **detail: Any
    ) -> None:
        (patient,) = self.audit_patients([obj])
        audit_record(
            actor=request.user,  # type: ignore[arg-type]
            action=action,
            patient=patient,
            detail={"model": self._model_label(), "object_id": str(obj.pk), **detail},
        )

    def _audit_many(
        self,
        request: HttpRequest,
        action: str,
        objects: Sequence[models.Model],
        /,
        **detail: Any,
    ) -> None:
        """One row per patient among `objects` (with how many of theirs), and one without a
        patient for the rest, or when there is nothing at all."""
        patients = self.audit_patients(objects)
        counts: dict[Any, int] = {}
        by_pk: dict[Any, Patient] = {}
        unowned = 0
        for patient in patients:
            if patient is None:
                unowned += 1
                continue
            by_pk[patient.pk] = patient
            counts[patient.pk] = counts.get(patient.pk, 0) + 1
        base = {"model": self._model_label(), **detail}
        actor = request.user
        for pk, patient in by_pk.items():
            audit_record(
                actor=actor,  # type: ignore[arg-type]
                action=action,
                patient=patient,
                detail={**base, "count": counts[pk]},
            )
        if unowned or not by_pk:
            audit_record(
                actor=actor,  # type: ignore[arg-type]
                action=action,
                detail={**base, "count": unowned},
            )

    # ---------------------------------------------------------------- reads

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        response = super().changelist_view(request, extra_context)
        context = getattr(response, "context_data", None) or {}
        changelist = context.get("cl")
        if response.status_code == 200 and changelist is not None:
            detail: dict[str, Any] = {"page": changelist.page_num}
            if changelist.query:
                detail["search"] = changelist.query
            self._audit_many(request, LIST, list(changelist.result_list), **detail)
        return response

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        self._audit_page_read(request, response, "original", "change")
        return response

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        response = super().history_view(request, object_id, extra_context)
        self._audit_page_read(request, response, "object", "history")
        return response

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        response = super().delete_view(request, object_id, extra_context)
        self._audit_page_read(request, response, "object", "delete")
        return response

    def _audit_page_read(
        self, request: HttpRequest, response: HttpResponse, key: str, page: str
    ) -> None:
        """A page that shows one object (a form redisplayed after a refused POST included)."""
        if response.status_code != 200:
            return
        obj = (getattr(response, "context_data", None) or {}).get(key)
        if isinstance(obj, models.Model) and obj.pk is not None:
            self._audit_one(request, VIEW, obj, page=page)

    # ---------------------------------------------------------------- writes

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        setattr(request, _CHANGED_FIELDS, _visible_fields(form.changed_data))

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        entry = super().log_addition(request, obj, message)
        self._audit_one(request, ADD, obj, **self._changes(request, message))
        return entry

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        entry = super().log_change(request, obj, message)
        self._audit_one(request, CHANGE, obj, **self._changes(request, message))
        return entry

    def log_deletions(self, request: HttpRequest, queryset: Any) -> Any:
        objects = list(queryset)
        # Django only iterates it (log_actions); the stub asks for a QuerySet.
        entries = super().log_deletions(request, objects)  # type: ignore[arg-type]
        for obj in objects:
            self._audit_one(request, DELETE, obj)
        return entries

    def _changes(self, request: HttpRequest, message: Any) -> dict[str, Any]:
        """The changed field names (from the form save_model saw, else from Django's change
        message, which holds field labels) and what inlines added, changed or deleted."""
        fields = getattr(request, _CHANGED_FIELDS, None)
        related: list[dict[str, Any]] = []
        labels: list[str] = []
        for entry in message if isinstance(message, list) else []:
            for kind, what in entry.items():
                if not isinstance(what, dict):
                    continue
                if "name" in what:  # an inline's row
                    related.append(
                        {
                            "change": kind,
                            "model": str(what.get("name", "")),
                            "fields": _visible_fields(what.get("fields", [])),
                        }
                    )
                else:
                    labels.extend(str(label) for label in what.get("fields", []))
        if fields is None:
            fields = _visible_fields(label.lower() for label in labels)
        changes: dict[str, Any] = {"fields": list(fields)}
        if related:
            changes["related"] = related
        return changes

    # Django 5.2's signature; the stubs' adds Django 6.1's action_location.
    def response_action(  # type: ignore[override]
        self, request: HttpRequest, queryset: Any
    ) -> HttpResponse | None:
        """An admin action on selected rows: audited with the rows it was given."""
        name = request.POST.get("action", "")
        selected = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        if request.POST.get("select_across") in ("1", "True", "true"):
            objects = list(queryset)
        else:
            objects = list(queryset.filter(pk__in=selected)) if selected else []
        response = super().response_action(request, queryset)
        if name and objects:
            self._audit_many(request, ACTION, objects, action=name)
        return response


class ViewOnlyAuditedModelAdmin(AuditedModelAdmin):
    """Shown, never added, changed or deleted in the admin (superusers too): these records are
    written by the services that keep their history (alerts, labs, invitations, the audit log)."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
