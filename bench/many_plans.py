"""100,000 patients for the reminder and sweep benchmarks ("seed or simulate that many
plans"): plans-only patients of their own care team, made in SQL in a few statements. They
take their dose at 08:00 local time in six zones, as the seeded cohort does; at 08:00 in
Madrid a sixth of them are due at once, plus the plans looked at again on their hourly
revisit: the busy minute."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import connection, transaction

TEAM = "Bench team plans-only"
ZONE = "Europe/Madrid"  # the busy minute's zone
ZONES = [
    "Europe/Madrid",
    "Europe/London",
    "America/New_York",
    "Asia/Kolkata",
    "Pacific/Auckland",
    "America/Los_Angeles",
]
DOSE_TIME = time(8, 0)


def busy_minute(today: date) -> datetime:
    """08:00 in Madrid today: every plans-only dose is due at once."""
    return datetime.combine(today, DOSE_TIME, ZoneInfo(ZONE))


def ensure_plans(count: int, today: date) -> int:
    """Make (once) `count` plans-only patients with active once-daily plans, started 60 days
    ago, swept through the day before yesterday, next reminder due at the busy minute."""
    from backend.accounts.models import CareTeam, User

    team, _ = CareTeam.objects.get_or_create(name=TEAM)
    nurse, _ = User.objects.get_or_create(username="bench.plans.nurse", defaults={"role": "nurse"})
    team.members.add(nurse)
    have = team.patients.count()
    if have >= count:
        return have
    recommendation = (
        connection.cursor()
        .execute("SELECT recommendation FROM adherence_treatmentplan LIMIT 1")
        .fetchone()
    )
    start = today - timedelta(days=60)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO accounts_user (password, is_superuser, username, first_name, last_name,
                email, is_staff, is_active, date_joined, role)
            SELECT '!', false, 'bench.plans.' || n, '', '', '', false, true, now(), 'patient'
            FROM generate_series(%s, %s) AS n
            """,
            [have + 1, count],
        )
        cursor.execute(
            """
            INSERT INTO accounts_patient (id, created_at, updated_at, user_id, care_team_id,
                display_name, medical_record_number, time_zone, language, enrolled_by_id)
            SELECT gen_random_uuid(), now(), now(), u.id, %s, 'Plans-only ' || u.id,
                'BENCHP-' || u.id, (%s::text[])[1 + u.id %% 6], 'en', %s
            FROM accounts_user u
            WHERE u.username LIKE 'bench.plans.%%' AND u.username <> 'bench.plans.nurse'
              AND NOT EXISTS (SELECT 1 FROM accounts_patient p WHERE p.user_id = u.id)
            """,
            [team.pk, ZONES, nurse.pk],
        )
        cursor.execute(
            """
            INSERT INTO adherence_treatmentplan (id, created_at, updated_at, status, setting,
                start_date, duration_months, planned_end_date, "case", recommendation,
                guideline_version, override, stop_reason, created_by_id, patient_id,
                missed_checked_through, reminder_next_at, reminders_handled_through)
            SELECT gen_random_uuid(), now(), now(), 'active', 'adjuvant', %s, 36, %s,
                '{}'::jsonb, %s::jsonb, %s, NULL, '', %s, p.id, %s,
                %s + CASE WHEN p.time_zone = %s OR hashtext(p.id::text) %% 60 = 0
                     THEN interval '0' ELSE interval '1 hour' END, %s
            FROM accounts_patient p
            WHERE p.care_team_id = %s
              AND NOT EXISTS (SELECT 1 FROM adherence_treatmentplan t WHERE t.patient_id = p.id)
            """,
            [
                start,
                start + timedelta(days=3 * 365),
                recommendation[0] if recommendation else "{}",
                "bench",
                nurse.pk,
                today - timedelta(days=2),
                busy_minute(today) - timedelta(minutes=1),
                ZONE,
                busy_minute(today) - timedelta(minutes=2),
                team.pk,
            ],
        )
        cursor.execute(
            """
            INSERT INTO adherence_planrevision (number, effective_date, dose_mg_per_day,
                doses_per_day, dose_times, reason, created_at, created_by_id, plan_id)
            SELECT 1, t.start_date, 400, 1, '["08:00"]'::jsonb, 'Starting dose.', now(), %s, t.id
            FROM adherence_treatmentplan t JOIN accounts_patient p ON p.id = t.patient_id
            WHERE p.care_team_id = %s
              AND NOT EXISTS (SELECT 1 FROM adherence_planrevision r WHERE r.plan_id = t.id)
            """,
            [nurse.pk, team.pk],
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE accounts_patient")
        cursor.execute("ANALYZE adherence_treatmentplan")
        cursor.execute("ANALYZE adherence_planrevision")
    return team.patients.count()


def reset_state(today: date) -> None:
    """Before each repetition: nothing swept or reminded yet for yesterday and today. Then
    VACUUM ANALYZE what the repetitions churn (66,666 rows deleted, 110,000 plans updated each
    time): without it the dead rows pile up and each repetition is slower than the last (the
    sweep went from 9.4 to 15.3 s over two runs, and its SQL-only baseline from 3.1 to
    4.9 s), which production's autovacuum, at one sweep a day per plan, would not see."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            DELETE FROM adherence_doselog d USING accounts_patient p, accounts_careteam c
            WHERE d.patient_id = p.id AND p.care_team_id = c.id AND c.name = %s
            """,
            [TEAM],
        )
        cursor.execute(
            """
            DELETE FROM notifications_outboxmessage o USING accounts_patient p, accounts_careteam c
            WHERE o.recipient_id = p.user_id AND p.care_team_id = c.id AND c.name = %s
            """,
            [TEAM],
        )
        cursor.execute(
            """
            UPDATE adherence_treatmentplan t SET missed_checked_through = %s,
                reminder_next_at = %s + CASE WHEN p.time_zone = %s
                    OR hashtext(p.id::text) %% 60 = 0 THEN interval '0' ELSE interval '1 hour' END,
                reminders_handled_through = %s
            FROM accounts_patient p, accounts_careteam c
            WHERE t.patient_id = p.id AND p.care_team_id = c.id AND c.name = %s
            """,
            [
                today - timedelta(days=2),
                busy_minute(today) - timedelta(minutes=1),
                ZONE,
                busy_minute(today) - timedelta(minutes=2),
                TEAM,
            ],
        )
    if not connection.in_atomic_block:
        with connection.cursor() as cursor:
            for table in (
                "adherence_doselog",
                "adherence_treatmentplan",
                "notifications_outboxmessage",
            ):
                cursor.execute(f"VACUUM ANALYZE {table}")
