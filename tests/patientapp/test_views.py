"""The patient app's server side: the shell at /app/ and its CSP, the service worker's cache
list and version, the manifest, /app/config.json, the string catalogues the JavaScript uses,
and the vendored Firebase SDK (VENDORED.md)."""

import hashlib
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from PIL import Image

from backend.alerts.models import STAFF_RESOLUTION_OUTCOMES
from backend.guidelines import symptom_catalogue
from backend.patientapp import shell

# The middleware (sessions, axes) may look at the database even for these anonymous pages.
pytestmark = pytest.mark.django_db

STATIC = shell.STATIC_DIR / "patientapp"
JS_DIR = STATIC / "js"
VENDOR_DIR = STATIC / "vendor"
FIREBASE_DIR = VENDOR_DIR / "firebase-13.2.0"
VENDORED_MD = shell.APP_DIR / "VENDORED.md"
FIREBASE_WEB_CONFIG = {
    "apiKey": "k",
    "projectId": "gist",
    "messagingSenderId": "1",
    "appId": "1:1:web:1",
}


def catalogue(language: str) -> dict[str, str]:
    return json.loads((STATIC / "i18n" / f"{language}.json").read_text(encoding="utf-8"))


@pytest.fixture
def web() -> Client:
    return Client(HTTP_HOST="localhost")


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.script_text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.script_text.append(data)


def parsed(html: str) -> _Tags:
    parser = _Tags()
    parser.feed(html)
    return parser


# ---------------------------------------------------------------- the shell


def test_the_shell_has_no_inline_code_and_a_strict_csp(web) -> None:
    response = web.get("/app/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert response["Cache-Control"] == "no-cache"
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe" not in policy
    page = parsed(response.content.decode())
    assert page.script_text == []
    for tag, attrs in page.tags:
        assert tag != "style"
        assert "style" not in attrs, tag
        assert not [name for name in attrs if name.startswith("on")], tag
    scripts = [attrs for tag, attrs in page.tags if tag == "script"]
    assert scripts == [{"type": "module", "src": "/static/patientapp/js/app.js"}]


def test_the_shell_hands_its_settings_to_the_javascript_as_data_attributes(web) -> None:
    page = parsed(web.get("/app/").content.decode())
    html = next(attrs for tag, attrs in page.tags if tag == "html")
    assert {key: html[key] for key in html if key.startswith("data-")} == {
        "data-api": "/api/v1/",
        "data-config": "/app/config.json",
        "data-sw": "/app/sw.js",
        "data-scope": "/app/",
        "data-i18n": "/static/patientapp/i18n/",
    }
    for tag, attrs in page.tags:
        url = attrs.get("src") or (attrs.get("href") if tag == "link" else None)
        if url and url.startswith("/static/"):
            assert finders.find(url.removeprefix("/static/")), url


@pytest.mark.parametrize(
    ("accept", "lang", "title"),
    [
        ("es-ES,es;q=0.9", "es", "Diario de imatinib"),
        ("fr", "en", "Imatinib diary"),
        ("", "en", "Imatinib diary"),
    ],
)
def test_the_shell_starts_in_the_browsers_language(web, accept, lang, title) -> None:
    html = web.get("/app/", HTTP_ACCEPT_LANGUAGE=accept).content.decode()
    assert next(attrs for tag, attrs in parsed(html).tags if tag == "html")["lang"] == lang
    assert f"<title>{title}</title>" in html


def test_the_app_reads_nothing_private_and_accepts_only_get(web) -> None:
    for path in ("/app/", "/app/sw.js", "/app/manifest.webmanifest", "/app/config.json"):
        assert web.get(path).status_code == 200, path
        assert web.post(path).status_code == 405, path


# ---------------------------------------------------------------- the service worker


def worker_constants(body: str) -> tuple[str, list[str]]:
    version = re.search(r'^const VERSION = "([0-9a-f]+)";$', body, re.MULTILINE)
    urls = re.search(r"^const SHELL_URLS = (\[.*\]);$", body, re.MULTILINE)
    assert version and urls
    return version.group(1), json.loads(urls.group(1))


def test_the_worker_caches_exactly_the_shell_and_never_the_api(web) -> None:
    response = web.get("/app/sw.js")
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Cache-Control"] == "no-cache"
    version, urls = worker_constants(response.content.decode())
    files = sorted(
        f"/static/{path.relative_to(shell.STATIC_DIR).as_posix()}"
        for path in STATIC.rglob("*")
        if path.is_file() and VENDOR_DIR not in path.parents
    )
    assert urls == ["/app/", "/app/manifest.webmanifest", "/app/config.json", *files]
    for url in files:
        assert finders.find(url.removeprefix("/static/")), url
    assert not [url for url in urls if url.startswith("/api/")]
    # The Firebase SDK is loaded only online, to get a push token: not worth every phone's cache.
    assert not [url for url in urls if url.startswith("/static/patientapp/vendor/")]
    assert version == shell.shell_version()
    assert version == web.get("/app/config.json").json()["version"]


def test_turning_push_on_changes_the_version_so_phones_fetch_the_page_with_its_new_csp(
    web, settings
) -> None:
    """The worker serves /app/ from its cache, CSP header included: the version must change
    when the CSP does, or phones would keep a page that may not reach Firebase."""
    before = worker_constants(web.get("/app/sw.js").content.decode())[0]
    settings.PATIENT_APP_FIREBASE_CONFIG = FIREBASE_WEB_CONFIG
    settings.PATIENT_APP_FIREBASE_VAPID_KEY = "BKey"
    after = worker_constants(web.get("/app/sw.js").content.decode())[0]
    assert after != before
    assert after == web.get("/app/config.json").json()["version"] == shell.shell_version()


def test_the_version_changes_whenever_a_shell_file_does(tmp_path, monkeypatch) -> None:
    static = tmp_path / "static"
    (static / "patientapp" / "js").mkdir(parents=True)
    (static / "patientapp" / "js" / "app.js").write_text("one")
    template = tmp_path / "index.html"
    template.write_text("<html>")
    monkeypatch.setattr(shell, "STATIC_DIR", static)
    monkeypatch.setattr(shell, "SHELL_TEMPLATE", template)
    first = shell._version()
    assert shell._version() == first
    (static / "patientapp" / "js" / "app.js").write_text("two")
    second = shell._version()
    (static / "patientapp" / "js" / "new.js").write_text("")
    third = shell._version()
    template.write_text("<html lang>")
    assert len({first, second, third, shell._version()}) == 4


# ---------------------------------------------------------------- manifest and config


def test_the_manifest_installs_the_app_at_app_with_real_icons(web) -> None:
    response = web.get("/app/manifest.webmanifest")
    assert response["Content-Type"] == "application/manifest+json"
    manifest = response.json()
    assert manifest["start_url"] == manifest["scope"] == "/app/"
    assert manifest["display"] == "standalone"
    assert manifest["name"] == "Imatinib diary"
    assert {icon["purpose"] for icon in manifest["icons"]} == {"any", "maskable"}
    for icon in manifest["icons"]:
        found = finders.find(icon["src"].removeprefix("/static/"))
        assert isinstance(found, str), icon["src"]
        path = Path(found)
        width, height = Image.open(path).size
        assert icon["sizes"] == f"{width}x{height}"
    spanish = web.get("/app/manifest.webmanifest", HTTP_ACCEPT_LANGUAGE="es").json()
    assert (spanish["name"], spanish["lang"]) == ("Diario de imatinib", "es")


def test_config_says_push_is_not_set_up_without_a_firebase_config(web) -> None:
    body = web.get("/app/config.json").json()
    assert body["push"] == {"configured": False, "firebase": {}, "vapid_key": ""}
    assert body["languages"] == ["en", "es"]


def test_config_says_how_many_days_back_a_dose_may_be_corrected(web, settings) -> None:
    """History's tappable days follow the server's DOSE_BACKFILL_DAYS, not a copy in the app."""
    assert web.get("/app/config.json").json()["dose_backfill_days"] == 7
    settings.DOSE_BACKFILL_DAYS = 3
    assert web.get("/app/config.json").json()["dose_backfill_days"] == 3


def test_config_hands_over_the_firebase_web_config_when_set(web, settings) -> None:
    firebase = {"apiKey": "k", "projectId": "gist", "messagingSenderId": "1", "appId": "1:1:web:1"}
    settings.PATIENT_APP_FIREBASE_CONFIG = firebase
    assert web.get("/app/config.json").json()["push"]["configured"] is False  # no VAPID key
    settings.PATIENT_APP_FIREBASE_VAPID_KEY = "BKey"
    push = web.get("/app/config.json").json()["push"]
    assert push == {"configured": True, "firebase": firebase, "vapid_key": "BKey"}


# ---------------------------------------------------------------- strings and modules

# Keys the JavaScript builds from data: family -> the values it fills in.
RED_FLAGS = [
    "black_stools",
    "vomiting_blood",
    "severe_abdominal_pain",
    "breathlessness",
    "chest_pain",
    "jaundice",
    "fever",
    "bleeding_bruising",
    "blistering_rash",
]
STATUSES = ["pending", "taken", "taken_late", "skipped", "missed", "on_hold", "waiting", "rejected"]
DYNAMIC_KEYS = {
    "status": STATUSES,
    "mark": STATUSES,
    "skip": ["side_effects", "forgot", "ran_out", "travel", "other"],
    "dose.announce": ["sent", "waiting", "rejected"],
    # Today's due card (screens/today.js): its state's words, and what a change announces.
    "due.state": ["upcoming", "due", "late", "skip"],
    "due.announce": ["due", "late", "skip"],
    "symptoms.announce": ["sent", "waiting", "rejected"],
    "reminders.state": ["not_configured", "unsupported", "blocked", "ready", "on"],
    "reminders.result": ["not_configured", "unsupported", "blocked", "failed", "on"],
    "language": ["en", "es"],
    "nav": ["today", "symptoms", "history", "settings"],
    "signout": ["done", "everywhere", "offline", "expired"],
    # The caregiver's screens (screens/caregiver.js, welcome.mountCaregiverJoin): each dose's
    # status and title, the problems shown, and the join form's missing fields.
    "caregiver": [
        "logged",
        "not_logged",
        "on_hold",
        "dose_at",
        "medicine_dose_at",
        "removed",
        "load_failed",
        "code_needed",
        "display_name_needed",
        "username_needed",
    ],
    # A report's care team response (history.careTeamLines): the stage, and the resolving
    # nurse's outcome in words for patients (the outcomes staff may choose).
    "history.response": ["told", "seen"],
    "history.outcome": [value for value, _ in STAFF_RESOLUTION_OUTCOMES],
    "attribute": [
        "frequency",
        "severity",
        "interference",
        "presence",
        # The rash's follow-up questions.
        "body_area",
        "blisters",
        "mouth_eye_sores",
        "fever",
    ],
    # The red-flag check list's own plain words (triage.flagLabel).
    "redflag": RED_FLAGS,
    # The instruction screen (triage.instructionScreen): its words for each level and for
    # where the report is.
    "instruction": [
        "emergency_title",
        "emergency_body",
        "call_now_title",
        "call_now_body",
        "delivery_sending",
        "delivery_waiting",
        "delivery_sent",
        "delivery_sent_told",
    ],
}
SPANISH_ONLY = re.compile(r"^(symptom\.|answer\.|symptoms\.recall_period$)")


def expected_keys() -> set[str]:
    keys: set[str] = set()
    for path in JS_DIR.rglob("*.js"):
        # t("key") and the settings screen's section("key", ...), which calls t(key).
        keys.update(re.findall(r'\b(?:t|section)\(\s*"([a-z_.]+)"', path.read_text()))
    for family, values in DYNAMIC_KEYS.items():
        separator = "_" if family.endswith(("announce", "state", "result")) else "."
        keys.update(f"{family}{separator}{value}" for value in values)
    keys.update(f"nav.{name}.icon" for name in DYNAMIC_KEYS["nav"])
    # The server-side shell and manifest read these.
    keys.update(["app.name", "app.short_name", "app.description", "app.loading", "app.noscript"])
    return keys


def test_every_string_the_app_uses_is_in_english_and_spanish_and_none_is_unused() -> None:
    english, spanish = catalogue("en"), catalogue("es")
    expected = expected_keys()
    assert sorted(expected - set(english)) == []
    assert sorted(set(english) - expected) == []
    assert sorted(set(english) - set(spanish)) == []
    assert [key for key in set(spanish) - set(english) if not SPANISH_ONLY.match(key)] == []
    for key, text in english.items():
        placeholders = set(re.findall(r"\{(\w+)\}", text))
        assert set(re.findall(r"\{(\w+)\}", spanish[key])) == placeholders, key


def test_the_symptom_questions_come_from_the_api_in_english_and_are_all_translated() -> None:
    """English is the guideline module's own wording (one place); Spanish translates each
    symptom, question and answer word the catalogue defines, by code, attribute and score."""
    english, spanish = catalogue("en"), catalogue("es")
    assert not [key for key in english if SPANISH_ONLY.match(key)]
    for symptom in symptom_catalogue():
        assert f"symptom.{symptom['code']}" in spanish
        for question in [*symptom["questions"], *symptom.get("follow_up_questions", [])]:
            assert f"symptom.{symptom['code']}.{question['attribute']}" in spanish
            for option in question["options"]:
                assert f"answer.{question['attribute']}.{option['score']}" in spanish
        if symptom["free_text_prompt"]:
            assert f"symptom.{symptom['code']}.prompt" in spanish
    assert symptom_catalogue()[0]["recall_period"] == "the last 7 days"


def test_every_red_flag_has_plain_words_in_both_languages_and_comes_first() -> None:
    """The red-flag check list shows the app's own words (redflag.<code>), so the catalogue's
    red flags must be exactly the ones the strings cover, and listed before the others."""
    items = symptom_catalogue()
    flags = [item["code"] for item in items if item["red_flag"]]
    assert sorted(flags) == sorted(RED_FLAGS)
    assert [item["red_flag"] for item in items[: len(flags)]] == [True] * len(flags)
    for item in items:
        if item["red_flag"]:
            assert item["instruction_level"] in ("emergency", "call_now"), item["code"]
            assert [q["attribute"] for q in item["questions"]] == ["presence"]
    english, spanish = catalogue("en"), catalogue("es")
    for code in RED_FLAGS:
        assert english[f"redflag.{code}"] and spanish[f"redflag.{code}"]


# Every module specifier: `import ... from "x"`, `import "x"` and `import("x")`, minified or not.
IMPORTS = re.compile(r"""(?:\bfrom\s*|\bimport\s*\(?\s*)["']([^"']+)["']""")
# import(someExpression): a specifier no test can check.
COMPUTED_IMPORT = re.compile(r"""\bimport\s*\(\s*[^"'\s]""")


def test_modules_import_only_files_that_exist_and_never_parse_markup() -> None:
    for path in JS_DIR.rglob("*.js"):
        source = path.read_text()
        assert not COMPUTED_IMPORT.search(source), path.name
        for target in IMPORTS.findall(source):
            assert target.startswith(("./", "../")), f"{path.name} imports {target}"
            assert (path.parent / target).resolve().is_file(), f"{path.name} imports {target}"
        for risky in ("innerHTML", "outerHTML", "insertAdjacentHTML", "eval(", "new Function"):
            assert risky not in source, f"{path.name} uses {risky}"


# ---------------------------------------------------------------- push: CSP and the vendored SDK


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (part.split() for part in policy.split(";") if part.strip())
    }


def test_the_shells_csp_opens_connect_src_to_firebase_only_when_push_is_configured(
    web, settings
) -> None:
    from backend.patientapp.views import FIREBASE_CONNECT_SRC

    assert directives(web.get("/app/"))["connect-src"] == ["'self'"]
    settings.PATIENT_APP_FIREBASE_CONFIG = FIREBASE_WEB_CONFIG
    assert directives(web.get("/app/"))["connect-src"] == ["'self'"]  # no VAPID key: not set up
    settings.PATIENT_APP_FIREBASE_VAPID_KEY = "BKey"
    shell_csp = directives(web.get("/app/"))
    assert shell_csp["connect-src"] == ["'self'", *FIREBASE_CONNECT_SRC]
    assert set(FIREBASE_CONNECT_SRC) == {
        "https://firebaseinstallations.googleapis.com",
        "https://fcmregistrations.googleapis.com",
    }
    # Nothing else is loosened: the SDK is our own static file, and no inline or eval.
    assert shell_csp["script-src"] == ["'self'"]
    assert shell_csp["default-src"] == ["'self'"]
    assert "unsafe" not in web.get("/app/")["Content-Security-Policy"]
    # Only the page fetches from Firebase: the worker, the manifest, config and the dashboard
    # keep the site's policy.
    for path in ("/app/sw.js", "/app/manifest.webmanifest", "/app/config.json"):
        assert directives(web.get(path))["connect-src"] == ["'self'"], path
    dashboard = web.get("/dashboard/sign-in/")
    assert dashboard.status_code == 200
    assert directives(dashboard)["connect-src"] == ["'self'"]
    assert "googleapis" not in dashboard["Content-Security-Policy"]


def test_the_csp_names_every_host_the_vendored_sdk_contacts() -> None:
    """The hosts are read from the vendored build itself, so an upgrade that adds one fails
    here rather than in a patient's browser (a CSP refusal is silent to them)."""
    from backend.patientapp.views import FIREBASE_CONNECT_SRC

    sdk = (FIREBASE_DIR / "firebase-messaging.js").read_text(encoding="utf-8")
    contacted = set(re.findall(r"https://[a-z0-9.-]+\.googleapis\.com", sdk))
    assert contacted == set(FIREBASE_CONNECT_SRC)
    app = (FIREBASE_DIR / "firebase-app.js").read_text(encoding="utf-8")
    assert not re.search(r"\bfetch\(|XMLHttpRequest|sendBeacon|WebSocket", app)


def vendored_files() -> list[Path]:
    return sorted(path for path in VENDOR_DIR.rglob("*") if path.is_file())


def test_the_firebase_sdk_is_vendored_and_imports_only_its_own_files() -> None:
    names = {path.relative_to(VENDOR_DIR).as_posix() for path in vendored_files()}
    assert names == {
        "firebase-13.2.0/firebase-app.js",
        "firebase-13.2.0/firebase-app.js.map",
        "firebase-13.2.0/firebase-messaging.js",
        "firebase-13.2.0/firebase-messaging.js.map",
        "firebase-13.2.0/LICENSE",
    }
    for path in FIREBASE_DIR.glob("*.js"):
        source = path.read_text(encoding="utf-8")
        # No absolute or bare import (a CDN, a bundler name): relative, and next to it.
        targets = IMPORTS.findall(source)
        assert not [t for t in targets if not t.startswith(("./", "../"))], (path.name, targets)
        for target in targets:
            assert (path.parent / target).resolve().is_file(), f"{path.name} imports {target}"
        assert not re.search(r"""import\s*\(?\s*["'`]https?:""", source), path.name
        assert not COMPUTED_IMPORT.search(source), path.name
        # A source map named by the file must be there, or collectstatic's manifest fails.
        for map_name in re.findall(r"^//# sourceMappingURL=(\S+)$", source, re.MULTILINE):
            assert (path.parent / map_name).is_file(), f"{path.name} names {map_name}"
        # script-src 'self' without 'unsafe-eval'.
        assert "new Function" not in source
        assert not re.search(r"(?<![\w.])eval\(", source)
    messaging = (FIREBASE_DIR / "firebase-messaging.js").read_text(encoding="utf-8")
    assert IMPORTS.findall(messaging) == ["./firebase-app.js"]
    assert "gstatic" not in messaging
    assert IMPORTS.findall((FIREBASE_DIR / "firebase-app.js").read_text(encoding="utf-8")) == []
    assert "Apache License" in (FIREBASE_DIR / "LICENSE").read_text(encoding="utf-8")


def test_vendored_md_lists_every_vendored_file_with_version_source_and_licence() -> None:
    text = VENDORED_MD.read_text(encoding="utf-8")
    for path in vendored_files():
        assert f"`{path.name}`" in text, path.name
    for needed in ("13.2.0", "npm pack firebase@13.2.0", "Apache-2.0", '"./firebase-app.js"'):
        assert needed in text, needed
    assert "### Upgrading" in text
    # The checksums it records are the files' own.
    for path in FIREBASE_DIR.glob("firebase-*"):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert digest in text, path.name


def test_push_js_loads_the_vendored_sdk_only_by_dynamic_import() -> None:
    """Not statically: the shell's modules load at every start, offline too."""
    for path in JS_DIR.rglob("*.js"):
        source = path.read_text(encoding="utf-8")
        static = re.findall(r"""\bfrom\s*["']([^"']+)["']""", source)
        assert not [target for target in static if "/vendor/" in target], path.name
    push = (JS_DIR / "push.js").read_text(encoding="utf-8")
    assert re.findall(r"""import\(\s*["']([^"']+)["']""", push) == [
        "../vendor/firebase-13.2.0/firebase-app.js",
        "../vendor/firebase-13.2.0/firebase-messaging.js",
    ]


def test_config_gives_the_due_cards_late_and_early_thresholds(web, settings) -> None:
    """Today's due card reads DOSE_LATE_AFTER_MINUTES and the DESIGN setting
    DOSE_EARLY_CONFIRM_HOURS (§2.6) from the server, offline too (the config is kept)."""
    body = web.get("/app/config.json").json()
    assert (body["dose_late_after_minutes"], body["dose_early_confirm_hours"]) == (120, 2)
    settings.DOSE_EARLY_CONFIRM_HOURS = 5
    settings.DOSE_LATE_AFTER_MINUTES = 30
    body = web.get("/app/config.json").json()
    assert (body["dose_late_after_minutes"], body["dose_early_confirm_hours"]) == (30, 5)
