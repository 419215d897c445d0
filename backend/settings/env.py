"""The one `environ.Env` of the project: every setting that varies by deployment is read here.

A `.env` file at the repository root is read if present (real environment variables win),
so a developer can keep local overrides out of the shell; it is git-ignored.
"""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

_dotenv = BASE_DIR / ".env"
if _dotenv.is_file():
    environ.Env.read_env(str(_dotenv), overwrite=False)
