"""The alert queue benchmark's data (bench/queue_page.py measures): one care team, one nurse,
500 patients, the open alerts and N resolved ones, all in the nurse's team (the worst case for
her queue), written in SQL in two statements. Run again with the same sizes, it writes
nothing."""

from datetime import timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from backend.accounts.models import User


def seed_queue_alerts(historical: int, open_alerts: int, patients: int) -> "User":
    from django.db import connection
    from django.utils import timezone

    from backend.accounts.models import CareTeam, Patient, User

    team, _ = CareTeam.objects.get_or_create(name="Bench team queue")
    nurse, created = User.objects.get_or_create(
        username="bench.queue.nurse", defaults={"role": "nurse"}
    )
    if created:
        team.members.add(nurse)
    if Patient.objects.filter(care_team=team).count() < patients:
        Patient.objects.bulk_create(
            Patient(
                care_team=team,
                display_name=f"Queue Patient {n}",
                medical_record_number=f"BENCHQ-{n:06d}",
                time_zone="Europe/Madrid",
                enrolled_by=nurse,
            )
            for n in range(patients)
        )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM alerts_alert a JOIN accounts_patient p ON p.id = a.patient_id "
            "WHERE p.care_team_id = %s",
            [team.pk],
        )
        if cursor.fetchone()[0] == historical + open_alerts:
            return nurse
        cursor.execute(
            "DELETE FROM alerts_alert a USING accounts_patient p "
            "WHERE a.patient_id = p.id AND p.care_team_id = %s",
            [team.pk],
        )
        now = timezone.now()
        common = """
            INSERT INTO alerts_alert (id, created_at, updated_at, patient_id, kind, symptom,
                priority, priority_rank, status, rule, summary, sources, advice, details,
                occurrences, opened_at, priority_since, last_seen_at, acknowledged_at,
                acknowledged_by_id, resolved_at, resolved_by_id, resolution_outcome,
                resolution_note, escalated_at)
        """
        patient_ids = (
            "(SELECT array_agg(id ORDER BY id) FROM accounts_patient WHERE care_team_id = %s)"
        )
        # Resolved history: spread over three years.
        cursor.execute(
            common
            + f"""
            SELECT gen_random_uuid(), t, t, ids[1 + (n %% array_length(ids, 1))],
                'missed_dose_streak', '', 'normal', 2, 'resolved', 'alert.missed_streak',
                'missed 2 days in a row', '["S1"]'::jsonb, NULL, '{{}}'::jsonb, 1, t, t, t,
                t + interval '1 hour', %s, t + interval '2 hours', %s, 'contacted_patient',
                'Phoned the patient.', NULL
            FROM generate_series(1, %s) AS n, {patient_ids} AS p(ids),
                LATERAL (SELECT %s::timestamptz - (n * interval '94 seconds')) AS s(t)
            """,
            [nurse.pk, nurse.pk, historical, team.pk, now - timedelta(days=1)],
        )
        # Unresolved: two kinds per patient (one unresolved per patient/kind/symptom).
        cursor.execute(
            common
            + f"""
            SELECT gen_random_uuid(), t, t, ids[1 + (n %% array_length(ids, 1))],
                CASE WHEN n <= array_length(ids, 1) THEN 'severe_symptom'
                     ELSE 'missed_dose_streak' END,
                CASE WHEN n <= array_length(ids, 1) THEN 'nausea' ELSE '' END,
                (ARRAY['urgent', 'high', 'normal'])[1 + n %% 3], n %% 3, 'open',
                'alert.severe_symptom', 'nausea: severe (severity score 3)', '["S16"]'::jsonb,
                '{{"text": "For the treating clinician: review.", "sources": ["S1"]}}'::jsonb,
                '{{}}'::jsonb, 1, t, t, t, NULL, NULL, NULL, NULL, '', '', NULL
            FROM generate_series(1, %s) AS n, {patient_ids} AS p(ids),
                LATERAL (SELECT %s::timestamptz - (n * interval '1 minute')) AS s(t)
            """,
            [open_alerts, team.pk, now],
        )
        cursor.execute("ANALYZE alerts_alert")
    return nurse
