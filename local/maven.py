"""Resolve a small POM's runtime dependencies from Maven Central into a local jar folder.

Each POM under local/ names its versions only as ${properties}; the values come from
versions.json through -D flags here, so no POM holds a second copy of a version.
Resolution is cached: a folder with a completion marker is reused as it is.
"""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from local.versions import STATE_DIR


class JarResolutionError(RuntimeError):
    """Raised when Maven cannot resolve a POM's dependencies."""


def resolve_jars(pom: Path, properties: dict[str, str], name: str, *, quiet: bool = True) -> Path:
    """Copy the runtime dependencies of `pom` into .state/jars/<name>/ and return that folder.

    `name` must change whenever `properties` change (put the versions in it), so that a cached
    folder never serves jars of another version.
    """
    dest = STATE_DIR / "jars" / name
    marker = dest / ".resolved"
    if marker.exists():
        return dest
    mvn = shutil.which("mvn")
    if mvn is None:
        raise JarResolutionError(
            "Maven ('mvn') is not on PATH; it is needed to fetch jars from Maven Central. "
            "Install it (Debian: apt-get install maven) and run again."
        )
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    cmd = [
        mvn,
        "--batch-mode",
        "-f",
        str(pom),
        *(["-q"] if quiet else []),
        *(f"-D{key}={value}" for key, value in properties.items()),
        "dependency:copy-dependencies",
        "-DincludeScope=runtime",
        f"-DoutputDirectory={dest}",
    ]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        shutil.rmtree(dest, ignore_errors=True)
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-15:])
        raise JarResolutionError(
            f"could not resolve the jars of {pom} with {properties} from Maven Central "
            f"(mvn exit {result.returncode}). Check the versions in versions.json and your network.\n{tail}"
        )
    marker.write_text(" ".join(f"{k}={v}" for k, v in sorted(properties.items())) + "\n")
    return dest


def classpath(jar_dir: Path) -> list[Path]:
    """Every jar in a resolved folder, sorted for a stable classpath."""
    return sorted(jar_dir.glob("*.jar"))
