"""Property-based attack on the published OpenAPI document (schemathesis, bounded): no input gives a 5xx, and
every answer's status, media type and body match what /openapi.json promises."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ST = str(Path(sys.executable).with_name("st"))


def test_no_5xx_and_no_schema_violation(api_base: str) -> None:
    run = subprocess.run(
        [ST, "run", f"{api_base}/openapi.json", "--max-examples", "10", "--seed", "20261201",
         "--checks", "not_a_server_error,response_schema_conformance,status_code_conformance,"
                     "content_type_conformance",
         "--request-timeout", "20", "--no-color"],
        capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert "passed" in run.stdout
