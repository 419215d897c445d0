"""Bootstrap commands for a real deployment, and the demo data command."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from backend.accounts.models import CareTeam, CareTeamMembership, Patient, User

pytestmark = pytest.mark.django_db


def run(*args: str, stdin: str = "") -> str:
    out = io.StringIO()
    import sys

    original = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        call_command(*args, stdout=out)
    finally:
        sys.stdin = original
    return out.getvalue()


def test_create_care_team_then_again_exits_2() -> None:
    assert "Created care team 'Oncology A'" in run("create_care_team", "Oncology A")
    with pytest.raises(CommandError) as error:
        run("create_care_team", "oncology a")
    assert error.value.returncode == 2
    assert "already exists" in str(error.value)
    assert CareTeam.objects.count() == 1


def test_create_care_team_with_the_numbers_patients_call() -> None:
    run(
        "create_care_team", "Oncology B", "--phone", "+44 20 7946 0000", "--emergency-number", "999"
    )
    team = CareTeam.objects.get()
    assert (team.phone, team.emergency_number) == ("+44 20 7946 0000", "999")
    with pytest.raises(CommandError):
        run("create_care_team", "Oncology C", "--phone", "call me")
    with pytest.raises(CommandError):
        run("create_care_team", "Oncology D", "--emergency-number", "")


def test_create_staff_nurse_joins_the_team() -> None:
    run("create_care_team", "Oncology A")
    output = run(
        "create_staff",
        "n.jones",
        "--role",
        "nurse",
        "--care-team",
        "Oncology A",
        "--password-stdin",
        stdin="lilac-harbour-31-tide\n",
    )
    assert "Created nurse 'n.jones' (Oncology A)" in output
    user = User.objects.get(username="n.jones")
    assert user.role == "nurse" and user.check_password("lilac-harbour-31-tide")
    assert CareTeamMembership.objects.filter(user=user, care_team__name="Oncology A").exists()


def test_create_staff_admin_needs_no_team() -> None:
    run(
        "create_staff",
        "root.admin",
        "--role",
        "admin",
        "--password-stdin",
        stdin="lilac-harbour-31-tide\n",
    )
    admin = User.objects.get(username="root.admin")
    assert admin.role == "admin" and admin.is_staff and admin.is_superuser


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (
            ["n.jones", "--role", "nurse", "--care-team", "Oncology A"],
            "lilac-harbour-31-tide\n",
            "already exists",
        ),
        (
            ["x.new", "--role", "nurse", "--care-team", "No Such Team"],
            "lilac-harbour-31-tide\n",
            "No care team",
        ),
        (["x.new", "--role", "nurse"], "lilac-harbour-31-tide\n", "need a care team"),
        (["x.new", "--role", "coordinator", "--care-team", "Oncology A"], "password\n", "password"),
        (["x.new", "--role", "coordinator", "--care-team", "Oncology A"], "\n", "empty"),
    ],
)
def test_create_staff_refusals_exit_2(args: list[str], stdin: str, message: str) -> None:
    run("create_care_team", "Oncology A")
    run(
        "create_staff",
        "n.jones",
        "--role",
        "nurse",
        "--care-team",
        "Oncology A",
        "--password-stdin",
        stdin="lilac-harbour-31-tide\n",
    )
    with pytest.raises(CommandError) as error:
        run("create_staff", *args, "--password-stdin", stdin=stdin)
    assert error.value.returncode == 2
    assert message in str(error.value)
    assert not User.objects.filter(username="x.new").exists()


def test_create_staff_refuses_patient_role() -> None:
    with pytest.raises(CommandError):
        run("create_staff", "p", "--role", "patient", "--password-stdin", stdin="x\n")


def test_seed_demo_is_idempotent(settings) -> None:
    settings.DEBUG = True
    first = run("seed_demo")
    counts = (User.objects.count(), Patient.objects.count(), CareTeam.objects.count())
    second = run("seed_demo")
    assert counts == (6, 3, 1)  # 2 staff, 3 patients and Ana's caregiver
    assert (User.objects.count(), Patient.objects.count(), CareTeam.objects.count()) == counts
    assert first == second
    assert "nurse.demo" in first and "coordinator.demo" in first and "patient.ana" in first
    assert "carer.ana" in first
    assert User.objects.get(username="carer.ana").role == "caregiver"
    assert all(p.user is not None for p in Patient.objects.all())
    # Each demo patient has a plan and months of history, created once.
    from backend.adherence.models import ScheduledDose, TreatmentPlan

    assert TreatmentPlan.objects.count() == 3
    logs = ScheduledDose.objects.logged().count()
    assert logs > 300
    assert set(ScheduledDose.objects.logged().values_list("state", flat=True)) == {
        "taken",
        "skipped",
        "missed",
    }
    # ... and open alerts for the dashboard: a streak, a severe symptom, a skip for side effects.
    from backend.alerts.models import Alert

    kinds = set(Alert.objects.values_list("kind", flat=True))
    assert {"missed_dose_streak", "severe_symptom"} <= kinds
    alerts = Alert.objects.count()
    run("seed_demo")
    assert ScheduledDose.objects.logged().count() == logs
    assert Alert.objects.count() == alerts


def test_seed_demo_refuses_without_debug(settings) -> None:
    settings.DEBUG = False
    with pytest.raises(CommandError) as error:
        run("seed_demo")
    assert error.value.returncode == 2
    assert not User.objects.exists()
