"""What a file is by its name and bytes: env file, compose file, lockfile, binary, folder to skip.

Pure data and predicates used by :mod:`agentauth.engine.sources`; nothing here touches the disk.
"""

from __future__ import annotations

import fnmatch

MIB = 1024 * 1024
DEFAULT_MAX_FILE_BYTES = 10 * MIB
ENV_HARD_CAP_BYTES = 64 * MIB
"""Env files are read past ``max_file_bytes`` up to this cap: they are where secrets live."""
BINARY_SNIFF_BYTES = 8192

DEFAULT_EXCLUDED_DIRS: frozenset[str] = frozenset(
    {
        # version control internals (compressed objects: `audit --history` reads them)
        ".git", ".hg", ".svn", ".bzr",
        # installed third-party packages, rebuilt from a lockfile: published code only
        "node_modules", "bower_components", "jspm_packages", ".pnpm-store",
        ".venv", "venv", "site-packages", ".eggs", "*.egg-info", ".tox", ".nox",
        "vendor/bundle", "*/vendor/bundle", ".terragrunt-cache",
        # framework build caches: large, regenerated on every build
        ".next", ".nuxt", ".svelte-kit", ".output", ".angular", ".parcel-cache", ".turbo",
        ".gradle", ".sass-cache",
        # analysis caches and reports: results of tools, never configuration
        "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".hypothesis",
        "coverage", "htmlcov",
    }
)  # fmt: skip
"""Folder names never descended into; ``AuditOptions.exclude_dirs`` adds (or ``!name`` removes).

Read on purpose (an agent reads them, and they do hold credentials): ``vendor/``, ``dist/``,
``build/``, ``out/``, ``target/`` (bundles inline environment values at build time),
``.cache/`` (tools cache tokens there), ``.terraform/`` (backend config and state copies),
``.direnv/`` (direnv's cached environment; the virtualenvs inside are skipped by their
``pyvenv.cfg``). See docs/audit.md for the measured cost.
"""

LOCKFILES: frozenset[str] = frozenset(
    {
        "package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml", "bun.lockb",
        "bun.lock", "poetry.lock", "Pipfile.lock", "pdm.lock", "uv.lock", "Cargo.lock", "go.sum",
        "composer.lock", "Gemfile.lock", "mix.lock", "packages.lock.json", "flake.lock",
        "pubspec.lock", "Podfile.lock", "gradle.lockfile", "Package.resolved", "deno.lock",
    }
)  # fmt: skip
"""Machine-written dependency locks. They are read (a ``resolved`` URL can carry registry
credentials); the name is kept to recognise them, e.g. as not worth a size warning."""

BINARY_EXTENSIONS: frozenset[str] = frozenset(
    {
        # images, audio, video
        ".png", ".jpg", ".jpeg", ".gif", ".bmp", ".ico", ".icns", ".webp", ".tif", ".tiff",
        ".psd", ".avif", ".heic", ".svgz", ".mp3", ".mp4", ".m4a", ".mov", ".avi", ".mkv",
        ".wav", ".flac", ".ogg", ".webm",
        # archives and packages
        ".zip", ".gz", ".tgz", ".bz2", ".xz", ".7z", ".rar", ".tar", ".zst", ".lz4", ".jar",
        ".war", ".ear", ".whl", ".egg", ".apk", ".ipa", ".dmg", ".iso", ".img", ".deb", ".rpm",
        ".msi", ".nupkg",
        # fonts
        ".woff", ".woff2", ".ttf", ".otf", ".eot",
        # compiled code and objects
        ".pyc", ".pyo", ".pyd", ".so", ".dylib", ".dll", ".exe", ".o", ".a", ".lib", ".obj",
        ".class", ".wasm", ".bin",
        # documents and data
        ".pdf", ".doc", ".docx", ".xls", ".xlsx", ".ppt", ".pptx", ".odt", ".ods", ".sqlite",
        ".sqlite3", ".parquet", ".avro", ".npy", ".npz", ".pkl", ".pickle", ".h5", ".hdf5",
        ".onnx", ".pt", ".pth", ".ckpt", ".safetensors", ".tflite", ".mo",
    }
)  # fmt: skip
"""Extensions skipped without opening the file (env files are exempt)."""

_ENV_NAMES = frozenset({".env", ".envrc", ".dev.vars", ".flaskenv"})
_COMPOSE_GLOBS = ("docker-compose*.yml", "docker-compose*.yaml", "compose*.yml", "compose*.yaml")


def is_env_file(name: str) -> bool:
    """True for files that tools load as environment (``.env``, ``.env.local``, ``app.env``)."""
    return (
        name in _ENV_NAMES
        or name.startswith((".env.", ".dev.vars."))
        or (name.endswith(".env") and len(name) > 4)
    )


def is_compose_file(name: str) -> bool:
    """True for Docker Compose files, whose ``env_file:`` entries name more env files."""
    return "compose" in name and any(fnmatch.fnmatchcase(name, g) for g in _COMPOSE_GLOBS)


def compose_env_files(text: str) -> list[str]:
    """Return the ``env_file:`` paths of a Compose file (as written, relative to it)."""
    import yaml  # NOTE: lazy; only projects with a compose file pay for it.

    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError:
        return []
    services = doc.get("services") if isinstance(doc, dict) else None
    if not isinstance(services, dict):
        return []
    found: list[str] = []
    for service in services.values():
        value = service.get("env_file") if isinstance(service, dict) else None
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, dict):
                item = item.get("path")
            if isinstance(item, str) and item.strip():
                found.append(item.strip())
    return found


def decode(data: bytes) -> str:
    """Decode file bytes to text without losing a character or shifting a line.

    UTF-8 (a BOM is dropped), UTF-16 with a BOM (PowerShell's ``>`` writes it),
    else Latin-1, which maps every byte to one character so offsets stay right.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def utf8(data: bytes) -> bytes:
    """The UTF-8 bytes of :func:`decode`'s text: ``data`` itself when it already is UTF-8.

    Why: the detector reads UTF-8 bytes; decoding a file only to encode it again costs
    two copies of every byte scanned, and nearly every source file is ASCII.
    """
    if data.isascii():
        return data
    if not data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            return data
    return decode(data).encode("utf-8", "surrogatepass")
