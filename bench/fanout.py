"""Push fan-out: N reminders through firebase-admin's real code path (FcmSender, send_each in
batches of 500) to a fake FCM endpoint (bench/fast_fcm.py) in its own process, so it does not
share this process's interpreter lock. Baseline: the same N requests made by a bare requests
session from a thread pool, to the same server, in the same run."""

import multiprocessing
from concurrent.futures import ThreadPoolExecutor

from .common import Result, median_seconds

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


def run(messages: int = 10_000, repeat: int = 3) -> Result:
    import requests

    from backend.notifications.fcm import MAX_MESSAGES_PER_CALL, FcmConfig, FcmSender, PushMessage

    process, url = start_fake_fcm()
    try:
        sender = FcmSender(
            FcmConfig(endpoint=url, project_id=PROJECT, static_token="bench-token", http_retries=0)
        )
        batch = [
            PushMessage(
                token=f"bench-device-{n:06d}",
                platform="android",
                title="Time for your dose",
                body="08:00",
                tag=f"reminder-{n}",
            )
            for n in range(messages)
        ]

        def send() -> None:
            outcomes = sender.send_batch(batch)
            assert all(outcome.sent for outcome in outcomes), outcomes[:3]

        send()  # warm: connections, the SDK's app and credentials
        ours, _ = median_seconds(send, repeat)
        sender.close()

        session = requests.Session()
        adapter = requests.adapters.HTTPAdapter(pool_maxsize=64)
        session.mount("http://", adapter)
        endpoint = f"{url}/v1/projects/{PROJECT}/messages:send"
        body = {"message": {"token": "bench-device", "notification": {"title": "t", "body": "b"}}}

        def post(_: int) -> None:
            response = session.post(endpoint, json=body, timeout=10)
            assert response.status_code == 200

        def raw() -> None:
            with ThreadPoolExecutor(max_workers=64) as pool:
                list(pool.map(post, range(messages)))

        raw()
        baseline, _ = median_seconds(raw, repeat)
    finally:
        process.kill()
    figure = messages / ours
    return Result(
        name="push fan-out",
        figure=round(figure),
        unit="messages/s",
        baseline=round(messages / baseline),
        baseline_what="bare requests.Session, 64 threads, same fake server",
        target=f">= {TARGET_PER_SECOND} messages/s per worker process",
        met=figure >= TARGET_PER_SECOND,
        details={
            "messages": messages,
            "batching": f"send_each, {MAX_MESSAGES_PER_CALL} messages a call",
            "threads": "firebase-admin send_each: one thread per message of the call",
            "http": "requests, HTTP/1.1 keep-alive; environment (proxies) read once per sender",
            "async": "not used: send_each_async (httpx) measured slower, see fcm.py",
            "seconds_median": round(ours, 3),
        },
    )
