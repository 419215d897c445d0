"""Push fan-out: N reminders through the outbox's FCM sender (PUSH_SENDER=fcm: firebase-admin's
requests and credential, sent concurrently from an asyncio loop over aiohttp keep-alive
connections) to a fake FCM endpoint (bench/fast_fcm.py) in its own process, so it does not
share this process's interpreter lock. Beside it, in the same run and interleaved round by
round (the machine is shared, so absolute numbers move): the previous sender (firebase-admin's
send_each in calls of 500, PUSH_SENDER=fcm-send-each), and the baseline, the same N requests
made by a bare requests session from a thread pool to the same server."""

import multiprocessing
import statistics
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from .common import Result

PROJECT = "bench-project"
TARGET_PER_SECOND = 2000


def _serve(port_queue: "multiprocessing.Queue[int]") -> None:
    import asyncio

    from .fast_fcm import serve

    asyncio.run(serve(0, port_queue))


def start_fake_fcm() -> tuple[multiprocessing.Process, str]:
    ports: multiprocessing.Queue[int] = multiprocessing.Queue()
    process = multiprocessing.Process(target=_serve, args=(ports,), daemon=True)
    process.start()
    return process, f"http://127.0.0.1:{ports.get(timeout=30)}"


def interleaved_medians(
    actions: Mapping[str, Callable[[], object]], repeat: int
) -> dict[str, float]:
    """Median wall time of each action over `repeat` rounds, each round running every action
    once, so a burst of load elsewhere on the machine hits them alike."""
    times: dict[str, list[float]] = {name: [] for name in actions}
    for _ in range(repeat):
        for name, action in actions.items():
            started = time.perf_counter()
            action()
            times[name].append(time.perf_counter() - started)
    return {name: statistics.median(values) for name, values in times.items()}


def httpx_http2_rate(url: str, messages: int) -> float:
    """Messages/s of httpx's AsyncClient over HTTP/2 (h2c, one connection, 100 streams in
    flight), the client the issue suggested: measured each run, so the choice of aiohttp over
    HTTP/1.1 stays checked. The same request and body as the baseline's."""
    import asyncio

    import httpx

    endpoint = f"{url}/v1/projects/{PROJECT}/messages:send"
    body = {"message": {"token": "bench-device", "notification": {"title": "t", "body": "b"}}}

    async def measure() -> float:
        async with httpx.AsyncClient(http1=False, http2=True, trust_env=False) as client:
            slots = asyncio.Semaphore(100)

            async def post() -> None:
                async with slots:
                    response = await client.post(endpoint, json=body, timeout=10)
                assert (response.status_code, response.http_version) == (200, "HTTP/2")

            await asyncio.gather(*(post() for _ in range(min(messages, 200))))  # warm
            started = time.perf_counter()
            await asyncio.gather(*(post() for _ in range(messages)))
            return messages / (time.perf_counter() - started)

    return asyncio.run(measure())


def run(messages: int = 10_000, repeat: int = 3) -> Result:
    import requests

    from backend.notifications.fcm import (
        MAX_CONCURRENT_REQUESTS,
        MAX_MESSAGES_PER_CALL,
        FcmConfig,
        FcmSendEachSender,
        FcmSender,
        PushMessage,
    )

    process, url = start_fake_fcm()
    config = FcmConfig(endpoint=url, project_id=PROJECT, static_token="bench-token", http_retries=0)
    sender = FcmSender(config)
    send_each_sender = FcmSendEachSender(config)
    session = requests.Session()
    session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=64))
    try:
        batch = [
            PushMessage(
                token=f"bench-device-{n:06d}",
                platform="android",
                title="Time for your dose",
                body="08:00",
                data={"kind": "dose_reminder", "outbox_id": str(n)},
                tag=f"reminder-{n}",
            )
            for n in range(messages)
        ]

        def sender_action(chosen: FcmSender | FcmSendEachSender) -> Callable[[], None]:
            def send() -> None:
                outcomes = chosen.send_batch(batch)
                assert all(outcome.sent for outcome in outcomes), outcomes[:3]

            return send

        endpoint = f"{url}/v1/projects/{PROJECT}/messages:send"
        body: dict[str, Any] = {
            "message": {"token": "bench-device", "notification": {"title": "t", "body": "b"}}
        }

        def post(_: int) -> None:
            response = session.post(endpoint, json=body, timeout=10)
            assert response.status_code == 200

        def raw() -> None:
            with ThreadPoolExecutor(max_workers=64) as pool:
                list(pool.map(post, range(messages)))

        actions = {
            "fcm": sender_action(sender),
            "send_each": sender_action(send_each_sender),
            "baseline": raw,
        }
        for action in actions.values():
            action()  # warm: connections, the SDK's app and credentials, the event loop
        seconds = interleaved_medians(actions, repeat)
        http2_messages = min(messages, 2_000)
        http2_rate = httpx_http2_rate(url, http2_messages)
    finally:
        sender.close()
        send_each_sender.close()
        session.close()
        process.kill()
    figure = messages / seconds["fcm"]
    return Result(
        name="push fan-out",
        figure=round(figure),
        unit="messages/s",
        baseline=round(messages / seconds["baseline"]),
        baseline_what="bare requests.Session, 64 threads, same fake server",
        target=f">= {TARGET_PER_SECOND} messages/s per worker process",
        met=figure >= TARGET_PER_SECOND,
        details={
            "messages": messages,
            "sender": "PUSH_SENDER=fcm: firebase-admin's requests from one asyncio loop",
            "http": (
                f"aiohttp, HTTP/1.1 keep-alive, at most {MAX_CONCURRENT_REQUESTS} requests "
                "in flight; environment (proxies, CA bundle) read once per sender"
            ),
            "seconds_median": round(seconds["fcm"], 3),
            "send_each_messages_per_second": round(messages / seconds["send_each"]),
            "send_each": (
                f"PUSH_SENDER=fcm-send-each: firebase-admin send_each, {MAX_MESSAGES_PER_CALL} "
                "messages a call, one thread per message, requests HTTP/1.1"
            ),
            "send_each_seconds_median": round(seconds["send_each"], 3),
            "baseline_seconds_median": round(seconds["baseline"], 3),
            "rounds": repeat,
            "httpx_http2_messages_per_second": round(http2_rate),
            "httpx_http2": (
                f"not used: httpx AsyncClient, HTTP/2 h2c, one connection, 100 streams, "
                f"{http2_messages} messages, one round"
            ),
        },
    )
