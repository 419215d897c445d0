"""Every environment variable the settings read is documented (issue 23 point 9): each name in
an `env(...)` call of backend/settings/*.py (`env.bool`, `env.int`, `env.list`, ... alike, and
through a helper such as production.py's `_required(name)`) has a row in docs/settings.md."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = sorted((ROOT / "backend" / "settings").glob("*.py"))
DOC = ROOT / "docs" / "settings.md"


def _is_env_call(node: ast.Call) -> bool:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id == "env"
    return (
        isinstance(func, ast.Attribute)
        and isinstance(func.value, ast.Name)
        and func.value.id == "env"
    )


def _first_argument(node: ast.Call) -> ast.expr | None:
    if node.args:
        return node.args[0]
    for keyword in node.keywords:
        if keyword.arg == "var":  # environ.Env's own name for it
            return keyword.value
    return None


def env_names(path: Path) -> set[str]:
    """The names a settings module reads: `env("X")`, `env.int("X")`, ..., and `helper("X")`
    for a function of the module that passes its own parameter to `env`."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    helpers: set[str] = set()
    inside_helpers: set[int] = set()  # the helpers' own env(parameter) calls
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef):
            continue
        parameters = {argument.arg for argument in function.args.args}
        for node in ast.walk(function):
            if isinstance(node, ast.Call) and _is_env_call(node):
                argument = _first_argument(node)
                if isinstance(argument, ast.Name) and argument.id in parameters:
                    helpers.add(function.name)
                    inside_helpers.add(id(node))
    names: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        by_helper = isinstance(node.func, ast.Name) and node.func.id in helpers
        if id(node) in inside_helpers or not (_is_env_call(node) or by_helper):
            continue
        argument = _first_argument(node)
        if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
            names.add(argument.value)
        elif not by_helper:
            raise AssertionError(
                f"{path.relative_to(ROOT)}:{node.lineno}: env(...) with a name this test "
                "cannot read; give the variable's name as a string"
            )
    return names


def documented_names() -> set[str]:
    """Names in backticks in the first cell of a table row of docs/settings.md."""
    names: set[str] = set()
    for line in DOC.read_text(encoding="utf-8").splitlines():
        match = re.match(r"\|([^|]*)\|", line)
        if match:
            names.update(re.findall(r"`([A-Z][A-Z0-9_]*)`", match.group(1)))
    return names


def test_the_settings_read_variables() -> None:
    names = set().union(*(env_names(path) for path in SETTINGS))
    # A sample from each kind of call, so a parser that finds nothing fails here.
    assert {"SECRET_KEY", "DJANGO_DEBUG", "DATABASE_URL", "CACHE_URL", "ALLOWED_HOSTS"} <= names
    assert {"TRUSTED_PROXY_ADDRESSES", "PUSH_SENDER", "DEMO_TOTP_SECRET"} <= names


def test_every_variable_the_settings_read_is_in_docs_settings_md() -> None:
    documented = documented_names()
    missing = {
        f"{name} ({path.relative_to(ROOT)})"
        for path in SETTINGS
        for name in env_names(path)
        if name not in documented
    }
    assert not missing, f"add a row to docs/settings.md for: {sorted(missing)}"
