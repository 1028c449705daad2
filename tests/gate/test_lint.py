"""``focus-contract lint``: the bundled spec passes; a broken copy fails with each problem named."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import yaml

from contracts.lint import lint
from mockserver.spec import spec_path

from .running import clean_environment, gate_command

START = "/paths/~1v1~1music~1{organization_id}~1focus~1sessions/post"


def run_lint(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*gate_command(), "lint", *args],
        cwd=cwd,
        env=clean_environment(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def spec_document() -> dict[str, Any]:
    return yaml.safe_load(spec_path().read_text(encoding="utf-8"))


def write(path: Path, document: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def test_the_bundled_spec_passes(tmp_path: Path) -> None:
    done = run_lint(cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "valid OpenAPI 3.1" in done.stdout


def test_a_bad_example_and_a_missing_401_are_each_named(tmp_path: Path) -> None:
    document = spec_document()
    document["components"]["schemas"]["TargetMinutes"]["examples"] = [0]
    del document["paths"]["/v1/music/{organization_id}/focus/sessions"]["post"]["responses"]["401"]
    done = run_lint("--spec", str(write(tmp_path / "broken.yaml", document)), cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert any("/components/schemas/TargetMinutes/examples/0: example is not valid" in line for line in lines)
    assert any(f"{START}/responses: startFocusSession documents no 401 answer (D2" in line for line in lines)
    assert len(lines) == 2, done.stdout
    assert "2 problems in" in done.stderr


def test_an_error_answer_without_an_example_is_named(tmp_path: Path) -> None:
    document = spec_document()
    responses = document["components"]["responses"]
    name = next(iter(responses))
    media = responses[name]["content"]["application/json"]
    media.pop("example", None)
    media.pop("examples", None)
    result = lint(write(tmp_path / "no-example.yaml", document))
    assert result.problems and all("has no example" in p for p in result.problems), result.problems


def test_invalid_openapi_is_reported_where_it_is(tmp_path: Path) -> None:
    document = spec_document()
    document["paths"]["/v1/music/{organization_id}/focus/sessions"]["post"]["responses"] = "none"
    result = lint(write(tmp_path / "invalid.yaml", document))
    assert not result.ok
    assert any(
        p.startswith("/paths/~1v1~1music~1{organization_id}~1focus~1sessions/post/responses")
        for p in result.problems
    )


def test_a_key_given_twice_is_a_problem(tmp_path: Path) -> None:
    text = spec_path().read_text(encoding="utf-8").replace("openapi:", "openapi: 3.1.0\nopenapi:", 1)
    (tmp_path / "twice.yaml").write_text(text, encoding="utf-8")
    result = lint(tmp_path / "twice.yaml")
    assert len(result.problems) == 1 and "duplicate key 'openapi'" in result.problems[0]


def test_a_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    done = run_lint("--spec", str(tmp_path / "nowhere.yaml"), cwd=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "cannot read" in done.stderr and "Traceback" not in done.stderr


def test_a_spec_without_paths_is_a_problem(tmp_path: Path) -> None:
    document = spec_document()
    document["paths"] = {}
    result = lint(write(tmp_path / "no-paths.yaml", document))
    assert not result.ok
    for op_id in ("startFocusSession", "getFocusSession", "endFocusSession", "promoteFocusSegment"):
        assert any(p.startswith(f"/paths: no operation {op_id}") for p in result.problems), result.problems


def test_a_link_to_a_deleted_operation_is_named(tmp_path: Path) -> None:
    document = spec_document()
    promote = next(path for path in document["paths"] if path.endswith("/promote"))
    del document["paths"][promote]
    result = lint(write(tmp_path / "no-promote.yaml", document))
    assert "/paths: no operation promoteFocusSegment" in " ".join(result.problems), result.problems
    dangling = [p for p in result.problems if "the link names promoteFocusSegment" in p]
    assert dangling and all("/links/" in p and p.split(":")[0].endswith("/operationId") for p in dangling)
