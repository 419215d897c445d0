"""doses.csv, every field pinned for a hand-built patient whose week has the edges of the
schedule: a daylight-saving change in Madrid, a zone change (to New York) inside the range
and then New York's own change, a hold, a second plan taking over days the first still
covered, a taken_at with microseconds, and a record number that needs CSV quoting and
formula neutralising. Plus the CSV field rule the export's fast path relies on."""

import csv
import io
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine
from hypothesis import given
from hypothesis import strategies as st

from backend.accounts.models import PatientTimeZoneChange
from backend.adherence.models import DoseStatus, SkipReason
from backend.adherence.services.ledger import ledger_rewrite_patient
from backend.adherence.services.plans import plan_hold_add, plan_stop
from backend.reports.columns import DOSE_COLUMNS, Column
from backend.reports.tabular import csv_field, csv_lines
from tests.factories.accounts import activated_patient
from tests.factories.clients import client_for
from tests.factories.doses import DoseRecord, doses_logged
from tests.factories.plans import ADVANCED_KIT_EXON_9_CASE, HIGH_RISK_CASE, TreatmentPlanFactory

MADRID, NEW_YORK = "Europe/Madrid", "America/New_York"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
QUERY = {"from": "2026-10-24", "to": "2026-11-02"}
RECORD = '=A,"b"'  # a formula, a comma and a quote


def log(plan, day, slot, status, *, taken_at=None, late=False, reason=""):
    return DoseRecord(
        plan,
        day,
        slot,
        status,
        taken_at=taken_at,
        late=late,
        skip_reason=reason,
        recorded_by=plan.patient.user,
    )


@pytest.fixture
def week(nurse, care_team):
    """Dana: once daily at 08:00 in Madrid from 1 October (plan A); Madrid leaves summer time
    on 25 October; she moves to New York from 26 October; A is held on 27 October and
    stopped on 29 October at noon New York time; plan B (09:00 and 21:00) starts on 28
    October, so 28 and 29 October are B's alone. New York leaves summer time on 1 November.
    Eli has no plan (no rows)."""
    with time_machine.travel(NOW, tick=False):
        dana = activated_patient(
            care_team=care_team, display_name="Dana", medical_record_number=RECORD, time_zone=MADRID
        )
        activated_patient(care_team=care_team, display_name="Eli", time_zone=MADRID)
        plan_a = TreatmentPlanFactory.create(
            patient=dana, created_by=nurse, case=HIGH_RISK_CASE, start_date="2026-10-01"
        )
        plan_hold_add(
            plan=plan_a,
            created_by=nurse,
            start_date=date(2026, 10, 27),
            end_date=date(2026, 10, 27),
            reason="Neutropenia",
        )
        PatientTimeZoneChange.objects.create(
            patient=dana,
            previous_time_zone=MADRID,
            time_zone=NEW_YORK,
            effective_date=date(2026, 10, 26),
        )
        dana.time_zone = NEW_YORK
        dana.save(update_fields=["time_zone", "updated_at"])
        # The ledger's rows from the move, as patient_time_zone_change rewrites them.
        ledger_rewrite_patient(dana.pk, from_day=date(2026, 10, 26))
    with time_machine.travel(datetime(2026, 10, 29, 16, 0, tzinfo=UTC), tick=False):
        plan_stop(plan=plan_a, stopped_by=nurse, reason="Intolerance")
    with time_machine.travel(NOW, tick=False):
        plan_b = TreatmentPlanFactory.create(
            patient=dana,
            created_by=nurse,
            case=ADVANCED_KIT_EXON_9_CASE,
            start_date="2026-10-28",
            dose_times=["09:00", "21:00"],
        )
    madrid, new_york = ZoneInfo(MADRID), ZoneInfo(NEW_YORK)
    doses_logged(
        [
            log(
                plan_a,
                date(2026, 10, 24),
                1,
                DoseStatus.TAKEN,
                taken_at=datetime(2026, 10, 24, 8, 5, 0, 123456, tzinfo=madrid),
            ),
            log(
                plan_a,
                date(2026, 10, 25),
                1,
                DoseStatus.TAKEN,
                taken_at=datetime(2026, 10, 25, 10, 30, tzinfo=madrid),
                late=True,
            ),
            log(plan_a, date(2026, 10, 26), 1, DoseStatus.SKIPPED, reason=SkipReason.FORGOT),
            log(plan_a, date(2026, 10, 27), 1, DoseStatus.MISSED),  # held: the hold wins
            log(
                plan_b,
                date(2026, 10, 28),
                1,
                DoseStatus.TAKEN,
                taken_at=datetime(2026, 10, 28, 9, 10, tzinfo=new_york),
            ),
            log(plan_b, date(2026, 10, 28), 2, DoseStatus.MISSED),
        ]
    )
    return {"dana": dana, "plan_a": plan_a, "plan_b": plan_b}


@pytest.mark.django_db
def test_every_field_of_a_week_with_the_schedule_edges(coordinator, week):
    with time_machine.travel(NOW, tick=False):
        response = client_for(coordinator).get("/api/v1/exports/doses.csv", QUERY)
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = body.split("\r\n")
    assert lines[0] == ",".join(column.name for column in DOSE_COLUMNS)
    assert lines[-1] == ""  # every line ends with CRLF
    dana, a, b = str(week["dana"].pk), str(week["plan_a"].pk), str(week["plan_b"].pk)
    prefix = f'{dana},Dana,"\'=A,""b"""'  # the record number neutralised, then quoted
    rest = [
        # day, slot, local time, zone, due_at (UTC), status, taken_at, skip reason
        f"{a},2026-10-24,1,08:00,{MADRID},2026-10-24T06:00:00+00:00,taken,"
        "2026-10-24T06:05:00.123456+00:00,",
        f"{a},2026-10-25,1,08:00,{MADRID},2026-10-25T07:00:00+00:00,taken_late,"
        "2026-10-25T09:30:00+00:00,",  # winter time from 03:00 that day
        f"{a},2026-10-26,1,08:00,{NEW_YORK},2026-10-26T12:00:00+00:00,skipped,,forgot",
        f"{a},2026-10-27,1,08:00,{NEW_YORK},2026-10-27T12:00:00+00:00,on_hold,,",
        f"{b},2026-10-28,1,09:00,{NEW_YORK},2026-10-28T13:00:00+00:00,taken,"
        "2026-10-28T13:10:00+00:00,",
        f"{b},2026-10-28,2,21:00,{NEW_YORK},2026-10-29T01:00:00+00:00,missed,,",
        f"{b},2026-10-29,1,09:00,{NEW_YORK},2026-10-29T13:00:00+00:00,pending,,",
        f"{b},2026-10-29,2,21:00,{NEW_YORK},2026-10-30T01:00:00+00:00,pending,,",
        f"{b},2026-10-30,1,09:00,{NEW_YORK},2026-10-30T13:00:00+00:00,pending,,",
        f"{b},2026-10-30,2,21:00,{NEW_YORK},2026-10-31T01:00:00+00:00,pending,,",
        f"{b},2026-10-31,1,09:00,{NEW_YORK},2026-10-31T13:00:00+00:00,pending,,",
        f"{b},2026-10-31,2,21:00,{NEW_YORK},2026-11-01T01:00:00+00:00,pending,,",
        f"{b},2026-11-01,1,09:00,{NEW_YORK},2026-11-01T14:00:00+00:00,pending,,",  # EST
        f"{b},2026-11-01,2,21:00,{NEW_YORK},2026-11-02T02:00:00+00:00,pending,,",
        f"{b},2026-11-02,1,09:00,{NEW_YORK},2026-11-02T14:00:00+00:00,pending,,",
        f"{b},2026-11-02,2,21:00,{NEW_YORK},2026-11-03T02:00:00+00:00,pending,,",
    ]
    assert lines[1:-1] == [f"{prefix},{line}" for line in rest]
    # A spreadsheet (or csv.reader) reads the record number back as text.
    rows = list(csv.DictReader(io.StringIO(body)))
    assert {row["medical_record_number"] for row in rows} == {"'" + RECORD}


@pytest.mark.django_db
def test_the_background_job_writes_the_same_file(coordinator, week, settings, tmp_path):
    from backend.reports.services import ExportRequest, export_job_request, export_job_run

    settings.EXPORT_DIR = str(tmp_path)
    with time_machine.travel(NOW, tick=False):
        streamed = b"".join(
            client_for(coordinator).get("/api/v1/exports/doses.csv", QUERY).streaming_content
        )
        job = export_job_request(
            user=coordinator,
            kind="doses_csv",
            export=ExportRequest(first=date(2026, 10, 24), last=date(2026, 11, 2), care_team=None),
        )
        job = export_job_run(job.pk)
    assert job.row_count == 16
    assert (tmp_path / job.file_name).read_bytes() == streamed


@pytest.mark.django_db
def test_the_audit_and_the_requests_context_are_stepped_through_a_patient_at_a_time(
    coordinator, week, monkeypatch
):
    """Dana's 16 rows pass the export's audit (and the request's context around it) as one
    step, not 16: a dose export has millions of rows (docs/performance.md)."""
    from backend.reports import services

    steps: list[int] = []
    wrap = services.in_request_context

    def counted(items):
        inner = wrap(items)

        def each():
            for item in inner:
                steps.append(len(item))
                yield item

        return each()

    monkeypatch.setattr(services, "in_request_context", counted)
    with time_machine.travel(NOW, tick=False):
        response = client_for(coordinator).get("/api/v1/exports/doses.csv", QUERY)
        body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert steps == [16]
    assert len(body.split("\r\n")) == 1 + 16 + 1  # the header, Dana's rows, the last CRLF


# ---------------------------------------------------------------- the CSV field rule

TEXT = st.text(alphabet=st.sampled_from(["a", " ", ",", '"', "'", "\r", "\n", "=", "-", "é"]))


@given(st.lists(TEXT, min_size=2, max_size=11))
def test_joined_fields_are_the_lines_csv_writer_writes(values: list[str]) -> None:
    """csv_lines(..., fields=True) joins csv_field values with commas: the same bytes as
    csv.writer writing the values (rows of two fields or more, as every export's are)."""
    columns = [Column(f"c{index}", "text", "") for index in range(len(values))]
    typed = b"".join(csv_lines(columns, [values, values[::-1]]))
    fields = [[csv_field(value) for value in row] for row in (values, values[::-1])]
    assert b"".join(csv_lines(columns, fields, fields=True)) == typed


def test_field_values_as_csv_value_formats_them() -> None:
    assert csv_field(None) == ""
    assert csv_field(date(2026, 10, 25)) == "2026-10-25"
    assert csv_field(datetime(2026, 10, 25, 7, tzinfo=UTC)) == "2026-10-25T07:00:00+00:00"
    assert csv_field(3) == "3"
    assert csv_field("-1") == "'-1"
    assert csv_field('say "hi", then') == '"say ""hi"", then"'
    assert csv_field("two\r\nlines") == '"two\r\nlines"'
    assert csv_field(time(8).strftime("%H:%M")) == "08:00"
