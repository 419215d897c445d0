"""100,000 patients for the reminder and sweep benchmarks ("seed or simulate that many
plans"): plans-only patients of their own care team, made in SQL in a few statements. They
take their dose at 08:00 local time in six zones, as the seeded cohort does; at 08:00 in
Madrid a sixth of them are due at once, plus the plans looked at again on their hourly
revisit: the busy minute."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
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
        with transaction.atomic(), connection.cursor() as cursor:
            _write_ledger(cursor, team.pk, today)  # plans made before the ledger existed
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
                guideline_version, override, stop_reason, created_by_id, patient_id)
            SELECT gen_random_uuid(), now(), now(), 'active', 'adjuvant', %s, 36, %s,
                '{}'::jsonb, %s::jsonb, %s, NULL, '', %s, p.id
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
                team.pk,
            ],
        )
        cursor.execute(
            """
            INSERT INTO adherence_planrevision (number, effective_date, dose_mg_per_day,
                doses_per_day, dose_times, tablet_strengths_mg, reason, created_at,
                created_by_id, plan_id)
            SELECT 1, t.start_date, 400, 1, '["08:00"]'::jsonb, '[400]'::jsonb, 'Starting dose.',
                now(), %s, t.id
            FROM adherence_treatmentplan t JOIN accounts_patient p ON p.id = t.patient_id
            WHERE p.care_team_id = %s
              AND NOT EXISTS (SELECT 1 FROM adherence_planrevision r WHERE r.plan_id = t.id)
            """,
            [nurse.pk, team.pk],
        )
        _write_ledger(cursor, team.pk, today)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE accounts_patient")
        cursor.execute("ANALYZE adherence_treatmentplan")
        cursor.execute("ANALYZE adherence_planrevision")
        cursor.execute("ANALYZE adherence_scheduleddose")
    return team.patients.count()


def _write_ledger(cursor, team_id: int, today: date) -> None:
    """The plans' dose ledger rows (issue 20) as the writer leaves them, in SQL, in the
    physical order of steady state (day by day): one 08:00 dose a day from the start to today
    + the horizon; days before yesterday taken (the
    benchmark's patients took them), the rest pending. reset_state sets yesterday's and
    today's reminder and sweep state."""
    cursor.execute(
        """
        INSERT INTO adherence_scheduleddose (id, patient_id, patient_user_id, plan_id,
            revision_id, local_date,
            slot, local_time, time_zone, due_at, missed_after, state, taken_at, logged_at, late,
            skip_reason, note, follow_ups_sent, next_reminder_at, follow_up_enabled,
            follow_up_minutes, quiet_start, quiet_end, created_at, updated_at)
        SELECT time_ordered_uuid(), t.patient_id, p.user_id, t.id, r.id, d.day, 1,
            time '08:00',
            p.time_zone, (d.day + time '08:00') AT TIME ZONE p.time_zone,
            ((d.day + 1)::timestamp AT TIME ZONE p.time_zone) + %s * interval '1 hour',
            CASE WHEN d.day < %s THEN 'taken' ELSE 'pending' END,
            CASE WHEN d.day < %s THEN (d.day + time '08:05') AT TIME ZONE p.time_zone END,
            CASE WHEN d.day < %s THEN (d.day + time '08:06') AT TIME ZONE p.time_zone END,
            false, '', '', 0,
            CASE WHEN d.day > %s THEN (d.day + time '08:00') AT TIME ZONE p.time_zone END,
            -- The reminder settings the claim reads on the row, as the writer copies them:
            -- these patients have none of their own (follow-ups on, the default interval, no
            -- quiet hours).
            true, NULL, NULL, NULL,
            now(), now()
        FROM adherence_treatmentplan t JOIN accounts_patient p ON p.id = t.patient_id
        JOIN adherence_planrevision r ON r.plan_id = t.id
        CROSS JOIN LATERAL (
            SELECT generate_series(t.start_date, %s::date, interval '1 day')::date AS day
        ) AS d
        WHERE p.care_team_id = %s
          AND NOT EXISTS (SELECT 1 FROM adherence_scheduleddose s
                          WHERE s.patient_id = t.patient_id AND s.plan_id = t.id)
        -- One day's rows together, as the writer's hourly extension leaves them in steady
        -- state (it appends each new day for every plan), not one plan's days together.
        ORDER BY d.day, t.id
        """,
        [
            settings.DOSE_MISSED_GRACE_HOURS,
            today - timedelta(days=1),
            today - timedelta(days=1),
            today - timedelta(days=1),
            today,
            today + timedelta(days=settings.LEDGER_HORIZON_DAYS),
            team_id,
        ],
    )


def reset_state(today: date) -> None:
    """Before each repetition: nothing swept or reminded yet for yesterday and today. Then
    VACUUM ANALYZE what the repetitions churn (the outbox rows deleted, two days of ledger
    rows set back each time): without it the dead rows pile up and each repetition is slower
    than the last (the sweep went from 9.4 to 15.3 s over two runs, and its SQL-only baseline
    from 3.1 to 4.9 s), which production's autovacuum, at one sweep a day per plan, would not
    see."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            DELETE FROM notifications_outboxmessage o USING accounts_patient p, accounts_careteam c
            WHERE o.recipient_id = p.user_id AND p.care_team_id = c.id AND c.name = %s
            """,
            [TEAM],
        )
        # The ledger rows of yesterday and today: pending, and reminded as the job leaves them
        # a minute before the busy minute (the dose time, then hourly follow-ups).
        handled = busy_minute(today) - timedelta(minutes=1)
        attempts = settings.REMINDER_MAX_FOLLOW_UPS + 1
        step = settings.REMINDER_FOLLOW_UP_MINUTES
        # The first reminder time after `handled`: the dose time, or the next follow-up.
        attempt = (
            "CASE WHEN s.due_at > %(handled)s THEN 0 ELSE LEAST(%(attempts)s, "
            "floor(extract(epoch FROM %(handled)s - s.due_at) / (60 * %(step)s))::int + 1) END"
        )
        cursor.execute(
            f"""
            UPDATE adherence_scheduleddose s SET state = 'pending', client_id = NULL,
                taken_at = NULL, late = false, skip_reason = '', note = '',
                recorded_by_id = NULL, logged_at = NULL, follow_ups_sent = {attempt},
                next_reminder_at = CASE WHEN {attempt} < %(attempts)s
                    THEN s.due_at + ({attempt}) * %(step)s * interval '1 minute' END
            FROM accounts_patient p, accounts_careteam c
            WHERE s.patient_id = p.id AND p.care_team_id = c.id AND c.name = %(team)s
              AND s.local_date BETWEEN %(yesterday)s AND %(today)s
            """,
            {
                "handled": handled,
                "attempts": attempts,
                "step": step,
                "team": TEAM,
                "yesterday": today - timedelta(days=1),
                "today": today,
            },
        )
    if not connection.in_atomic_block:
        with connection.cursor() as cursor:
            for table in (
                "adherence_scheduleddose",
                "notifications_outboxmessage",
            ):
                cursor.execute(f"VACUUM ANALYZE {table}")
