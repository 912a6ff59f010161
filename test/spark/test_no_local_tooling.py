"""The production job never imports the local tooling: on a cluster the image carries only
spark-jobs/, and local/ calls the job (local/spark_job.py hands it its session), never the reverse."""
from __future__ import annotations

import ast
from pathlib import Path

JOB_PACKAGE = Path(__file__).resolve().parents[2] / "spark-jobs"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    return names | {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}


def test_no_module_of_the_job_imports_local_or_bench():
    offending = {
        str(path.relative_to(JOB_PACKAGE)): sorted(m for m in imported_modules(path) if m.split(".")[0] in {"local", "bench"})
        for path in JOB_PACKAGE.rglob("*.py")
    }
    assert {file: modules for file, modules in offending.items() if modules} == {}
