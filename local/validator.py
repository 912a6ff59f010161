"""The flight event validator's jar, compiled on this machine from spark-jobs/validator/.

transforms.parse_flight_events calls a Java parser, flightanalytics.FlightEventParser. Its jar is
compiled here with the JDK's javac, against pyspark's own jars (so against exactly the Spark and
Jackson the session runs), into .state/validator/flight-event-parser-<digest>.jar. The digest
covers the sources, the Spark version and the Java release, so the jar is rebuilt only when one of
them changes; an up-to-date jar costs a hash of a few files. local.spark_runtime.local_session
puts it in spark.jars. The Spark image compiles the same sources (spark-jobs/Dockerfile).

The same machinery compiles local/java/ (local_file_system_jar): a local file system for
sessions on this machine, never used by the image.

    python -m local.validator      # build if needed, print the jar's path
"""
from __future__ import annotations

import hashlib
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from local.versions import PROJECT_ROOT, STATE_DIR, versions

SOURCES_DIR = PROJECT_ROOT / "spark-jobs" / "validator" / "src" / "main" / "java"
JAR_DIR = STATE_DIR / "validator"
JAR_PREFIX = "flight-event-parser"
LOCAL_FS_SOURCES_DIR = PROJECT_ROOT / "local" / "java"
LOCAL_FS_JAR_DIR = STATE_DIR / "local-fs"
LOCAL_FS_JAR_PREFIX = "local-file-system"
COMPILE_TIMEOUT_S = 300


class ValidatorBuildError(RuntimeError):
    """The validator's jar could not be built (no javac, or the sources do not compile)."""


def pyspark_jars_dir() -> Path:
    """The jars of the installed pyspark: the classpath the validator is compiled against."""
    import pyspark

    return Path(pyspark.__file__).parent / "jars"


def java_sources(sources_dir: Path = SOURCES_DIR) -> list[Path]:
    return sorted(sources_dir.rglob("*.java"))


def sources_digest(sources: list[Path], sources_dir: Path = SOURCES_DIR) -> str:
    """Hash of what the jar is built from: each source's path and bytes, the Spark version, the Java release."""
    v = versions()
    digest = hashlib.sha256(f"spark={v['spark']} scala={v['scalaBinary']} release={v['javaRelease']}\n".encode())
    for source in sources:
        digest.update(source.relative_to(sources_dir).as_posix().encode() + b"\0")
        digest.update(source.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def find_javac() -> str:
    """javac of $JAVA_HOME, else the one on PATH."""
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "javac").is_file():
        return str(Path(java_home) / "bin" / "javac")
    found = shutil.which("javac")
    if found is None:
        raise ValidatorBuildError(
            "javac not found (neither $JAVA_HOME/bin/javac nor on PATH): building the flight event validator "
            f"(spark-jobs/validator/) and the local file system (local/java/) needs a JDK {versions()['javaRelease']} "
            "or newer, not only a JRE"
        )
    return found


def _write_jar(classes: Path, jar: Path) -> None:
    """A plain jar (a zip with a manifest) of every file under `classes`, with fixed timestamps."""
    stamp = (1980, 1, 1, 0, 0, 0)
    with zipfile.ZipFile(jar, "w", compression=zipfile.ZIP_DEFLATED) as out:
        out.writestr(zipfile.ZipInfo("META-INF/MANIFEST.MF", stamp), "Manifest-Version: 1.0\r\nCreated-By: local.validator\r\n\r\n")
        for path in sorted(p for p in classes.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(path.relative_to(classes).as_posix(), stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            out.writestr(info, path.read_bytes())


def validator_jar(sources_dir: Path = SOURCES_DIR, jar_dir: Path = JAR_DIR) -> Path:
    """The validator's jar, compiled first if these sources have no jar yet."""
    return compiled_jar(sources_dir, jar_dir, JAR_PREFIX, "the flight event validator")


def local_file_system_jar() -> Path:
    """The jar of local/java/ (flightanalytics.localfs.NioPermissionsLocalFileSystem): Hadoop's local
    file system without a `chmod` subprocess per file, for sessions on this machine only."""
    return compiled_jar(LOCAL_FS_SOURCES_DIR, LOCAL_FS_JAR_DIR, LOCAL_FS_JAR_PREFIX, "the local file system")


def compiled_jar(sources_dir: Path, jar_dir: Path, prefix: str, what: str) -> Path:
    """<jar_dir>/<prefix>-<digest>.jar of the Java sources under `sources_dir`, compiled first if
    these sources have no jar yet; `what` names them in errors."""
    sources = java_sources(sources_dir)
    if not sources:
        raise ValidatorBuildError(f"no Java sources under {sources_dir}: {what} is missing")
    jar = jar_dir / f"{prefix}-{sources_digest(sources, sources_dir)}.jar"
    if jar.is_file():
        return jar
    jar_dir.mkdir(parents=True, exist_ok=True)
    # Built in a private folder and renamed into place: a process that finds the jar finds it whole,
    # and two processes building at once each rename a complete, identical jar.
    with tempfile.TemporaryDirectory(dir=jar_dir, prefix=".build-") as tmp:
        classes = Path(tmp) / "classes"
        command = [
            find_javac(), "--release", str(versions()["javaRelease"]), "-encoding", "UTF-8", "-nowarn",
            "-cp", str(pyspark_jars_dir() / "*"), "-d", str(classes), *(str(s) for s in sources),
        ]
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=COMPILE_TIMEOUT_S)
        except subprocess.TimeoutExpired as err:
            raise ValidatorBuildError(f"compiling {what} took over {COMPILE_TIMEOUT_S} s: {shlex.join(command)}") from err
        if result.returncode != 0:
            raise ValidatorBuildError(
                f"compiling {what} failed (exit {result.returncode}):\n  {shlex.join(command)}\n"
                f"{(result.stderr or result.stdout).strip()}"
            )
        partial = Path(tmp) / jar.name
        _write_jar(classes, partial)
        os.replace(partial, jar)
    return jar


def main() -> int:
    try:
        print(validator_jar())
    except ValidatorBuildError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
