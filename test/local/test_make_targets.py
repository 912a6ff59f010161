"""`make demo` installs only what the demo needs: not the lint venv (cfn-lint, checkov) that only
`make test` uses. Read from make's own plan (--dry-run --always-make: every step it would run)."""
from __future__ import annotations

import subprocess

from local.versions import PROJECT_ROOT


def planned_steps(target: str) -> str:
    done = subprocess.run(
        ["make", "--dry-run", "--always-make", "--no-print-directory", target],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_make_demo_does_not_build_the_lint_venv():
    steps = planned_steps("demo")
    assert "local.demo" in steps
    assert "npm ci" in steps and "pip install" in steps  # it does install what it needs
    assert ".venv-lint" not in steps and "test/lint/requirements.txt" not in steps


def test_make_test_builds_the_lint_venv():
    assert ".venv-lint" in planned_steps("test")
