"""Today's model (js/today-model.js, issue 23 point 10): the pure functions mountToday draws
from, run in Debian's Chromium as the app loads them (the app's i18n module, English)."""

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PLAN = {
    "id": 1,
    "state": "active",
    "start_date": "2026-03-01",
    "planned_end_date": "2026-03-28",
    "total_days": 28,
    "dose_mg_per_day": "400.00",
    "revisions": [
        {
            "number": 1,
            "effective_date": "2026-03-01",
            "dose_mg_per_day": "400.00",
            "dose_times": ["20:00", "08:00"],
        }
    ],
    "holds": [{"start_date": "2026-03-10", "end_date": "2026-03-11"}],
}


def test_todays_model_decides_the_day_the_cards_and_the_minute_of_undo(
    live_server, open_phone
) -> None:
    page = open_phone()
    page.goto(f"{live_server.url}/app/")
    # A function, not an expression: Playwright evals an expression's polling, which the
    # app's Content-Security-Policy (script-src 'self') refuses.
    page.wait_for_function("() => document.documentElement.dataset.ready === 'yes'")
    got = page.evaluate(
        """async (plan) => {
             const model = await import("/static/patientapp/js/today-model.js");
             const zone = "Europe/Madrid";
             const kept = { date: "2026-03-04", time_zone: zone, plan: null, doses: [] };
             const now = new Date("2026-03-05T10:00:00Z");
             const pending = { date: "2026-03-05", slot: 1, local_time: "08:00",
                               status: "pending", log: null };
             const taken = { ...pending, status: "taken",
                             log: { id: 7, status: "taken", taken_at: "2026-03-05T07:10:00Z",
                                    created_at: "2026-03-05T07:10:30Z" } };
             const item = (state, body) => ({ client_id: "c1", kind: "dose", state,
               created_at: "2026-03-05T07:11:00Z", body: { date: "2026-03-05", slot: 1,
               ...body }, error: state === "rejected" ? { reasons: ["no"] } : null });
             const card = (dose, outbox) => {
               const shown = model.doseCardModel(dose, outbox);
               return [shown.status, shown.offers, shown.detail !== null];
             };
             const derived = model.dayToShow({ data: kept, fresh: false }, plan, now);
             return {
               fresh: model.dayToShow({ data: kept, fresh: true }, plan, now).derived,
               noPlan: model.dayToShow({ data: kept, fresh: false }, null, now).derived,
               derived: [derived.derived, derived.today.date, derived.today.plan.day_of_plan,
                         derived.today.doses.map((d) => d.local_time)],
               held: model.dayToShow({ data: { ...kept, date: "2026-03-09" }, fresh: false },
                                     plan, new Date("2026-03-10T10:00:00Z")).today.plan.state,
               planDay: model.planDayWords(derived.today.plan, plan),
               planEnd: model.planEndWords(derived.today.plan),
               stopped: model.planStateWords({ state: "stopped" }),
               running: model.planStateWords(derived.today.plan),
               holdEnd: model.holdEndWords(plan, "2026-03-10"),
               pending: card(pending, []),
               waiting: card(pending, [item("waiting", { status: "taken",
                                                          taken_at: "2026-03-05T07:11:00Z" })]),
               rejected: card(pending, [item("rejected", { status: "taken" })]),
               taken: card(taken, []),
               undoUntil: model.undoUntil(taken.log),
               noUndo: model.undoUntil({ status: "taken" }),
               left: [model.secondsLeft(1000, 0), model.secondsLeft(1000, 999),
                      model.secondsLeft(0, 5000)],
               earlier: [model.earlierTimeDefault(pending, zone, now),
                         model.earlierTimeDefault({ ...pending, local_time: "20:00" }, zone,
                                                  now)],
               slot: model.itemSlot({ kind: "fix", dose: { slot: 2 }, body: {} }),
               anyTaken: [model.anyTaken([pending]), model.anyTaken([pending, taken])],
             };
           }""",
        PLAN,
    )
    assert got["fresh"] is False and got["noPlan"] is False
    assert got["derived"] == [True, "2026-03-05", 5, ["08:00", "20:00"]]
    assert got["held"] == "on_hold"
    assert got["planDay"] == "Day 5 of 28"
    assert got["planEnd"].startswith("Ends")
    assert got["stopped"] and got["running"] is None
    assert "12" in got["holdEnd"]  # dosing resumes the day after the hold's last day
    assert got["pending"] == ["pending", "log", False]
    assert got["waiting"] == ["waiting", "correct", True]  # a log still to send has Undo
    assert got["rejected"] == ["rejected", None, False]
    assert got["taken"] == ["taken", "correct", True]
    assert got["undoUntil"] == 1772694630000 + 60_000  # created_at plus the minute of Undo
    assert got["noUndo"] == 0
    assert got["left"] == [1, 1, 0]
    assert got["earlier"] == ["08:00", "11:00"]  # due: its time; not yet: now in Madrid
    assert got["slot"] == 2
    assert got["anyTaken"] == [False, True]
