"""The chaos run's gunicorn entry point: the project's own WSGI application (backend/wsgi.py,
with its proxy check), wrapped by one test hook that exists only here and only acts when
CHAOS_HOOKS=1.

The hook: a request carrying `X-Chaos-Hold: <seconds>` is processed as usual (the view runs and,
with ATOMIC_REQUESTS, its transaction commits before Django hands the response back), then the
worker writes its pid to CHAOS_HOOK_DIR/hold-<pid> and sleeps before returning the response to
gunicorn. The run SIGKILLs that worker inside the window: committed, never answered. A
production deployment runs backend.wsgi:application and never imports this module."""

import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from backend.wsgi import application as _application

HOLD_HEADER = "HTTP_X_CHAOS_HOLD"
_ENABLED = os.environ.get("CHAOS_HOOKS") == "1"
_DIR = Path(os.environ.get("CHAOS_HOOK_DIR", "var/chaos/hooks"))


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    hold = environ.get(HOLD_HEADER) if _ENABLED else None
    if not hold:
        return _application(environ, start_response)
    status: list[str] = []

    def remember(code: str, headers: Any, *args: Any) -> Any:
        status.append(code)
        return start_response(code, headers, *args)

    result = _application(environ, remember)
    marker = _DIR / f"hold-{os.getpid()}"
    code = status[0].split()[0] if status else "?"
    marker.write_text(f"{environ.get('PATH_INFO', '')} {code}")
    time.sleep(min(float(hold), 60.0))
    marker.unlink(missing_ok=True)
    return result
