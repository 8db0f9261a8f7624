"""Manifests as untrusted input: read, checked against what circle writes, before anything runs.

A ``manifest.json`` may come from someone else. `read_manifest` refuses anything circle would
not have written: unknown or missing keys, values of the wrong type, output names that are not
circle's own file names (so a rerun can neither write nor hash a file outside its folder),
digests that are not sha256, database URLs with a password or with libpq parameters other than
``sslmode``. `database_inputs` names the database inputs of a job, so the user sees them before
they are read, and refuses SQL queries unless the user allows them.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..config import CircleConfig
from ..errors import InputDataError
from ..i18n import LANGUAGES
from ..io.columns import LayerColumns
from ..io.db import is_db_url, mask_url
from ..report.capacity import CAPACITY_FILE, LORENZ_FILE
from ..report.compare import PROFILE_FILES
from ..report.coverage import AREAS_FILE, OUTPUT_FILES
from .outputs import MANIFEST_NAME
from .reports import REPORT_FILES

__all__ = ["MANIFEST_VERSION", "database_inputs", "printable", "read_manifest"]

MANIFEST_VERSION = 1
#: the largest manifest read (circle's are a few kB)
MAX_MANIFEST_BYTES = 1 << 20
#: the only files a coverage manifest may list as outputs
OUTPUT_NAMES = frozenset(
    [*OUTPUT_FILES, AREAS_FILE, *PROFILE_FILES, CAPACITY_FILE, LORENZ_FILE, *REPORT_FILES]
)
#: URL parameters a manifest's database URL may carry (circle's own, and TLS mode)
DB_PARAMS = frozenset({"table", "query", "schema", "geometry", "sslmode"})
#: job fields that may name a database (the layers and the network)
DB_FIELDS = ("network", "centres", "communities")

Check = Callable[[Any, str], None]


class _Bad(Exception):
    pass


def printable(text: object, limit: int = 200) -> str:
    """`text` safe to print: control characters (terminal escapes, newlines) escaped, shortened."""
    s = "".join(
        c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in str(text)
    )
    return s if len(s) <= limit else s[: limit - 1] + "…"


def _fail(where: str, what: str) -> None:
    raise _Bad(f"{where}: {what}")


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _str(v: Any, where: str) -> None:
    if not isinstance(v, str) or len(v) > 4096 or "\x00" in v:
        _fail(where, "must be a text of at most 4096 characters")


def _opt(check: Check) -> Check:
    def run(v: Any, where: str) -> None:
        if v is not None:
            check(v, where)

    return run


def _num(v: Any, where: str) -> None:
    if not _is_num(v):
        _fail(where, "must be a finite number")


def _bool(v: Any, where: str) -> None:
    if not isinstance(v, bool):
        _fail(where, "must be true or false")


def _hex64(v: Any, where: str) -> None:
    if not isinstance(v, str) or not re.fullmatch(r"[0-9a-f]{64}", v):
        _fail(where, "must be a sha256 digest (64 hexadecimal digits)")


def _one_of(*allowed: Any) -> Check:
    def run(v: Any, where: str) -> None:
        if v not in allowed:
            _fail(where, f"must be one of {list(allowed)}")

    return run


def _list(item: Check, *, length: int | None = None, most: int = 100) -> Check:
    def run(v: Any, where: str) -> None:
        if not isinstance(v, list) or len(v) > most or (length is not None and len(v) != length):
            _fail(where, f"must be a list of {length or f'at most {most}'} items")
        for i, x in enumerate(v):
            item(x, f"{where}[{i}]")

    return run


def _obj(fields: dict[str, Check], required: tuple[str, ...] = ()) -> Check:
    def run(v: Any, where: str) -> None:
        if not isinstance(v, dict):
            _fail(where, "must be an object")
        unknown = sorted(set(v) - set(fields))
        if unknown:
            _fail(where, f"unknown key {printable(unknown[0])!r} (circle never writes it)")
        missing = [k for k in required if k not in v]
        if missing:
            _fail(where, f"the key {missing[0]!r} is missing")
        for k, x in v.items():
            fields[k](x, f"{where}.{k}")

    return run


def _map(key: Callable[[str], bool], value: Check, what: str, most: int = 100) -> Check:
    def run(v: Any, where: str) -> None:
        if not isinstance(v, dict) or len(v) > most:
            _fail(where, f"must be an object of at most {most} entries")
        for k, x in v.items():
            if not key(k):
                _fail(where, f"{printable(k)!r} is not {what}")
            value(x, f"{where}.{printable(k, 40)}")

    return run


def _db_url(v: Any, where: str) -> None:
    _str(v, where)
    if not is_db_url(v):
        return
    parts = urllib.parse.urlsplit(v) if "[" not in v else None
    rest = v.split("://", 1)[1].split("?", 1)[0]
    userinfo = rest.rsplit("@", 1)[0] if "@" in rest else ""
    if ":" in userinfo and userinfo.split(":", 1)[1] != "***":
        _fail(where, "holds a database password (circle writes *** in its place)")
    query = urllib.parse.parse_qs(parts.query if parts else v.partition("?")[2])
    extra = sorted(set(query) - DB_PARAMS)
    if extra:
        _fail(where, f"has the URL parameter {printable(extra[0])!r}; only {sorted(DB_PARAMS)}")


_CONFIG_FIELDS = {
    "walk_speed_kmh": _num,
    "thresholds_min": _list(_num, most=20),
    "threshold_min": _num,
    "max_snap_m": _num,
    "min_component_m": _num,
    "search_limit_min": _num,
    "gate_tolerance_m": _num,
    "isochrone_buffer_m": _num,
    "dem": _opt(_str),
    "dem_spacing_m": _num,
    "access_slack_m": _num,
    "walk_profile": _opt(_str),
    "mode": _one_of("walk", "bike", "ebike"),
    "within_km": _num,
}
_CAPACITY = _obj(
    {
        "column": _opt(_str),
        "unit": _str,
        "decay": _str,
        "sigma_m": _opt(_num),
        "crowded_below": _opt(_num),
        "demand": _opt(_str),
        "equity": _bool,
    }
)
_HOURS = _obj(
    {
        "column": _str,
        "at": _list(_str, most=50),
        "unparsed_open": _bool,
        "country": _str,
        "day": _opt(_str),
        "first_hour": _num,
        "last_hour": _num,
    }
)
_COLUMNS = _obj(
    {
        **{f.name: _opt(_str) for f in dataclasses.fields(LayerColumns) if f.name != "per_layer"},
        "per_layer": _list(_list(_str, length=3)),
    }
)
_JOB = _obj(
    {
        "network": _db_url,
        "centres": _opt(_db_url),
        "communities": _opt(_db_url),
        "add_centres": _opt(_db_url),
        "gates": _str,
        "columns": _COLUMNS,
        "layer_crs": _opt(_str),
        "config": _obj(_CONFIG_FIELDS, ("walk_speed_kmh", "thresholds_min")),
        "group_columns": _opt(_list(_str)),
        "profiles": _list(_str, most=20),
        "datum": _str,
        **{k: _opt(_str) for k in ("centres_datum", "communities_datum", "centres_layer",
                                   "communities_layer", "presets", "population_raster", "by",
                                   "areas", "areas_layer", "place")},
        "population_from_osm": _bool,
        "areas_name_column": _str,
        "bbox": _opt(_list(_num, length=4)),
        "capacity": _opt(_CAPACITY),
        "mode_column": _opt(_str),
        "hours": _opt(_HOURS),
    },
    ("network", "columns", "config"),
)
_SCHEMA = _obj(
    {
        "circle_manifest": _one_of(MANIFEST_VERSION),
        "command": _one_of("coverage"),
        "job": _JOB,
        "inputs": _map(
            lambda k: bool(re.fullmatch(r"[a-z_]{1,40}", k)),
            _obj({"path": _db_url, "sha256": _opt(_hex64)}, ("path", "sha256")),
            "an input role",
        ),
        "network": _obj({k: _opt(_str) for k in ("file", "sha256", "newest_way_edit")}),
        "versions": _map(lambda k: len(k) <= 40, _opt(_str), "a library name"),
        "presentation": _obj({"lang": _one_of(*LANGUAGES), "csv_header": _one_of(*LANGUAGES)}),
        "outputs": _map(lambda k: k in OUTPUT_NAMES, _hex64, f"one of circle's outputs "
                        f"{sorted(OUTPUT_NAMES)} (no folders or paths)"),
        "created_utc": _str,
    },
    ("circle_manifest", "command", "job", "inputs", "outputs"),
)


def read_manifest(path: str | Path) -> dict:
    """Read a ``manifest.json`` written by ``circle coverage --out`` and check it against
    what circle writes, before anything runs (`InputDataError` naming the first problem)."""
    path = Path(path)
    if path.is_dir():
        path = path / MANIFEST_NAME
    where = printable(path)
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_MANIFEST_BYTES + 1)
    except FileNotFoundError as err:
        msg = f"{where}: file not found; give the manifest.json of a `circle coverage --out` folder"
        raise InputDataError(msg) from err
    except OSError as err:
        msg = f"{where}: cannot read the manifest ({err.strerror or type(err).__name__})"
        raise InputDataError(msg) from err
    if len(raw) > MAX_MANIFEST_BYTES:
        msg = f"{where}: larger than {MAX_MANIFEST_BYTES >> 20} MB; not a circle manifest"
        raise InputDataError(msg)
    try:
        manifest = json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as err:
        msg = f"{where}: not a JSON manifest ({printable(str(err).splitlines()[0], 120)})"
        raise InputDataError(msg) from err
    if not isinstance(manifest, dict) or manifest.get("circle_manifest") != MANIFEST_VERSION:
        msg = f"{where}: not a circle manifest (version {MANIFEST_VERSION})"
        raise InputDataError(msg)
    try:
        _SCHEMA(manifest, "manifest")
        _check_config(manifest["job"]["config"])
    except _Bad as err:
        msg = f"{where}: {err}; circle did not write this manifest, so nothing was run"
        raise InputDataError(msg) from None
    return manifest


def _no_constant(name: str) -> None:
    msg = f"{name} is not JSON"
    raise ValueError(msg)


def _check_config(config: dict) -> None:
    names = {f.name for f in dataclasses.fields(CircleConfig)}
    try:
        CircleConfig(**{k: v for k, v in config.items() if k in names})
    except (ValueError, TypeError) as err:
        raise _Bad(f"manifest.job.config: {printable(err)}") from None


def database_inputs(job: dict, *, allow_queries: bool, where: str) -> list[str]:
    """The job's database inputs, masked, for the user to see; refuses SQL queries unless
    `allow_queries`.

    Parameters
    ----------
    job
        The manifest's checked ``job``.
    allow_queries
        Run the SQL queries a manifest holds (``circle rerun --allow-queries``).
    where
        The manifest, for messages.

    Returns
    -------
    list of str
        ``"role: masked URL"`` per database input.
    """
    found = []
    for role in DB_FIELDS:
        url = job.get(role)
        if not is_db_url(url):
            continue
        found.append(f"{role}: {printable(mask_url(url), 300)}")
        query = urllib.parse.parse_qs(url.partition("?")[2])
        if "query" in query and not allow_queries:
            msg = (
                f"{where}: the {role} input runs an SQL query on {printable(mask_url(url), 120)}; "
                "a manifest's SQL runs only with --allow-queries (read it first)"
            )
            raise InputDataError(msg)
    return found
