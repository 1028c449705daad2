"""Running a GitHub Actions job's ``run:`` steps locally, as the runner would on ubuntu-latest.

``uses:`` steps (checkout, setup-python, upload-artifact) are the runner's business and
are skipped, as is any step whose id the caller names (installing the package under
test, which is already installed here). Job-level ``env`` values that are ``${{ }}``
expressions (secrets, repository variables) must be given by the caller; ``run:``
scripts may not contain expressions at all, only environment variables, so what runs
here is exactly what runs in CI. After a failed step, only ``if: always()`` steps run.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

EXPRESSION = "${{"
STEP_TIMEOUT_SECONDS = 180


@dataclass(frozen=True)
class StepResult:
    name: str
    returncode: int
    output: str


def load(path: Path) -> dict[str, Any]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    # YAML 1.1 reads the key `on` as True; the workflow's triggers are not needed here.
    return document


def job_environment(job: dict[str, Any], given: dict[str, str]) -> dict[str, str]:
    """The job's ``env``, with each expression replaced by the caller's value for that variable."""
    env = {}
    for name, value in (job.get("env") or {}).items():
        text = str(value)
        if EXPRESSION in text or name in given:
            if name not in given:
                raise AssertionError(f"the job's env {name} is {text!r}: the test must give its value")
            text = given[name]
        env[name] = text
    return env


def run_job(
    job: dict[str, Any],
    *,
    workdir: Path,
    base_env: dict[str, str],
    given: dict[str, str],
    skip_ids: frozenset[str] = frozenset(),
) -> list[StepResult]:
    env = {**base_env, **job_environment(job, given)}
    results: list[StepResult] = []
    failed = False
    for index, step in enumerate(job["steps"]):
        name = step.get("name") or step.get("uses") or f"step {index}"
        if "uses" in step or step.get("id") in skip_ids:
            continue
        if failed and "always()" not in str(step.get("if", "")):
            continue
        script = step["run"]
        assert EXPRESSION not in script, f"{name}: use environment variables, not expressions, in run:"
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
            cwd=workdir,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=STEP_TIMEOUT_SECONDS,
            check=False,
        )
        results.append(StepResult(name, done.returncode, done.stdout + done.stderr))
        failed = failed or done.returncode != 0
    return results


def explain(results: list[StepResult]) -> str:
    return "\n".join(f"--- {r.name}: exit {r.returncode}\n{r.output[-3000:]}" for r in results)
