"""PUSH_SENDER=fcm (issue 20): firebase-admin's FCM requests sent from an asyncio loop over a
pool of aiohttp connections. It must send what send_each sent and report every answer as
send_each did (the outbox's rules depend on it): compared here against the previous sender,
PUSH_SENDER=fcm-send-each, on the same fake FCM server."""

import threading
import time

import pytest

from backend.notifications import fcm
from tests.notifications.fake_fcm import ERRORS

TOKEN = "dGhpcy1pcy1hLXJlZ2lzdHJhdGlvbi10b2tlbg"


def message(token: str = TOKEN, platform: str = "android", tag: str = "n1") -> fcm.PushMessage:
    return fcm.PushMessage(
        token=token,
        platform=platform,
        title="Time for your dose",
        body="08:00",
        data={"kind": "dose_reminder", "outbox_id": "7"},
        tag=tag,
    )


def send_with(settings, name: str, messages: list[fcm.PushMessage]) -> list[fcm.SendOutcome]:
    settings.PUSH_SENDER = name
    try:
        return fcm.get_sender().send_batch(messages)
    finally:
        fcm.close_sender()


COMPARED_HEADERS = (
    "authorization",
    "content-type",
    "x-goog-api-format-version",
    "x-firebase-client",
    "x-goog-api-client",
)


@pytest.mark.parametrize("platform", ["android", "ios", "web"])
def test_the_request_is_the_one_send_each_makes(fcm_settings, fake_fcm, platform):
    send_with(fcm_settings, "fcm-send-each", [message(platform=platform)])
    send_with(fcm_settings, "fcm", [message(platform=platform)])
    old, new = fake_fcm.requests()
    assert new.path == old.path
    assert new.body == old.body
    assert new.token == TOKEN
    for header in COMPARED_HEADERS:
        assert new.headers[header] == old.headers[header], header


def test_success_reports_fcms_message_name(fcm_settings, fake_fcm):
    outcomes = fcm.get_sender().send_batch([message(f"token-{n}") for n in range(3)])
    assert [o.outcome for o in outcomes] == ["sent"] * 3
    names = {o.message_id for o in outcomes}
    assert len(names) == 3
    assert all(name.startswith("projects/gist-test/messages/fake-") for name in names)


@pytest.mark.parametrize("code", sorted(set(ERRORS) - {"UNAUTHENTICATED"}))
def test_every_error_answer_gives_send_eachs_outcome(fcm_settings, fake_fcm, code):
    """The same outcome, error code, detail (the token taken out) and backoff floor."""
    fake_fcm.quote_tokens = True
    fake_fcm.answer_token(TOKEN, code)
    fake_fcm.retry_after(code, 120)
    batch = [message(), message("token-ok")]
    old = send_with(fcm_settings, "fcm-send-each", batch)
    new = send_with(fcm_settings, "fcm", batch)
    assert new[0] == old[0]
    assert new[1].sent and old[1].sent
    assert TOKEN not in new[0].detail
    expected = {
        "UNREGISTERED": ("dead_token", 0.0),
        "SENDER_ID_MISMATCH": ("dead_token", 0.0),
        "INVALID_ARGUMENT": ("dead_token", 0.0),
        "QUOTA_EXCEEDED": ("transient", 120.0),  # Retry-After above the 60 s floor
        "UNAVAILABLE": ("transient", 120.0),  # Retry-After kept for the outbox
        "INTERNAL": ("transient", 120.0),
    }
    assert (new[0].outcome, new[0].min_backoff_seconds) == expected[code]
    assert new[0].error_code == code


def test_quota_exceeded_without_retry_after_waits_a_minute(fcm_settings, fake_fcm):
    fake_fcm.answer_next("QUOTA_EXCEEDED")
    (outcome,) = fcm.get_sender().send_batch([message()])
    assert (outcome.outcome, outcome.error_code) == ("transient", "QUOTA_EXCEEDED")
    assert outcome.min_backoff_seconds == fcm.QUOTA_EXCEEDED_MIN_BACKOFF_SECONDS


def test_a_503_is_retried_inside_the_send_when_allowed(fcm_settings, fake_fcm):
    fcm_settings.FCM_HTTP_RETRIES = 4
    fake_fcm.answer_next("UNAVAILABLE", "INTERNAL")  # first retry at once, the second after 1 s
    started = time.monotonic()
    (outcome,) = fcm.get_sender().send_batch([message()])
    assert outcome.sent
    assert 1.0 <= time.monotonic() - started < 5
    assert [r.answered for r in fake_fcm.requests()] == ["UNAVAILABLE", "INTERNAL", "OK"]


def test_a_503_retry_after_too_long_to_wait_goes_to_the_outbox(fcm_settings, fake_fcm):
    fcm_settings.FCM_HTTP_RETRIES = 4
    fake_fcm.answer_next("UNAVAILABLE")
    fake_fcm.retry_after("UNAVAILABLE", 600)
    (outcome,) = fcm.get_sender().send_batch([message()])
    assert (outcome.outcome, outcome.error_code) == ("transient", "UNAVAILABLE")
    assert outcome.min_backoff_seconds == 600
    assert len(fake_fcm.requests()) == 1


def test_the_in_send_retry_schedule_is_urllib3s():
    """send_each's adapter: backoff_factor 0.5 (0, 1, 2, 4 s), a 503's Retry-After obeyed."""
    retries = fcm._SdkRetries(status=4)
    assert [retries.delay_for(500, None) for _ in range(5)] == [0.0, 1.0, 2.0, 4.0, None]
    retries = fcm._SdkRetries(status=2)
    assert retries.delay_for(503, "3") == 3.0
    assert retries.delay_for(500, "3") == 1.0  # Retry-After is a 503's only
    assert fcm._SdkRetries(status=0).delay_for(503, None) is None


@pytest.mark.parametrize(
    ("sender", "error_code"),
    # requests reports a read timeout retried once as a connection error (UNAVAILABLE); the
    # outbox treats both alike: transient, no backoff floor, the code kept in last_error.
    [("fcm-send-each", "UNAVAILABLE"), ("fcm", "DEADLINE_EXCEEDED")],
)
def test_a_timeout_is_transient_after_one_more_try(fcm_settings, fake_fcm, sender, error_code):
    fcm_settings.FCM_HTTP_TIMEOUT_SECONDS = 0.3
    fake_fcm.answer_delay_seconds = 1.0
    (outcome,) = send_with(fcm_settings, sender, [message()])
    assert (outcome.outcome, outcome.error_code) == ("transient", error_code)
    assert outcome.min_backoff_seconds == 0
    assert TOKEN not in outcome.detail
    assert len(fake_fcm.requests()) == 2  # the read retried once, as urllib3's read=1


def test_a_refused_connection_is_unavailable(fcm_settings, fake_fcm):
    fcm_settings.FCM_ENDPOINT = fake_fcm.url
    fake_fcm.stop()
    (outcome,) = fcm.get_sender().send_batch([message()])
    assert (outcome.outcome, outcome.error_code) == ("transient", "UNAVAILABLE")


def test_a_refused_token_is_transient_unauthenticated(fcm_settings, fake_fcm):
    """A static token cannot be refreshed: the 401 goes back to the outbox as it is."""
    fake_fcm.answer_next("UNAUTHENTICATED")
    (outcome,) = fcm.get_sender().send_batch([message()])
    assert (outcome.outcome, outcome.error_code) == ("transient", "UNAUTHENTICATED")
    assert len(fake_fcm.requests()) == 1


def test_each_outcome_belongs_to_its_message(fcm_settings, fake_fcm):
    """Answers arrive in any order; outcomes come back in the messages' order."""
    fake_fcm.answer_token("token-3", "UNREGISTERED")
    fake_fcm.answer_token("token-7", "QUOTA_EXCEEDED")
    outcomes = fcm.get_sender().send_batch([message(f"token-{n}") for n in range(600)])
    assert len(outcomes) == 600
    assert outcomes[3].error_code == "UNREGISTERED"
    assert outcomes[7].error_code == "QUOTA_EXCEEDED"
    assert sum(o.sent for o in outcomes) == 598
    assert len(fake_fcm.requests()) == 600


def test_threads_share_one_sender(fcm_settings, fake_fcm):
    sender = fcm.get_sender()
    results: list[list[fcm.SendOutcome]] = []

    def send(offset: int) -> None:
        results.append(sender.send_batch([message(f"t-{offset}-{n}") for n in range(50)]))

    threads = [threading.Thread(target=send, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(len(r) for r in results) == [50] * 4
    assert all(o.sent for r in results for o in r)


def test_close_stops_the_loop_and_a_later_send_starts_again(fcm_settings, fake_fcm):
    sender = fcm.get_sender()
    assert sender.send_batch([message()])[0].sent
    thread = sender._loop_thread
    assert thread is not None and thread.is_alive()
    sender.close()
    assert not thread.is_alive()
    assert sender.send_batch([message()])[0].sent
    sender.close()


def test_an_empty_batch_sends_nothing(fcm_settings, fake_fcm):
    assert fcm.get_sender().send_batch([]) == []
    assert fake_fcm.requests() == []
