"""The ``semantik`` command: run the services and administer an installation.

Users commands work directly on webui's SQLite database (settings.database_path) through the same
code the API uses; they need neither webui nor vecpipe running. Collections, index and search also
use webui's code directly on the database and talk to vecpipe over HTTP (SEMANTIK_VECPIPE_URL);
``index NAME`` without --wait queues a job for the running webui, with --wait runs it here.
Configuration comes from the same SEMANTIK_* environment / env file as the services.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import tempfile
from collections.abc import Callable

from pydantic import ValidationError

EXIT_OK, EXIT_FAILED, EXIT_CONFIG = 0, 1, 2


def _settings():  # type: ignore[no-untyped-def]
    from semantik.shared.settings import Settings

    return Settings()


@contextlib.contextmanager
def _database(settings):  # type: ignore[no-untyped-def]
    """webui's database, migrated to the current schema, closed afterwards."""
    from semantik.webui.db import open_database

    conn = open_database(settings.database_path)
    try:
        yield conn
    finally:
        conn.close()


def _read_password(args: argparse.Namespace) -> str:
    if not args.password_stdin:
        raise SystemExit(
            "error: give the password on standard input with --password-stdin "
            "(it is never taken from the command line, where other users could see it)"
        )
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise SystemExit("error: no password on standard input")
    return password


# --- serve ---------------------------------------------------------------------------------------

_SD_LISTEN_FDS_START = 3


def _inherited_socket() -> int | None:
    """The listening socket systemd passed (socket activation), if it passed one to this process.

    Under semantik-*.socket, systemd owns the listening socket: it stays open while the service
    restarts, so connections wait in its backlog instead of being refused. Without systemd
    (``semantik serve`` by hand, containers) nothing is passed and the service binds itself.
    """
    if os.environ.get("LISTEN_PID") != str(os.getpid()):
        return None
    if int(os.environ.get("LISTEN_FDS", "0") or 0) < 1:
        return None
    return _SD_LISTEN_FDS_START


def cmd_serve(args: argparse.Namespace) -> int:
    settings = _settings()
    if args.service == "vecpipe":
        from semantik.vecpipe.app import SingleProcessError, check_process_model

        try:
            check_process_model(settings)
        except SingleProcessError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_CONFIG
        from semantik.shared.embedding import model_source_problem

        problem = model_source_problem(settings)
        if problem:
            print(f"error: {problem}", file=sys.stderr)
            return EXIT_CONFIG
        host, port = settings.vecpipe_host, settings.vecpipe_port
    else:
        from semantik.webui.app import ConfigurationError, check_settings

        try:
            check_settings(settings)
        except ConfigurationError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_CONFIG
        host, port = settings.webui_host, settings.webui_port
    factory = f"semantik.{args.service}.app:create_app"
    inherited = _inherited_socket()
    if settings.workers == 1:
        import uvicorn

        from semantik.shared.server import Server, protocol_options

        if inherited is not None:
            # Children (vecpipe's store process) must not keep the listening socket open.
            os.set_inheritable(inherited, False)
            for name in ("LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"):
                os.environ.pop(name, None)
        # log_config=None: the app's own logging setup (plain or JSON, secrets masked) applies.
        config = uvicorn.Config(
            factory, factory=True, host=host, port=port, fd=inherited, log_config=None,
            proxy_headers=True, forwarded_allow_ips=settings.forwarded_allow_ips,
            timeout_graceful_shutdown=10, **protocol_options(settings),
        )
        server = Server(config)
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C: uvicorn has shut down already
            server.run()
        # uvicorn.run's exit status when the app failed to start (3): systemd sees the failure.
        return EXIT_OK if server.started else 3
    # gunicorn gets systemd's socket as --bind fd://3 only: left in LISTEN_FDS too (execv keeps
    # this pid) it would open it twice, and the second open fails (EBADF: the first closed it).
    bind = f"fd://{inherited}" if inherited is not None else f"{host}:{port}"
    for name in ("LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"):
        os.environ.pop(name, None)
    argv = [
        sys.executable, "-m", "gunicorn", f"{factory}()",
        "--worker-class", "semantik.shared.server.Worker",
        "--workers", str(settings.workers), "--bind", bind,
        "--graceful-timeout", "10", "--timeout", "120",
        # Keep-alive as long as single-process uvicorn's (5 s), above nginx's upstream 4 s.
        "--keep-alive", "5",
        "--forwarded-allow-ips", settings.forwarded_allow_ips,
        # Its control socket defaults to ~/.gunicorn: service users have no home (ProtectHome).
        "--no-control-socket",
    ]
    # Replace this process so gunicorn is the service (signals from systemd reach it directly).
    os.execv(sys.executable, argv)  # noqa: S606
    return EXIT_OK  # pragma: no cover


# --- users ---------------------------------------------------------------------------------------

def cmd_users_create(args: argparse.Namespace) -> int:
    from semantik.webui import accounts
    from semantik.webui.errors import Conflict

    password = _read_password(args)
    with _database(_settings()) as conn:
        try:
            accounts.create_user(conn, args.name, password, is_admin=args.admin)
        except Conflict:
            # Ansible-friendly: an existing user is not an error; nothing about it is changed.
            print(f"exists: user {args.name!r} already exists; nothing changed")
            return EXIT_OK
    print(f"created: user {args.name!r}{' (admin)' if args.admin else ''}")
    return EXIT_OK


def cmd_users_list(args: argparse.Namespace) -> int:
    from semantik.webui import accounts

    with _database(_settings()) as conn:
        users = accounts.list_users(conn)
    if args.json:
        print(json.dumps([u.__dict__ for u in users], indent=2))
        return EXIT_OK
    print(f"{'USER':<24} {'ADMIN':<6} {'STATE':<9}")
    for user in users:
        state = "disabled" if user.disabled else "active"
        print(f"{user.username:<24} {'yes' if user.is_admin else 'no':<6} {state:<9}")
    return EXIT_OK


def _users_toggle(disabled: bool) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        from semantik.webui import accounts

        with _database(_settings()) as conn:
            accounts.set_disabled(conn, args.name, disabled)
        print(f"{'disabled' if disabled else 'enabled'}: user {args.name!r}")
        return EXIT_OK

    return run


def cmd_users_set_password(args: argparse.Namespace) -> int:
    from semantik.webui import accounts

    password = _read_password(args)
    with _database(_settings()) as conn:
        # A rerun of the same rotation: nothing to do, nobody signed out.
        if args.if_changed and accounts.password_matches(conn, args.name, password):
            print(f"unchanged: user {args.name!r} already has this password")
            return EXIT_OK
        accounts.set_password(conn, args.name, password)
    print(f"password set: user {args.name!r} (their sessions were signed out)")
    return EXIT_OK


# --- collections, index, search ------------------------------------------------------------------

async def _with_vecpipe(settings, fn):  # type: ignore[no-untyped-def]
    from semantik.webui.vecpipe_client import VecpipeClient

    client = VecpipeClient.from_settings(settings)
    try:
        return await fn(client)
    finally:
        await client.aclose()


def cmd_collections_create(args: argparse.Namespace) -> int:
    from semantik.webui import catalog
    from semantik.webui.collection_setup import create_collection

    settings = _settings()
    with _database(settings) as conn:
        collection = asyncio.run(
            _with_vecpipe(
                settings,
                lambda vecpipe: create_collection(
                    conn, vecpipe, settings, name=args.name, source=args.source,
                    model=args.model, description=args.description,
                ),
            )
        )
        print(
            f"created: collection {collection.name!r} over {collection.source or '.'!r} "
            f"(model {collection.model}, {collection.dimension} dims, "
            f"{collection.chunk_tokens}/{collection.chunk_overlap_tokens} chunk/overlap tokens)"
        )
        if args.index:
            job_id = catalog.create_job(conn, collection)
            print(f"queued: job {job_id} (webui runs it; follow with `semantik jobs`)")
    return EXIT_OK


def cmd_collections_list(args: argparse.Namespace) -> int:
    from semantik.webui import catalog

    with _database(_settings()) as conn:
        rows = [(c, catalog.collection_stats(conn, c.id)) for c in catalog.list_collections(conn)]
    if args.json:
        print(json.dumps([{**c.__dict__, **stats} for c, stats in rows], indent=2))
        return EXIT_OK
    print(f"{'COLLECTION':<20} {'FILES':>6} {'CHUNKS':>7} {'ERRORS':>6}  MODEL / SOURCE")
    for c, stats in rows:
        print(
            f"{c.name:<20} {stats['files']:>6} {stats['chunks']:>7} {stats['errors']:>6}  "
            f"{c.model} / {c.source or '.'}"
        )
    return EXIT_OK


def _job_line(job) -> str:  # type: ignore[no-untyped-def]
    return (
        f"job {job['id']} {job['status']}: {job['files_done']}/{job['files_total']} files, "
        f"added {job['added']}, updated {job['updated']}, skipped {job['skipped']}, "
        f"removed {job['removed']}, failed {job['failed']}, unsupported {job['unsupported']}, "
        f"{job['chunks']} chunks" + (f" — {job['error']}" if job["error"] else "")
    )


def cmd_index(args: argparse.Namespace) -> int:
    from semantik.webui import catalog
    from semantik.webui.indexer import Indexer

    settings = _settings()
    with _database(settings) as conn:
        collection = catalog.get_collection(conn, args.name)
        if not args.wait:
            job_id = catalog.create_job(conn, collection)
            print(f"queued: job {job_id} for {args.name!r}; the running webui picks it up")
            return EXIT_OK
        job_id = catalog.create_job(conn, collection, claim=True)
    print(f"running: job {job_id} for {args.name!r} in this process", file=sys.stderr)

    async def run(vecpipe):  # type: ignore[no-untyped-def]
        indexer = Indexer(settings, vecpipe)
        try:
            return await indexer.run(job_id)
        finally:
            indexer.close()

    job = asyncio.run(_with_vecpipe(settings, run))
    print(_job_line(job))
    return EXIT_OK if job["status"] == "succeeded" else EXIT_FAILED


def cmd_jobs(args: argparse.Namespace) -> int:
    from semantik.webui import catalog

    with _database(_settings()) as conn:
        for job in catalog.list_jobs(conn, args.collection, args.limit):
            print(f"{job['collection']}: {_job_line(job)}")
    return EXIT_OK


def cmd_search(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from semantik.webui import searching

    def asdict_public(result: searching.DocumentResult) -> dict:
        out = result.public()
        out["passage"] = asdict(result.passage) if result.passage else None
        out["more_passages"] = [asdict(p) for p in result.more_passages]
        return out

    settings = _settings()
    with _database(settings) as conn:
        page = asyncio.run(
            _with_vecpipe(
                settings,
                lambda vecpipe: searching.search(
                    conn, vecpipe, settings, args.name, args.query, k=args.k, mode=args.mode,
                ),
            )
        )
    if args.json:
        print(json.dumps(
            {
                "query": args.query, "model": page.model, "total": page.total,
                "no_good_match": page.no_good_match,
                "results": [asdict_public(r) for r in page.results],
                "hits": [  # the lead chunk of each document, as before results were grouped
                    {
                        "collection": r.collection, "path": r.path, "score": r.score,
                        "chunk_index": r.passage.chunk_index, "start": r.passage.start,
                        "end": r.passage.end, "snippet": r.passage.snippet.text,
                        "highlights": r.passage.snippet.highlights,
                    }
                    for r in page.results
                    if r.passage is not None
                ],
            },
            indent=2, ensure_ascii=False,
        ))
        return EXIT_OK
    if page.no_good_match:
        print("no good match")
    for rank, result in enumerate(page.results, start=1):
        passage = result.passage
        assert passage is not None  # every result on the page has one
        text, marked, last = passage.snippet.text, [], 0
        for start, end in passage.snippet.highlights:
            marked.append(text[last:start] + "[" + text[start:end] + "]")
            last = end
        snippet = ("".join(marked) + text[last:]).replace("\n", " ")
        more = f", {len(result.more_passages)} more passages" if result.more_passages else ""
        print(f"{rank}. {result.strength:6}  {result.collection}:{result.path}  {result.title}")
        print(f"   matched on {result.matched}{more}: {snippet}")
    return EXIT_OK


# --- check ---------------------------------------------------------------------------------------

def cmd_check(args: argparse.Namespace) -> int:
    import httpx

    settings = _settings()
    results: list[tuple[bool, str]] = []

    def record(ok: bool, what: str) -> None:
        results.append((ok, what))
        print(f"{'ok  ' if ok else 'FAIL'}  {what}")

    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=settings.data_dir, prefix=".check-"):
            pass
        record(True, f"data dir writable: {settings.data_dir}")
    except OSError as exc:
        record(False, f"data dir not writable: {settings.data_dir} ({exc.strerror or exc})")
    root = settings.documents_root
    try:
        entries = len(os.listdir(root))
        record(True, f"documents root readable: {root} ({entries} entries)")
    except OSError as exc:
        record(False, f"documents root not readable: {root} ({exc.strerror or exc})")
    if settings.jwt_secret is None:
        record(False, "SEMANTIK_JWT_SECRET is not set (webui will not start)")
    else:
        record(True, "jwt secret set")
    try:
        from semantik.webui.db import schema_version

        with _database(settings) as conn:
            version = schema_version(conn)
            users = conn.execute("SELECT COUNT(*) FROM users").fetchone()[0]
        record(True, f"database ok: {settings.database_path} (schema {version}, {users} users)")
    except Exception as exc:
        record(False, f"database unusable: {settings.database_path} ({exc})")
    if not args.skip_vecpipe:
        url = settings.vecpipe_url.rstrip("/") + "/readyz"
        try:
            response = httpx.get(url, timeout=5)
            ok = response.status_code == 200
            state = "ready" if ok else "not ready"
            record(ok, f"vecpipe {state}: {url} (HTTP {response.status_code})")
        except httpx.HTTPError as exc:
            record(False, f"vecpipe unreachable: {url} ({type(exc).__name__})")
    failed = [what for ok, what in results if not ok]
    if failed:
        print(f"{len(failed)} check(s) failed", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


# --- parser --------------------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="semantik", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    from semantik.shared.release import current_release

    release = current_release()
    parser.add_argument(
        "--version", action="version",
        version=f"semantik {release.version} (release {release.name})",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser(
        "serve", help="run vecpipe or webui (uvicorn; gunicorn when SEMANTIK_WORKERS > 1)"
    )
    serve.add_argument("service", choices=["vecpipe", "webui"])
    serve.set_defaults(func=cmd_serve)

    users = sub.add_parser(
        "users", help="manage users (directly on the database; webui need not run)"
    ).add_subparsers(dest="action", required=True, metavar="ACTION")
    create = users.add_parser(
        "create", help="create a user; exits 0 with 'exists: ...' when it already exists"
    )
    create.add_argument("name")
    create.add_argument("--admin", action="store_true", help="give administrator rights")
    create.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin"
    )
    create.add_argument(
        "--if-missing", action="store_true",
        help="accepted for clarity in scripts: an existing user is never an error",
    )
    create.set_defaults(func=cmd_users_create)
    listing = users.add_parser("list", help="list users")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=cmd_users_list)
    for name, disabled in (("disable", True), ("enable", False)):
        toggle = users.add_parser(name, help=f"{name} a user (disable also signs them out)")
        toggle.add_argument("name")
        toggle.set_defaults(func=_users_toggle(disabled))
    password = users.add_parser("set-password", help="set a user's password (from stdin)")
    password.add_argument("name")
    password.add_argument("--password-stdin", action="store_true")
    password.add_argument(
        "--if-changed", action="store_true",
        help="do nothing (and sign nobody out) when the user already has this password",
    )
    password.set_defaults(func=cmd_users_set_password)

    collections = sub.add_parser(
        "collections",
        help="create/list collections (on the database; create asks vecpipe for the model)",
    ).add_subparsers(dest="action", required=True, metavar="ACTION")
    ccreate = collections.add_parser("create", help="create a collection over a source directory")
    ccreate.add_argument("name")
    ccreate.add_argument(
        "--source", required=True, help="directory relative to the documents root (or inside it)"
    )
    ccreate.add_argument("--model", help="default: the model vecpipe serves")
    ccreate.add_argument("--description", default="")
    ccreate.add_argument(
        "--index", action="store_true", help="queue a first indexing job for the running webui"
    )
    ccreate.set_defaults(func=cmd_collections_create)
    clist = collections.add_parser("list", help="list collections with file and chunk counts")
    clist.add_argument("--json", action="store_true")
    clist.set_defaults(func=cmd_collections_list)

    index = sub.add_parser(
        "index",
        help="index a collection incrementally: --wait runs the job here (webui not needed), "
        "otherwise it is queued for the running webui",
    )
    index.add_argument("name")
    index.add_argument("--wait", action="store_true", help="run headless and wait for the result")
    index.set_defaults(func=cmd_index)

    jobs = sub.add_parser("jobs", help="list recent indexing jobs")
    jobs.add_argument("--collection")
    jobs.add_argument("--limit", type=int, default=10)
    jobs.set_defaults(func=cmd_jobs)

    search = sub.add_parser(
        "search", help="search a collection (on the database + vecpipe over HTTP)"
    )
    search.add_argument("name", help="collection (comma-separated for several)")
    search.add_argument("query")
    search.add_argument(
        "--k", type=int, default=5, choices=range(1, 51), metavar="K", help="documents (1-50)"
    )
    search.add_argument("--mode", choices=["hybrid", "dense", "keyword"])
    search.add_argument("--json", action="store_true")
    search.set_defaults(func=cmd_search)

    check = sub.add_parser(
        "check", help="check configuration and connectivity; non-zero exit on any failure"
    )
    check.add_argument("--skip-vecpipe", action="store_true", help="do not contact vecpipe")
    check.set_defaults(func=cmd_check)

    from semantik.backup.cli import add_backup_commands

    add_backup_commands(sub)  # backup, restore, restore-drill
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "name", None) and args.command == "search":
        args.name = [n for n in args.name.split(",") if n]
    from semantik.shared.settings import SecretsError
    from semantik.webui.errors import SemantikError

    try:
        return args.func(args)
    except ValidationError as exc:
        print(f"error: invalid configuration:\n{exc}", file=sys.stderr)
        return EXIT_CONFIG
    except SecretsError as exc:
        print(f"error: invalid configuration: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except SemantikError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
