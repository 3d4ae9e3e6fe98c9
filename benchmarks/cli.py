"""Whole command-line processes: supplyline against the naive script, as a user meets them.

    python benchmarks/cli.py [--reps 5] [--json out.json]

Every run is a fresh process measured by ``/usr/bin/time -v`` (wall, user and system
CPU, peak RSS of the process); the load average is read before and after each. The
caches are warm (one run of each command first, not counted), and Python's bytecode is
cached as an installed package's would be (``PYTHONPYCACHEPREFIX`` in a temporary
directory: a sandbox with ``PYTHONDONTWRITEBYTECODE`` would otherwise compile every
module of the package in every process). The baseline is ``naive_routes.py``: the same
routes from the raw files with geopandas, shapely and networkx, measured the same way in
the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
TIME = shutil.which("time") or "/usr/bin/time"

CITY, DATE = "Pokrovsk", "2025-01-31"
HUBS = ["Dnipro", "Pavlohrad", "Kramatorsk"]
COMMANDS = {
    "routes": ["routes", CITY, "--date", DATE, *[x for h in HUBS for x in ("--to", h)],
               "--json"],
    "status": ["status", CITY, "--date", DATE, "--json"],
    "encirclement": ["encirclement", CITY, "--date", DATE, "--json"],
}


def _time_v(cmd: list[str], env: dict) -> dict:
    """One process under ``/usr/bin/time -v``: wall, user, system (s), peak RSS (MiB),
    and the 1-minute load average before and after."""
    load0 = os.getloadavg()[0]
    proc = subprocess.run([TIME, "-v", *cmd], env=env, capture_output=True, text=True)
    load1 = os.getloadavg()[0]
    err = proc.stderr

    def field(name: str) -> str:
        m = re.search(rf"^\s*{re.escape(name)}: (.+)$", err, re.M)
        return m.group(1).strip() if m else ""

    wall = field("Elapsed (wall clock) time (h:mm:ss or m:ss)")
    parts = [float(x) for x in wall.split(":")] if wall else [float("nan")]
    secs = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
    return {"exit": proc.returncode, "wall_s": round(secs, 3),
            "user_s": float(field("User time (seconds)") or "nan"),
            "sys_s": float(field("System time (seconds)") or "nan"),
            "peak_mib": round(int(field("Maximum resident set size (kbytes)") or 0) / 1024, 1),
            "loadavg_1m": [round(load0, 2), round(load1, 2)],
            "stdout": proc.stdout if proc.returncode == 0 else proc.stderr[-2000:]}


def _summary(runs: list[dict]) -> dict:
    ok = [r for r in runs if r["exit"] == 0]
    if not ok:
        return {"runs": len(runs), "failed": runs[-1]["stdout"][-500:]}
    cpu = [r["user_s"] + r["sys_s"] for r in ok]
    return {"runs": len(ok),
            "wall_median_s": round(statistics.median(r["wall_s"] for r in ok), 3),
            "wall_min_s": round(min(r["wall_s"] for r in ok), 3),
            "cpu_median_s": round(statistics.median(cpu), 3),
            "peak_mib_max": max(r["peak_mib"] for r in ok),
            "loadavg_1m": [r["loadavg_1m"] for r in ok]}


def _places(env: dict) -> dict[str, tuple[float, float]]:
    code = ("import json, sys; from supplyline.analysis.context import Workspace; "
            "ws = Workspace(); print(json.dumps({n: [ws.find(n).place.lon, ws.find(n).place.lat]"
            f" for n in {[CITY, *HUBS]!r}}}))")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True).stdout
    return {k: tuple(v) for k, v in json.loads(out).items()}


def run(reps: int = 5, naive_reps: int = 3, data: Path | None = None,
        env: dict | None = None) -> dict:
    """supplyline's status, routes and encirclement commands and the naive script, each
    ``reps`` (``naive_reps``) times as whole processes, with warm caches."""
    env = dict(env or os.environ)
    pyc = Path(tempfile.mkdtemp(prefix="supplyline-pyc-"))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(pyc)
    exe = shutil.which("supplyline", path=str(Path(sys.executable).parent)) or "supplyline"
    data_args = ["--data", str(data)] if data else []
    out: dict = {"command_prefix": "supplyline", "reps": reps, "naive_reps": naive_reps}
    try:
        for name, args in COMMANDS.items():
            _time_v([exe, *args, *data_args], env)  # warm caches and bytecode
            runs = [_time_v([exe, *args, *data_args], env) for _ in range(reps)]
            out[name] = _summary(runs) | {"command": " ".join(["supplyline", *args])}
            if name == "routes" and runs[-1]["exit"] == 0:
                res = json.loads(runs[-1]["stdout"])
                out[name]["answer"] = {
                    p["hub"]["name"]: {k: {"length_km": p[k]["length_km"],
                                           "min_clearance_km": p[k]["min_clearance_km"]}
                                       for k in ("peacetime", "safest")}
                    for p in res["modes"]["road"]["hubs"]}
        places = _places(env)
        shared = Path(data) if data else Path(_data_dir(env))
        naive = [sys.executable, str(HERE / "naive_routes.py"), "--data", str(shared),
                 "--date", DATE, "--city", "{},{}".format(*places[CITY]),
                 *[x for h in HUBS for x in ("--hub", "{}={},{}".format(h, *places[h]))]]
        _time_v(naive, env)  # bytecode and file cache warm, as for supplyline
        runs = [_time_v(naive, env) for _ in range(naive_reps)]
        out["naive"] = _summary(runs) | {"command": "python benchmarks/naive_routes.py "
                                                    f"(routes of {CITY} to {', '.join(HUBS)})"}
        if runs[-1]["exit"] == 0:
            out["naive"]["answer"] = json.loads(runs[-1]["stdout"])
        r, n = out["routes"], out["naive"]
        if "wall_median_s" in r and "wall_median_s" in n:
            out["speedup_wall"] = round(n["wall_median_s"] / r["wall_median_s"], 2)
            out["speedup_cpu"] = round(n["cpu_median_s"] / r["cpu_median_s"], 2)
    finally:
        shutil.rmtree(pyc, ignore_errors=True)
    return out


def _data_dir(env: dict) -> str:
    code = ("from supplyline.analysis.context import Workspace; "
            "print(Workspace().sources.require('egm').parent.parent)")
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, check=True).stdout.strip()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--naive-reps", type=int, default=3)
    ap.add_argument("--data", type=Path, default=None)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    res = run(args.reps, args.naive_reps, args.data)
    print(json.dumps({k: v for k, v in res.items()}, indent=2, default=str))
    if args.json:
        args.json.write_text(json.dumps(res, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
