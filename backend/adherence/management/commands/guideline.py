"""`manage.py guideline --case FILE|-`: the guideline module's recommendation as JSON.

Exit 0 with one JSON object on stdout; exit 2 with one line on stderr naming the field and the
reason when the case is invalid (or the file cannot be read).
"""

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from backend.adherence.guideline import guideline_recommendation
from backend.guidelines import CaseInvalid


class Command(BaseCommand):
    help = "Print the guideline recommendation for a clinical case (JSON file, or - for stdin)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--case", required=True, help="Path to a JSON case, or - for stdin")

    def handle(self, *args: Any, **options: Any) -> None:
        source = options["case"]
        try:
            text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            self._fail(f"case: cannot read {source}: {error.__class__.__name__}")
        try:
            case = json.loads(text)
        except json.JSONDecodeError as error:
            self._fail(f"case: not valid JSON (line {error.lineno}, column {error.colno})")
        if not isinstance(case, dict):
            self._fail("case: must be a JSON object")
        try:
            result = guideline_recommendation(case)
        except CaseInvalid as error:
            self._fail(str(error))
        self.stdout.write(json.dumps(result, ensure_ascii=False, sort_keys=False))

    def _fail(self, line: str) -> None:
        sys.stderr.write(line.replace("\n", " ") + "\n")
        sys.stderr.flush()
        raise SystemExit(2)
