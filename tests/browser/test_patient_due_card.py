"""What to do now and motivation without blame (issue 22), on a phone (360 x 740, touch) in
Debian's Chromium against the live server, in English and Spanish: the due dose first and
largest, as tablets of the plan's strengths, with the label's advice and a ticking countdown;
a late dose's missed-dose advice, and "skip it" once the next dose is due; a dose logged more
than DOSE_EARLY_CONFIRM_HOURS early asks first (cancel stores nothing, yes stores once, offline
too); History's days taken, current run and chart against the server's rows; dark mode; axe."""

import re
import uuid
from collections import defaultdict
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from backend.adherence.models import ScheduledDose
from backend.adherence.services.missed_doses import doses_mark_missed
from backend.guidelines.tablets import tablets_for_dose
from tests.browser.test_patient_app import (
    check_screen,
    dose_card,
    hhmm,
    local_now,
    signed_in_patient,
    wait_for_service_worker,
)
from tests.factories.accounts import TEST_PASSWORD
from tests.factories.clients import client_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

LANGUAGES = ["en", "es"]
LOCALE = {"en": "en-GB", "es": "es-ES"}
WORDS = {
    "en": {
        "title": "Today",
        "history": "History",
        "user": "Username",
        "password": "Password",
        "sign_in": "Sign in",
        "taken": "Taken",
        "take_now": "Take now",
        "meal": "Take it with a meal and a large glass of water.",
        "one_400": "1 tablet of 400 mg",
        "mixed": "1 \u00d7 400 mg + 2 \u00d7 100 mg",
        "next_in": "Next dose at",
        "late": "take it as soon as you remember",
        "never_two": "Never take two doses at once to make up for a missed one.",
        "skip": "skip this one and take the next dose as usual",
        "announce_due": "It is time for your",
        "early": "before your dose time. Take it now?",
        "early_earlier": "before your dose time. Save it as taken?",
        "earlier": "I took it earlier",
        "earlier_label": "What time did you take it?",
        "earlier_save": "Save this time",
        "yes": "Yes, log it",
        "cancel": "Cancel",
        "nothing": "Nothing was saved.",
        "waiting": "Waiting to send",
        "days": "{taken} of {days} days",
        "streak": "{count} days in a row with every dose taken",
        "cell": "{taken} of {doses}",
        "table": "Show the chart as a table",
    },
    "es": {
        "title": "Hoy",
        "history": "Historial",
        "user": "Nombre de usuario",
        "password": "Contraseña",
        "sign_in": "Entrar",
        "taken": "Tomada",
        "take_now": "Tómela ahora",
        "meal": "Tómela con una comida y un vaso grande de agua.",
        "one_400": "1 comprimido de 400 mg",
        "mixed": "1 \u00d7 400 mg + 2 \u00d7 100 mg",
        "next_in": "Próxima dosis a las",
        "late": "tómela en cuanto se acuerde",
        "never_two": "No tome nunca dos dosis a la vez para compensar una olvidada.",
        "skip": "no tome esta y tome la siguiente como siempre",
        "announce_due": "Es la hora de su dosis de las",
        "early": "para la hora de su dosis. ¿La toma ahora?",
        "early_earlier": "antes de la hora de su dosis. ¿La guarda como tomada?",
        "earlier": "La tomé antes",
        "earlier_label": "¿A qué hora la tomó?",
        "earlier_save": "Guardar esta hora",
        "yes": "Sí, registrarla",
        "cancel": "Cancelar",
        "nothing": "No se ha guardado nada.",
        "waiting": "Pendiente de envío",
        "days": "{taken} de {days} días",
        "streak": "{count} días seguidos con todas las dosis tomadas",
        "cell": "{taken} de {doses}",
        "table": "Ver el gráfico como tabla",
    },
}
SIX_HUNDRED = {"dose_mg_per_day": 600, "reason": "Prescriber's dose for this test."}


def sign_in(page: Page, live_server, patient, language: str) -> None:
    words = WORDS[language]
    if language != "en":
        patient.language = language
        patient.save(update_fields=["language"])
    page.goto(f"{live_server.url}/app/#/signin")
    page.get_by_label(words["user"]).fill(patient.user.username)
    page.get_by_label(words["password"]).fill(TEST_PASSWORD)
    page.get_by_role("button", name=words["sign_in"]).tap()
    expect(page.get_by_role("heading", name=words["title"], level=1)).to_be_visible()


def countdown_seconds(page: Page) -> int:
    text = page.locator("#countdown").inner_text()
    hours, minutes, seconds = re.search(r"(\d+):(\d\d):(\d\d)", text).groups()  # type: ignore[union-attr]
    return int(hours) * 3600 + int(minutes) * 60 + int(seconds)


def logged(patient) -> list[ScheduledDose]:
    return list(ScheduledDose.objects.logged().filter(patient=patient).order_by("slot"))


# ---------------------------------------------------------------- the same amount everywhere


def test_the_phone_and_the_server_make_every_dose_level_from_the_same_tablets(
    live_server, open_phone
):
    """js/tablets.js (the offline plan) and guidelines/tablets.py (me/today/) agree on every
    dose level with every strength set, and the offline plan's line carries the amount."""
    page = open_phone()
    page.goto(f"{live_server.url}/app/")
    page.wait_for_function("() => document.documentElement.dataset.ready === 'yes'")
    levels = [100, 200, 250, 300, 400, 600, 800]
    sets = [[100], [400], [100, 400], [400, 100]]
    got = page.evaluate(
        """async ([levels, sets]) => {
             const tablets = await import("/static/patientapp/js/tablets.js");
             const plan = await import("/static/patientapp/js/plan.js");
             const kept = { id: 1, state: "active", start_date: "2026-03-01",
               planned_end_date: null, total_days: null, dose_mg_per_day: 800, holds: [],
               revisions: [{ number: 1, effective_date: "2026-03-01", dose_mg_per_day: 800,
                             dose_times: ["08:00", "20:00"], tablet_strengths_mg: [100, 400] }] };
             return {
               table: levels.map((mg) => sets.map((set) => tablets.tabletsForDose(mg, set))),
               offline: plan.planOn(kept, "2026-03-05").tablets_per_dose,
             };
           }""",
        [levels, sets],
    )
    expected = [
        [
            [{"strength_mg": c.strength_mg, "count": c.count} for c in made]
            if (made := tablets_for_dose(mg, strengths)) is not None
            else None
            for strengths in sets
        ]
        for mg in levels
    ]
    assert got["table"] == expected
    assert got["offline"] == [{"strength_mg": 400, "count": 1}]
    # Spot checks of the rule itself (fewest tablets, largest first).
    assert expected[levels.index(600)][2] == [
        {"strength_mg": 400, "count": 1},
        {"strength_mg": 100, "count": 2},
    ]
    assert expected[levels.index(300)][1] is None  # 300 mg cannot be made of 400 mg tablets
    assert page.problems == []


def test_todays_model_says_upcoming_due_late_and_skip_and_when_to_ask(live_server, open_phone):
    page = open_phone()
    page.goto(f"{live_server.url}/app/")
    page.wait_for_function("() => document.documentElement.dataset.ready === 'yes'")
    got = page.evaluate(
        """async () => {
             const model = await import("/static/patientapp/js/today-model.js");
             const zone = "Europe/Madrid";  // UTC+1 in March
             const dose = (slot, time) => ({ date: "2026-03-05", slot, local_time: time,
                                             status: "pending", log: null });
             const doses = [dose(1, "08:00"), dose(2, "20:00")];
             const at = (utc) => new Date(`2026-03-05T${utc}:00Z`);
             const due = (utc) => {
               const now = model.dueModel(doses, [], zone, at(utc), null);
               return [now.due && now.due.slot, now.state, now.next && now.next.toISOString(),
                       now.others.map((d) => d.slot)];
             };
             return {
               before: due("06:00"), onTime: due("07:30"), late: due("09:30"),
               nextCame: due("19:05"), after: due("21:00"),
               skipFirst: model.doseAdvice(doses[0], doses, zone, at("19:05")),
               early: [model.earlyBy(doses[0], at("04:00"), zone),
                       model.earlyBy(doses[0], at("05:30"), zone)],
               words: model.hoursMinutesWords(6.75 * 3600000),
               clock: [model.clockOf(3 * 3600 + 5 * 60 + 9), model.clockOf(-4)],
             };
           }"""
    )
    assert got["before"] == [1, "upcoming", "2026-03-05T07:00:00.000Z", [2]]
    assert got["onTime"] == [1, "due", "2026-03-05T19:00:00.000Z", [2]]
    assert got["late"] == [1, "late", "2026-03-05T19:00:00.000Z", [2]]  # > 120 min late
    assert got["nextCame"] == [2, "due", None, [1]]  # 20:00 is due: 08:00 is to be skipped
    assert got["skipFirst"] == "skip"
    assert got["after"] == [2, "due", None, [1]]
    assert got["early"] == [3 * 3600_000, 0]  # 3 h early asks; 1.5 h does not (2 h setting)
    assert got["words"] == "6 h 45 min"
    assert got["clock"] == ["3:05:09", "0:00:00"]


# ---------------------------------------------------------------- the due card


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_due_dose_comes_first_as_tablets_with_the_labels_advice_and_a_countdown(
    live_server, open_phone, nurse, patient, zone, artifacts, language
):
    words = WORDS[language]
    dose_time = (local_now(zone) - timedelta(minutes=5)).time().replace(second=0, microsecond=0)
    signed_in_patient(
        nurse,
        patient,
        zone,
        override=SIX_HUNDRED,
        tablet_strengths_mg=[100, 400],
        dose_times=[dose_time.strftime("%H:%M")],
    )
    plan_part = client_for(patient.user).get("/api/v1/me/today/").json()["plan"]
    assert plan_part["tablets_per_dose"] == [
        {"strength_mg": 400, "count": 1},
        {"strength_mg": 100, "count": 2},
    ]
    page = open_phone(locale=LOCALE[language])
    sign_in(page, live_server, patient, language)
    due = page.locator(".due-now")
    expect(due.locator(".due-amount")).to_have_text(words["mixed"])
    expect(due.locator(".due-kicker")).to_have_text(words["take_now"])
    expect(due.locator(".due-advice")).to_have_text(words["meal"])
    expect(due.locator("#taken-1")).to_be_visible()
    # First and largest: above the plan's line, and its amount larger than the body text.
    assert page.locator(".due-now").bounding_box()["y"] < page.locator(".plan").bounding_box()["y"]
    sizes = page.evaluate(
        """() => [getComputedStyle(document.querySelector('.due-amount')).fontSize,
                  getComputedStyle(document.body).fontSize].map(parseFloat)"""
    )
    assert sizes[0] >= 1.5 * sizes[1]

    # The countdown to tomorrow's dose (from the kept plan) ticks; not announced each second.
    timer = page.locator("#countdown")
    expect(timer).to_contain_text(words["next_in"])
    assert timer.get_attribute("role") == "timer" and timer.get_attribute("aria-live") is None
    first = countdown_seconds(page)
    page.wait_for_timeout(2_200)
    second = countdown_seconds(page)
    assert 1 <= first - second <= 4, (first, second)
    tomorrow = local_now(zone).date() + timedelta(days=1)
    tomorrows_dose = datetime.combine(tomorrow, dose_time, ZoneInfo(zone))
    expected_left = (tomorrows_dose - local_now(zone)).total_seconds()
    assert abs(second - expected_left) < 10

    check_screen(page, f"today, due card ({language})")
    page.screenshot(path=str(artifacts / f"patient-app-due-card-{language}.png"), full_page=True)

    # Logged: the day is done, and the countdown still runs to tomorrow's dose.
    page.locator("#taken-1").tap()
    expect(dose_card(page, 1).locator(".badge")).to_have_text(re.compile(f"{words['taken']}$"))
    expect(page.locator(".due-done")).to_be_visible()
    expect(page.locator("#countdown")).to_contain_text(words["next_in"])
    assert [log.state for log in logged(patient)] == ["taken"]
    assert page.problems == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_late_dose_shows_the_missed_dose_advice_then_skip_once_the_next_is_due(
    live_server, open_phone, nurse, patient, zone, language
):
    words = WORDS[language]
    now = local_now(zone)
    first, second = now - timedelta(hours=3), now + timedelta(hours=2)
    signed_in_patient(
        nurse,
        patient,
        zone,
        override={"dose_mg_per_day": 800, "reason": "Test: twice daily."},
        dose_times=[hhmm(first), hhmm(second)],
    )
    page = open_phone(locale=LOCALE[language])
    page.clock.install()  # the page's clock runs on from now; fast_forward moves it
    sign_in(page, live_server, patient, language)
    card = dose_card(page, 1)
    expect(page.locator(".due-now")).to_have_class(re.compile(r"\bdue-late\b"))
    expect(page.locator(".due-now .due-amount")).to_have_text(words["one_400"])
    expect(card.locator(".late-advice")).to_contain_text(words["late"])
    expect(card.locator(".late-advice")).to_contain_text(words["never_two"])
    expect(page.locator(".due-now")).not_to_contain_text(words["skip"])
    # Never two doses together: the card offers this one dose only.
    expect(page.locator(".due-now [id^=taken-]")).to_have_count(1)
    check_screen(page, f"today, late dose ({language})")

    # The next dose's time comes: it is the due one, the earlier one says skip it.
    page.clock.fast_forward(int((second - now).total_seconds() * 1000) + 90_000)
    expect(page.locator(".due-now #dose-2-title")).to_be_visible()
    expect(dose_card(page, 1).locator(".late-advice")).to_contain_text(words["skip"])
    expect(dose_card(page, 1).locator(".late-advice")).to_contain_text(words["never_two"])
    expect(page.locator("#announcer")).to_contain_text(words["announce_due"])
    assert logged(patient) == []  # nothing is logged by the advice
    assert page.problems == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_dose_more_than_the_set_hours_early_asks_first_cancel_stores_nothing(
    live_server, open_phone, nurse, patient, zone, settings, language
):
    """DOSE_EARLY_CONFIRM_HOURS (DESIGN, §2.6) from /app/config.json, set to 1 here, so a dose
    1 h 40 min early asks only because the server's setting says so (the app's default is 2);
    offline after a reload too (the kept config), and stored once when back online."""
    settings.DOSE_EARLY_CONFIRM_HOURS = 1
    words = WORDS[language]
    now = local_now(zone)
    times = [hhmm(now + timedelta(hours=1, minutes=40)), hhmm(now + timedelta(hours=1, minutes=55))]
    signed_in_patient(
        nurse,
        patient,
        zone,
        override={"dose_mg_per_day": 800, "reason": "Test: twice daily."},
        dose_times=times,
    )
    page = open_phone(locale=LOCALE[language])
    sign_in(page, live_server, patient, language)
    wait_for_service_worker(page)

    page.locator("#taken-1").tap()
    question = page.locator(".early-confirm")
    expect(question).to_contain_text(words["early"])
    expect(question).to_contain_text(re.compile(r"\b1 h (3\d|40) min\b"))
    expect(page.locator("#early-confirm-title")).to_be_focused()
    page.wait_for_timeout(300)
    assert logged(patient) == []
    question.get_by_role("button", name=words["cancel"]).tap()
    expect(page.locator(".early-confirm")).to_have_count(0)
    expect(page.locator("#announcer")).to_have_text(words["nothing"])
    page.wait_for_timeout(500)
    assert logged(patient) == []  # cancel stores nothing, now or later

    # "I took it earlier" at a time that far before the dose's time asks too.
    card = dose_card(page, 1)
    card.get_by_text(words["earlier"]).tap()
    card.get_by_label(words["earlier_label"]).fill(hhmm(local_now(zone)))
    card.get_by_role("button", name=words["earlier_save"]).tap()
    expect(page.locator(".early-confirm")).to_contain_text(words["early_earlier"])
    page.locator(".early-confirm").get_by_role("button", name=words["cancel"]).tap()
    expect(page.locator(".early-confirm")).to_have_count(0)
    page.wait_for_timeout(300)
    assert logged(patient) == []

    page.locator("#taken-1").tap()
    page.locator(".early-confirm").get_by_role("button", name=words["yes"]).tap()
    expect(dose_card(page, 1).locator(".badge")).to_have_text(re.compile(f"{words['taken']}$"))
    assert [(log.slot, log.state) for log in logged(patient)] == [(1, "taken")]

    # Offline, after a reload: the setting is kept, the question still comes first.
    page.wait_for_load_state("networkidle")
    page.context.set_offline(True)
    page.reload()
    expect(page.get_by_role("heading", name=words["title"], level=1)).to_be_visible()
    page.locator("#taken-2").tap()
    expect(page.locator(".early-confirm")).to_contain_text(words["early"])
    page.locator(".early-confirm").get_by_role("button", name=words["yes"]).tap()
    expect(dose_card(page, 2).locator(".badge")).to_have_text(re.compile(words["waiting"]))
    assert [log.slot for log in logged(patient)] == [1]
    page.context.set_offline(False)
    expect(dose_card(page, 2).locator(".badge")).to_have_text(
        re.compile(f"{words['taken']}$"), timeout=20_000
    )
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_timeout(500)
    assert [(log.slot, log.state) for log in logged(patient)] == [(1, "taken"), (2, "taken")]
    assert page.problems == []


# ---------------------------------------------------------------- History: your month


def seed_history(nurse, patient, zone: str) -> date:
    """A plan from 9 days ago: the first two days not logged (the sweep marks them missed),
    then 7 days taken from the phone (one of them late), today not logged yet."""
    today = local_now(zone).date()
    start = today - timedelta(days=9)
    signed_in_patient(nurse, patient, zone, start_date=start, dose_times=["08:00"])
    phone = client_for(patient.user)
    for back in range(7, 0, -1):
        day = today - timedelta(days=back)
        hour = "11" if back == 4 else "08"  # 3 h after its time: taken late
        response = phone.post(
            "/api/v1/me/doses/",
            {
                "client_id": str(uuid.uuid4()),
                "date": day.isoformat(),
                "slot": 1,
                "status": "taken",
                "taken_at": datetime.fromisoformat(f"{day}T{hour}:05")
                .replace(tzinfo=ZoneInfo(zone))
                .isoformat(),
            },
            format="json",
        )
        assert response.status_code == 201, response.json()
    doses_mark_missed(timezone.now())
    return today


def expected_month(patient, today: date) -> tuple[dict[date, tuple[int, int]], int, int, int]:
    """From the server's rows: per day (taken, doses), the days counted, those complete, and
    the current run of complete days (today, still pending, passed over)."""
    per_day: dict[date, list[str]] = defaultdict(list)
    for row in ScheduledDose.objects.filter(patient=patient, local_date__lte=today):
        per_day[row.local_date].append(row.state)
    complete = {day: all(state == "taken" for state in states) for day, states in per_day.items()}
    month = {
        day: (sum(state == "taken" for state in states), len(states))
        for day, states in per_day.items()
        if day.month == today.month and day.year == today.year
    }
    counted = [day for day in month if day < today]
    streak = 0
    for day in sorted((day for day in per_day if day < today), reverse=True):
        if not complete[day]:
            break
        streak += 1
    return month, len(counted), sum(complete[day] for day in counted), streak


@pytest.mark.parametrize("language", LANGUAGES)
def test_history_shows_days_taken_the_current_run_and_a_chart_from_the_servers_rows(
    live_server, open_phone, nurse, patient, zone, artifacts, language
):
    words = WORDS[language]
    today = seed_history(nurse, patient, zone)
    month, days, taken, streak = expected_month(patient, today)
    assert streak == 7  # the seed's 7 days (crossing into last month early in a month)
    page = open_phone(locale=LOCALE[language])
    sign_in(page, live_server, patient, language)
    page.goto(f"{live_server.url}/app/#/history")
    expect(page.get_by_role("heading", name=words["history"], level=1)).to_be_visible()
    if days:
        expect(page.locator("#days-taken")).to_have_text(
            words["days"].format(taken=taken, days=days)
        )
    expect(page.locator("#streak")).to_have_text(words["streak"].format(count=streak))
    # One bar a day of the month; the table gives each day's figures in words.
    last_day = (
        date(today.year + today.month // 12, today.month % 12 + 1, 1) - timedelta(days=1)
    ).day
    expect(page.locator(".chart-bar")).to_have_count(last_day)
    assert page.locator(".chart-bars").get_attribute("aria-hidden") == "true"
    page.get_by_text(words["table"]).tap()
    rows = page.locator(".chart-table tbody tr")
    expect(rows).to_have_count(today.day)
    for day, (day_taken, doses) in month.items():
        row = page.locator(f".chart-table tr[data-date='{day.isoformat()}'] td")
        expect(row).to_have_text(words["cell"].format(taken=day_taken, doses=doses))
        bar = page.locator(f".chart-bar[data-date='{day.isoformat()}']")
        expect(bar).to_have_class(re.compile("chart-bar-taken" if day_taken else "chart-bar-empty"))
    check_screen(page, f"history, your month ({language})")
    page.screenshot(
        path=str(artifacts / f"patient-app-history-month-{language}.png"), full_page=True
    )
    assert page.problems == []


# ---------------------------------------------------------------- dark mode


def is_dark(page: Page, selector: str = "body") -> bool:
    rgb = page.evaluate(
        "(selector) => getComputedStyle(document.querySelector(selector)).backgroundColor",
        selector,
    )
    red, green, blue = (int(part) for part in re.findall(r"\d+", rgb)[:3])
    return (0.2126 * red + 0.7152 * green + 0.0722 * blue) / 255 < 0.2


@pytest.mark.parametrize("language", LANGUAGES)
def test_dark_mode_today_and_history_are_dark_and_pass_axe(
    live_server, open_phone, nurse, patient, zone, artifacts, language
):
    seed_history(nurse, patient, zone)
    page = open_phone(locale=LOCALE[language], color_scheme="dark")
    sign_in(page, live_server, patient, language)
    expect(page.locator(".due-now")).to_be_visible()
    assert is_dark(page) and is_dark(page, ".dose-due")
    check_screen(page, f"today, dark ({language})")
    page.screenshot(path=str(artifacts / f"patient-app-today-dark-{language}.png"), full_page=True)
    page.goto(f"{live_server.url}/app/#/history")
    expect(page.locator("#streak")).to_be_visible()
    assert is_dark(page) and is_dark(page, ".motivation")
    check_screen(page, f"history, dark ({language})")
    page.screenshot(
        path=str(artifacts / f"patient-app-history-dark-{language}.png"), full_page=True
    )
    assert page.problems == []
