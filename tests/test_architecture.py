"""Dependencies point inwards: domain <- projections <- infra <- api."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_import_contracts_are_kept() -> None:
    lint_imports = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run(
        [str(lint_imports), "--config", str(ROOT / "pyproject.toml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


def test_the_domain_imports_no_web_framework_database_driver_or_settings() -> None:
    forbidden = ("fastapi", "starlette", "psycopg", "pydantic_settings", "uvicorn")
    offenders = [
        f"{path.relative_to(ROOT)}: {line.strip()}"
        for path in (ROOT / "domain").rglob("*.py")
        for line in path.read_text().splitlines()
        if line.startswith(("import ", "from ")) and any(name in line for name in forbidden)
    ]
    assert offenders == []
