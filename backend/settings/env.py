"""The one `environ.Env` of the project: every setting that varies by deployment is read here.

Values come from the process environment only. (docker compose passes `.env` to the
containers itself; local runs are configured in the shell, so a compose `.env` in the working
tree never leaks production hosts into `make run` or `make test`.)
"""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
