"""PostGIS: layers and street networks read from tables or queries; results written in one go."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import urllib.parse
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeGuard

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from .._extras import install_hint
from ..errors import ConfigError, InputDataError, MissingDependencyError, OutputError
from .choices import IF_EXISTS
from .columns import LayerColumns, rename_columns

if TYPE_CHECKING:
    import sqlalchemy as sa

__all__ = [
    "IF_EXISTS",
    "SNAP_GRID_M",
    "db_source",
    "is_db_url",
    "mask_url",
    "read_db_layer",
    "read_street_lines",
    "untrusted_sources",
    "write_db_tables",
]

logger = logging.getLogger(__name__)

#: edge end points closer than this grid (metres) become one node: they round to the same cm
SNAP_GRID_M = 0.01
# IF_EXISTS (what `write_db_tables` does with a table that already exists) is in .choices
#: URL parameters circle reads itself; every other parameter goes to libpq (sslmode, service, …)
_CIRCLE_PARAMS = ("table", "query", "schema", "geometry")
_DB_URL = re.compile(r"^postgres(?:ql)?(?:\+\w+)?://", re.IGNORECASE)
_DB_EXTRA = f"{install_hint('db')} (SQLAlchemy, psycopg, GeoAlchemy2)"


def is_db_url(source: object) -> TypeGuard[str]:
    """Whether `source` is a PostgreSQL URL (``postgresql://``, ``postgres://``, ``postgresql+x://``)."""
    return isinstance(source, str) and bool(_DB_URL.match(source))


def mask_url(url: str) -> str:
    """The URL with its password (in the user part or a ``password=`` parameter) shown as ``***``.

    Parameters
    ----------
    url
        Any URL.

    Returns
    -------
    str
    """
    scheme, sep, rest = url.partition("://")
    if sep:
        # the user part runs to the LAST '@' before the path or parameters: an unencoded '@'
        # in a password must not leave its tail visible
        end = min((i for i in (rest.find("/"), rest.find("?"), rest.find("#")) if i >= 0),
                  default=len(rest))
        at = rest.rfind("@", 0, end)
        if at < 0 and "@" in rest:  # a '/' or '?' inside the password: mask to the last '@'
            at = rest.rfind("@", 0, rest.find("?") if "?" in rest else len(rest))
        if at >= 0 and ":" in rest[:at]:
            rest = rest[: rest.index(":") + 1] + "***" + rest[at:]
        url = scheme + sep + rest
    return re.sub(r"(?i)([?&]password=)[^&#]*", r"\1***", url)


def db_source(url: str, *, table: str | None = None, query: str | None = None) -> str:
    """A database source URL for one layer: `url` with ``table=`` or ``query=`` added.

    Parameters
    ----------
    url
        ``postgresql://USER@HOST/DB`` (password, port and libpq parameters optional).
    table
        Table or view name, optionally ``schema.table``.
    query
        A SELECT statement returning one geometry column.

    Returns
    -------
    str
    """
    extra = {k: v for k, v in (("table", table), ("query", query)) if v is not None}
    sep = "&" if "?" in url else "?"
    return url + sep + urllib.parse.urlencode(extra, quote_via=urllib.parse.quote)


@dataclass(frozen=True)
class _Source:
    url: sa.URL  # for SQLAlchemy: psycopg driver, circle's parameters removed
    label: str  # for messages: password masked
    secrets: tuple[str, ...]  # strings never to show (the password, raw and URL-encoded)
    table: str | None
    schema: str | None
    query: str | None
    geometry: str | None


def _sqlalchemy():
    try:
        import geoalchemy2  # noqa: F401  (to_postgis needs it)
        import sqlalchemy
    except ImportError as err:
        msg = f"PostGIS sources and outputs need the `db` extra: {_DB_EXTRA}; missing {err.name}"
        raise MissingDependencyError(msg) from err
    return sqlalchemy


def _parse(source: str, error: type[Exception]) -> _Source:
    sa = _sqlalchemy()
    rest = source.partition("://")[2].split("?", 1)[0]
    if rest.count("@") > 1:
        msg = (
            f"{mask_url(source)}: the user part holds an unencoded '@'; write '@' in a password "
            "as %40 (or use PGPASSWORD or ~/.pgpass)"
        )
        raise error(msg)
    try:
        url = sa.make_url(source)
    except (sa.exc.ArgumentError, ValueError) as err:
        msg = f"{mask_url(source)}: not a valid PostgreSQL URL (postgresql://USER@HOST/DB?table=NAME)"
        raise error(msg) from err
    if url.password == "***" and _UNTRUSTED[0]:  # a manifest's masked password: never sent
        url = url._replace(password=None)  # URL.set ignores None
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    params = {k: url.query.get(k) for k in _CIRCLE_PARAMS}
    params = {k: v if isinstance(v, str) or v is None else v[-1] for k, v in params.items()}
    base = url.difference_update_query(_CIRCLE_PARAMS)
    label = mask_url(source)
    if params["query"]:  # the URL-encoded SQL would be unreadable
        sql = " ".join(params["query"].split())
        label = mask_url(source.split("?", 1)[0])
        label += f" (query: {sql[:60]}{'…' if len(sql) > 60 else ''})"
    pw = [url.password or "", str(base.query.get("password") or "")]
    secrets = tuple(s for p in pw if p for s in {p, urllib.parse.quote(p, safe="")})
    return _Source(
        base, label, secrets, params["table"], params["schema"], params["query"], params["geometry"]
    )


def _scrub(text: str, src: _Source) -> str:
    for secret in src.secrets:
        text = text.replace(secret, "***")
    return text


def _driver_message(err: BaseException, src: _Source) -> str:
    while getattr(err, "orig", None) is None and err.__cause__ is not None:
        err = err.__cause__  # pandas wraps SQLAlchemy's error, which wraps the driver's
    orig = getattr(err, "orig", None) or err
    lines = [ln.strip() for ln in str(orig).strip().splitlines() if ln.strip()]
    text = lines[0] if lines else type(orig).__name__
    text = re.sub(r"^connection failed: ", "", text)
    text = re.sub(r"\s+", " ", text)
    return _scrub(text, src)


#: set while circle reads sources it did not get from the user (a manifest's): credentials from
#: the environment then go only to the host they are for. Process-wide, not a context variable:
#: layers may be read in worker threads.
_UNTRUSTED = [False]
#: environment variables that carry credentials meant for PGHOST:PGPORT
_CREDENTIAL_ENV = ("PGPASSWORD", "PGSERVICE")
_READ_ONLY = "-c default_transaction_read_only=on"


@contextlib.contextmanager
def untrusted_sources() -> Iterator[None]:
    """Within the block, database sources are untrusted (they come from a manifest): PGPASSWORD
    and PGSERVICE reach a server only when it is PGHOST:PGPORT; ~/.pgpass matches hosts itself."""
    before = _UNTRUSTED[0]
    _UNTRUSTED[0] = True
    try:
        yield
    finally:
        _UNTRUSTED[0] = before


def _same_host(src: _Source) -> bool:
    host, port = src.url.host or "", src.url.port or 5432
    env_host = os.environ.get("PGHOST") or "localhost"
    try:
        env_port = int(os.environ.get("PGPORT") or 5432)
    except ValueError:
        return False
    local = ("localhost", "127.0.0.1", "::1", "")
    same_host = host == env_host or (host in local and env_host in (*local, "/tmp"))
    return not host or (same_host and port == env_port)


@contextlib.contextmanager
def _own_credentials(src: _Source) -> Iterator[None]:
    hidden: dict[str, str] = {}
    if _UNTRUSTED[0] and not _same_host(src):
        hidden = {k: os.environ.pop(k) for k in _CREDENTIAL_ENV if k in os.environ}
    try:
        yield
    finally:
        os.environ.update(hidden)


@contextlib.contextmanager
def _connect(
    src: _Source, error: type[Exception], *, begin: bool = False, read_only: bool = False
) -> Iterator[Any]:
    """A connection (inside one transaction when `begin` or `read_only`); failures to connect
    become `error`. A `read_only` connection sets ``default_transaction_read_only`` and runs in
    one read-only transaction that is rolled back."""
    sa = _sqlalchemy()
    args: dict[str, str] = {}
    if "application_name" not in src.url.query:
        args["application_name"] = "circle"
    if read_only:
        given = src.url.query.get("options")
        args["options"] = f"{given} {_READ_ONLY}" if isinstance(given, str) else _READ_ONLY
    try:
        engine = sa.create_engine(src.url, poolclass=sa.pool.NullPool, connect_args=args)
    except ImportError as err:
        msg = f"{src.label}: the database driver is missing: {_DB_EXTRA} ({err.name})"
        raise MissingDependencyError(msg) from err
    try:
        try:
            with _own_credentials(src):
                con = engine.connect()
        except sa.exc.DBAPIError as err:
            raise error(_connect_message(err, src)) from err
        with con:
            if not (begin or read_only):
                yield con
                return
            tx = con.begin()
            if read_only:
                con.exec_driver_sql("SET TRANSACTION READ ONLY")
            try:
                yield con
            except BaseException:
                tx.rollback()
                raise
            if read_only:
                tx.rollback()
                return
            try:
                tx.commit()
            except sa.exc.DBAPIError as err:
                msg = f"{src.label}: the transaction failed ({_driver_message(err, src)})"
                raise error(msg) from err
    finally:
        engine.dispose()


def _connect_message(err: BaseException, src: _Source) -> str:
    text = _driver_message(err, src)
    hint = ""
    if "authentication" in text or "password" in text:
        hint = "; check the user and password (in the URL, PGPASSWORD, ~/.pgpass or a service file)"
    if _UNTRUSTED[0]:
        hint = (
                "; a manifest's database gets only your own credentials for its host: an entry "
                "in ~/.pgpass, or PGPASSWORD with PGHOST and PGPORT set to that host"
            )
    return f"{src.label}: cannot connect ({text}){hint}"


def _quote(con, *names: str) -> str:
    return ".".join(con.dialect.identifier_preparer.quote(n) for n in names)


def _select_sql(src: _Source) -> str:
    """The query, checked to be ONE statement starting with SELECT, WITH, VALUES or TABLE."""
    if not src.query:
        return ""
    sql = src.query.strip()
    body = _strip_sql(sql).strip()
    while body.endswith(";"):
        body = body[:-1].rstrip()
    if ";" in body:
        msg = (
            f"{src.label}: the query holds more than one statement; give one SELECT (it runs "
            "read-only)"
        )
        raise InputDataError(msg)
    words = body.lstrip("( \t\r\n").split(None, 1)
    first = words[0].upper() if words else ""
    if first not in ("SELECT", "WITH", "VALUES", "TABLE"):
        msg = f"{src.label}: the query must be one SELECT statement (it starts with {first!r})"
        raise InputDataError(msg)
    sql = sql.rstrip().rstrip(";").rstrip()
    while sql.endswith(";"):
        sql = sql[:-1].rstrip()
    # through SQLAlchemy's exec_driver_sql (and pandas), psycopg reads % as a placeholder
    return sql.replace("%", "%%")


_SQL_TOKEN = re.compile(
    r"""--[^\n]*|/\*.*?\*/|(?i:E)'(?:[^'\\]|\\.|'')*'|'(?:[^']|'')*'|"(?:[^"]|"")*"|"""
    r"""(\$\w*\$).*?\1""",
    re.DOTALL,
)


def _strip_sql(sql: str) -> str:
    """The SQL with comments, string literals and quoted names blanked out (where a ';' is
    harmless); an unterminated literal or comment blanks the rest."""
    out = _SQL_TOKEN.sub(" ", sql)
    for opener in ("'", '"', "/*"):
        if opener in out:
            out = out[: out.index(opener)] + " "
    return out


def _locate_table(con, src: _Source, table: str, kind: str) -> tuple[str, str, str, int]:
    """Schema, table, geometry column and declared SRID of `table` (``src.table``)."""
    sa = _sqlalchemy()
    schema = src.schema
    if schema is None and "." in table and not table.startswith('"'):
        schema, table = table.split(".", 1)
    qualified = _quote(con, schema, table) if schema else _quote(con, table)
    found = con.execute(
        sa.text(
            "SELECT n.nspname, c.relname FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass(:name)"
        ),
        {"name": qualified},
    ).first()
    if found is None:
        layers = con.execute(
            sa.text(
                "SELECT DISTINCT f_table_schema || '.' || f_table_name FROM geometry_columns "
                "WHERE f_table_schema NOT IN ('pg_catalog', 'information_schema') "
                "ORDER BY 1 LIMIT 10"
            )
        ).scalars().all()
        have = f"tables with geometry: {', '.join(layers)}" if layers else "no table has geometry"
        msg = f"{src.label}: no table or view {qualified!r} for the {kind} ({have})"
        raise InputDataError(msg)
    schema, table = found
    columns = con.execute(
        sa.text(
            "SELECT f_geometry_column, srid FROM geometry_columns "
            "WHERE f_table_schema = :s AND f_table_name = :t ORDER BY f_geometry_column"
        ),
        {"s": schema, "t": table},
    ).all()
    if src.geometry is not None:
        columns = [c for c in columns if c[0] == src.geometry]
        if not columns:
            msg = f"{src.label}: {schema}.{table} has no geometry column {src.geometry!r}"
            raise InputDataError(msg)
    if not columns:
        msg = (
            f"{src.label}: {schema}.{table} has no geometry column (a layer needs a PostGIS "
            "geometry column of points or polygons, a network one of lines)"
        )
        raise InputDataError(msg)
    if len(columns) > 1:
        names = ", ".join(c[0] for c in columns)
        msg = (
            f"{src.label}: {schema}.{table} has several geometry columns ({names}); "
            "add &geometry=NAME"
        )
        raise InputDataError(msg)
    return schema, table, columns[0][0], int(columns[0][1] or 0)


def _query_geometry_column(con, src: _Source, sql: str, kind: str) -> str:
    oid = con.exec_driver_sql("SELECT 'geometry'::regtype::oid").scalar()
    result = con.exec_driver_sql(f"SELECT * FROM ({sql}) AS q LIMIT 0")
    names = [d.name for d in result.cursor.description if d.type_code == oid]
    result.close()
    if src.geometry is not None:
        names = [n for n in names if n == src.geometry]
    if len(names) != 1:
        found = f"it returns {', '.join(names)}" if names else "it returns none"
        msg = f"{src.label}: the {kind} query must return one geometry column ({found})"
        if len(names) > 1:
            msg += "; add &geometry=NAME"
        raise InputDataError(msg)
    return names[0]


def _crs_of(con, src: _Source, sql: str, geom: str, srid: int, crs: str | None) -> Any:
    if srid == 0:  # an unconstrained column: look at the rows
        g = _quote(con, geom)
        srids = con.exec_driver_sql(
            f"SELECT DISTINCT ST_SRID({g}) FROM ({sql}) AS q WHERE {g} IS NOT NULL LIMIT 3"
        ).scalars().all()
        if len(srids) > 1:
            msg = f"{src.label}: geometries with mixed SRIDs {sorted(srids)}; use one per layer"
            raise InputDataError(msg)
        srid = int(srids[0]) if srids else 0
    if srid == 0:
        if crs is not None:
            return crs
        msg = (
            f"{src.label}: the geometry column {geom!r} has SRID 0 (no CRS); set it in the "
            f"database (SELECT UpdateGeometrySRID(...)) or give --layer-crs EPSG:XXXX"
        )
        raise InputDataError(msg)
    row = con.exec_driver_sql(
        f"SELECT auth_name, auth_srid, srtext FROM spatial_ref_sys WHERE srid = {int(srid)}"
    ).first()
    if row is None:
        msg = f"{src.label}: SRID {srid} is not in the database's spatial_ref_sys"
        raise InputDataError(msg)
    auth, code, wkt = row
    return f"{auth}:{code}" if auth and code else pyproj.CRS.from_wkt(wkt)


def _read_geo(
    source: str, *, kind: str, crs: str | None = None, order_by: str | None = None
) -> tuple[gpd.GeoDataFrame, _Source]:
    """The rows of a table or query, with the geometry column and CRS from PostGIS."""
    sa = _sqlalchemy()
    src = _parse(source, InputDataError)
    if not (src.table or src.query) or (src.table and src.query):
        msg = f"{src.label}: give one of table=NAME or query=SELECT… for the {kind}"
        raise InputDataError(msg)
    sql = _select_sql(src)  # checked before connecting
    with _connect(src, InputDataError, read_only=True) as con:
        try:
            if src.table:
                schema, table, geom, srid = _locate_table(con, src, src.table, kind)
                sql = f"SELECT * FROM {_quote(con, schema, table)}"
                cols = con.execute(
                    sa.text(
                        "SELECT column_name FROM information_schema.columns "
                        "WHERE table_schema = :s AND table_name = :t"
                    ),
                    {"s": schema, "t": table},
                ).scalars().all()
                # a stable row order, so "row N" means something
                if order_by is not None and order_by in cols:
                    sql += f" ORDER BY {_quote(con, order_by)}"
            else:
                geom, srid = _query_geometry_column(con, src, sql, kind), 0
            gdf_crs = _crs_of(con, src, sql, geom, srid, crs)
            gdf = gpd.read_postgis(sql, con, geom_col=geom, crs=gdf_crs)
        except (sa.exc.DBAPIError, pd.errors.DatabaseError) as err:
            msg = f"{src.label}: reading the {kind} failed ({_driver_message(err, src)})"
            raise InputDataError(msg) from err
    if geom != "geometry":
        if "geometry" in gdf.columns:
            gdf = gdf.drop(columns="geometry")
        gdf = gdf.rename_geometry("geometry")
    logger.info("read %d rows of %s from %s", len(gdf), kind, src.label)
    return gdf, src


def read_db_layer(
    source: str, *, columns: LayerColumns | None = None, crs: str | None = None
) -> gpd.GeoDataFrame:
    """Read a centres, communities or candidates layer from a PostGIS table, view or query.

    The geometry column and the CRS come from PostGIS: ``geometry_columns`` and
    ``spatial_ref_sys`` (for a query or an unconstrained column, the SRID of the rows).
    Credentials come from the URL, a service file (``?service=NAME``) or the standard PG*
    environment variables and ``~/.pgpass`` (libpq); messages never show the password.

    Parameters
    ----------
    source
        ``postgresql://USER@HOST/DB?table=NAME`` (or ``schema.name``, or ``&schema=S``), or
        ``...?query=SELECT…`` (URL-encoded; `db_source` builds it). ``&geometry=COL`` picks one
        of several geometry columns.
    columns
        Which columns hold the id, name, type and population.
    crs
        CRS of a geometry column with SRID 0 (otherwise SRID 0 is refused).

    Returns
    -------
    layer
        As `circle.io.files.read_layer`; a table's rows are ordered by its id column.
    """
    columns = columns or LayerColumns()
    gdf, src = _read_geo(source, kind="layer", crs=crs, order_by=columns.id)
    gdf = rename_columns(gdf, columns, src.label)
    gdf.attrs["source"] = src.label
    gdf.attrs["row_label"] = "row"
    return gdf


def read_street_lines(source: str) -> tuple[gpd.GeoDataFrame, str, np.ndarray]:
    """Read a PostGIS table (or query) of street centre-lines and check its rows.

    Columns: ``geometry`` (any name; LineString or MultiLineString), optional ``walkable``
    (boolean: rows with false are not walkable, NULL counts as walkable) and optional ``oneway``
    (read but ignored: walking is two-way).

    Parameters
    ----------
    source
        ``postgresql://USER@HOST/DB?table=roads`` or ``...?query=SELECT…``.

    Returns
    -------
    edges, label, walkable
        The rows as read (ordered by ``id``), the source's masked label, and a boolean mask of
        the walkable rows.
    """
    edges, src = _read_geo(source, kind="network edges", order_by="id")
    geom = edges.geometry.values
    problems = []
    missing = shapely.is_missing(geom) | shapely.is_empty(geom)
    wrong = ~missing & ~np.isin(shapely.get_type_id(geom), [1, 5])
    for mask, what in ((missing, "empty or missing geometry"), (wrong, "not a (multi)line")):
        if mask.any():
            problems.append(f"{what} in {_rows(edges, mask)}")
    walkable = np.ones(len(edges), bool)
    if "walkable" in edges.columns:
        flags = edges["walkable"]
        bad = ~flags.map(lambda x: x is None or isinstance(x, (bool, np.bool_))).to_numpy()
        if bad.any():
            problems.append(f"'walkable' must be true, false or NULL; {_rows(edges, bad)}")
        walkable = ~flags.map(lambda x: x is False or x is np.False_).to_numpy(bool)
    if problems:
        msg = f"{src.label}: " + "; ".join(problems)
        raise InputDataError(msg)
    if "oneway" in edges.columns:
        logger.info("network: the 'oneway' column is ignored; walking is two-way")
    return edges, src.label, walkable


def _rows(frame: pd.DataFrame, mask: np.ndarray) -> str:
    if "id" in frame.columns:
        ids = frame.loc[mask, "id"].astype(str).tolist()
        return f"id {', '.join(ids[:5])}{' and more' if len(ids) > 5 else ''}"
    rows = (np.flatnonzero(mask) + 1).tolist()
    return f"row {', '.join(map(str, rows[:5]))}{' and more' if len(rows) > 5 else ''}"


def write_db_tables(
    url: str, tables: Mapping[str, pd.DataFrame], *, if_exists: str = "fail"
) -> list[str]:
    """Write several tables to PostGIS in ONE transaction: all of them, or none.

    A failure (or a killed process) anywhere leaves every earlier table as it was. A
    GeoDataFrame becomes a PostGIS table with its CRS as SRID and a GiST spatial index; a
    DataFrame a plain table, where dict or list values become ``jsonb``.

    Parameters
    ----------
    url
        ``postgresql://USER@HOST/DB?schema=NAME`` (schema created if missing; default public).
    tables
        ``{table name: GeoDataFrame or DataFrame}``, written in this order.
    if_exists
        {"fail", "replace", "append"} When a table exists already: refuse (naming it), drop
        and re-create it, or add the rows.

    Returns
    -------
    list of str
        The qualified names written (``schema.table``).
    """
    if if_exists not in IF_EXISTS:
        msg = f"`if_exists` must be one of {list(IF_EXISTS)}, got {if_exists!r}"
        raise ConfigError(msg)
    sa = _sqlalchemy()
    from sqlalchemy.dialects.postgresql import JSONB

    src = _parse(url, OutputError)
    schema = src.schema or "public"
    written = []
    with _connect(src, OutputError, begin=True) as con:
        name = ""
        try:
            if con.execute(
                sa.text("SELECT 1 FROM pg_namespace WHERE nspname = :s"), {"s": schema}
            ).first() is None:
                con.exec_driver_sql(f"CREATE SCHEMA {_quote(con, schema)}")
            inspector = sa.inspect(con)
            existing = [n for n in tables if inspector.has_table(n, schema=schema)]
            if existing and if_exists == "fail":
                names = ", ".join(f"{schema}.{n}" for n in existing)
                verb = "exists" if len(existing) == 1 else "exist"
                msg = f"{src.label}: {names} already {verb}; pass --if-exists replace (or append)"
                raise OutputError(msg)
            for name, frame in tables.items():
                if isinstance(frame, gpd.GeoDataFrame):
                    frame.to_postgis(name, con, schema=schema, if_exists=if_exists, index=False)
                    geom = frame.geometry.name
                    con.exec_driver_sql(  # GeoAlchemy2 creates it with new tables; not on append
                        f"CREATE INDEX IF NOT EXISTS {_quote(con, f'idx_{name}_{geom}')} ON "
                        f"{_quote(con, schema, name)} USING gist ({_quote(con, geom)})"
                    )
                else:
                    jsonb = {
                        c: JSONB for c in frame.columns
                        if frame[c].map(lambda v: isinstance(v, (dict, list))).any()
                    }
                    frame.to_sql(
                        name, con, schema=schema, if_exists=if_exists, index=False, dtype=jsonb
                    )
                written.append(f"{schema}.{name}")
        except (sa.exc.DBAPIError, pd.errors.DatabaseError, ValueError) as err:
            text = _driver_message(err, src)
            where = f"writing {schema}.{name}" if name else f"preparing schema {schema}"
            msg = f"{src.label}: {where} failed ({text}); nothing was written"
            raise OutputError(msg) from err
    logger.info("wrote %s to %s", ", ".join(written), src.label)
    return written

