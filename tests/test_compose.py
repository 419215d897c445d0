"""docker-compose.yml is read here (no Docker engine runs in CI): it parses, has the five
services with health checks, and runs the same commands as the Makefile."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def makefile_variable(name: str) -> str:
    match = re.search(rf"^{name} = (.+)$", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert match, f"{name} not in Makefile"
    return match.group(1).strip()


def test_the_five_services_with_health_checks() -> None:
    services = compose()["services"]
    assert {"postgres", "redis", "web", "worker", "beat"} <= set(services)
    for name in ("postgres", "redis", "web", "worker", "beat"):
        assert "healthcheck" in services[name], name
        assert services[name]["healthcheck"]["test"], name


def test_commands_match_the_makefile() -> None:
    services = compose()["services"]
    assert services["web"]["command"] == makefile_variable("WEB_CMD")
    assert services["worker"]["command"] == makefile_variable("WORKER_CMD")
    assert services["beat"]["command"] == makefile_variable("BEAT_CMD")


def test_app_services_use_production_settings_and_wait_for_their_dependencies() -> None:
    services = compose()["services"]
    for name in ("web", "worker", "beat", "migrate"):
        service = services[name]
        assert service["environment"]["DJANGO_SETTINGS_MODULE"] == "backend.settings.production"
        assert service["env_file"] == ".env"
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["migrate"]["depends_on"]["redis"]["condition"] == "service_healthy"


def test_env_example_names_every_variable_compose_needs() -> None:
    example = (ROOT / ".env.example").read_text()
    for variable in (
        "SECRET_KEY",
        "ALLOWED_HOSTS",
        "DATABASE_URL",
        "REDIS_URL",
        "POSTGRES_PASSWORD",
    ):
        assert re.search(rf"^{variable}=", example, re.MULTILINE), variable


def test_only_one_beat() -> None:
    services = compose()["services"]
    assert "deploy" not in services["beat"] or services["beat"]["deploy"].get("replicas", 1) == 1


def test_procfile_runs_the_makefile_targets() -> None:
    procfile = (ROOT / "Procfile").read_text()
    for target in ("web", "worker", "beat"):
        assert f"{target}: make --no-print-directory {target}" in procfile


def test_the_backup_service_dumps_nightly_with_retention() -> None:
    config = compose()
    services = config["services"]
    backup = services["backup"]
    image, _, version = backup["image"].partition(":")
    db_image, _, db_version = services["postgres"]["image"].partition(":")
    # pg_dump must be of the server's major version (or newer) to read it.
    assert image == db_image == "postgres"
    assert version.split(".")[0] == db_version.split(".")[0]
    assert backup["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "backups:/backups" in backup["volumes"]
    assert "backups" in config["volumes"]
    assert "./deploy/backup:/backup:ro" in backup["volumes"]
    assert (ROOT / "deploy" / "backup" / "backup.sh").exists()
    assert backup["entrypoint"] == ["bash", "/backup/backup.sh"]
    assert backup["command"] == ["schedule"]
    environment = backup["environment"]
    assert environment["BACKUP_DIR"] == "/backups"
    assert environment["BACKUP_RETENTION_DAYS"] == "${BACKUP_RETENTION_DAYS:-14}"
    assert environment["PGHOST"] == "postgres"
    # The same role, database and password as the postgres service.
    assert environment["PGUSER"] == services["postgres"]["environment"]["POSTGRES_USER"]
    assert environment["PGDATABASE"] == services["postgres"]["environment"]["POSTGRES_DB"]
    assert environment["PGPASSWORD"] == services["postgres"]["environment"]["POSTGRES_PASSWORD"]
    assert backup["healthcheck"]["test"] == ["CMD", "bash", "/backup/backup.sh", "check"]


def test_postgres_is_started_sized_for_production() -> None:
    """The sweep and the reminder claim were measured twice as slow on PostgreSQL's defaults
    (docs/performance.md): compose sets the buffers and compressed full-page images."""
    command = compose()["services"]["postgres"]["command"]
    assert command[0] == "postgres"
    settings = dict(item.split("=", 1) for item in command[2::2])
    assert command[1::2] == ["-c"] * len(settings)
    assert settings == {
        "shared_buffers": "${POSTGRES_SHARED_BUFFERS:-1GB}",
        "wal_compression": "lz4",
        "max_wal_size": "4GB",
    }
