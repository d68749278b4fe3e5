"""Key rings: a secret that holds several keys, so a key can be rotated without an outage.

A key ring is text with one key a line, the current key first::

    20261130T142500Z-3f2a <secret>      # current: signs tokens / is sent
    20261001T080000Z-91bc <secret>      # previous: still accepted until dropped

Each line is ``<key id> <secret>``, or only ``<secret>`` (a single-key file from before key
rotation: its id is derived from a hash of the secret, so existing installs keep working and the
old key becomes the first entry of the ring). Key ids are public (they travel in JWT headers);
ids written by :func:`add` start with their creation time (UTC), which is how the rotation
decides what is old. Blank lines and ``#`` comments are skipped.

Which key is which (the order is the only state):
- the first line is *current*: webui signs with it, webui sends it to vecpipe;
- a later line created *after* the current one is *staged*: accepted, not yet used (the internal
  key is staged on vecpipe before webui switches to it);
- a later line created before the current one is *retired*: accepted until the rotation drops it,
  once the key that replaced it is older than the window (the longest token lifetime).

``python -m semantik.shared.keyring FILE ACTION`` edits a key-ring file in place (the rotation
playbook runs it on the host that keeps the secrets) and prints JSON with key ids, never secrets.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import secrets
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

_ID_TIME_FORMAT = "%Y%m%dT%H%M%SZ"
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Key:
    kid: str
    secret: str

    @property
    def created(self) -> dt.datetime:
        """Creation time from the id; a key without one (legacy) counts as infinitely old."""
        try:
            return dt.datetime.strptime(self.kid.split("-", 1)[0], _ID_TIME_FORMAT).replace(
                tzinfo=dt.UTC
            )
        except ValueError:
            return _EPOCH


class KeyringError(ValueError):
    """A key ring that cannot be used; the message never contains a secret."""


def derived_kid(secret: str) -> str:
    # A hash prefix of a high-entropy secret identifies it without revealing it.
    return "k" + hashlib.sha256(secret.encode()).hexdigest()[:12]


def parse(text: str) -> list[Key]:
    keys: list[Key] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        fields = line.split()
        if len(fields) == 1:
            keys.append(Key(derived_kid(fields[0]), fields[0]))
        elif len(fields) == 2:
            keys.append(Key(fields[0], fields[1]))
        else:
            raise KeyringError(f"line {number}: expected '<key id> <secret>' or '<secret>'")
    if len({key.kid for key in keys}) != len(keys):
        raise KeyringError("two keys have the same key id")
    return keys


def render(keys: list[Key]) -> str:
    return "".join(f"{key.kid} {key.secret}\n" for key in keys)


def new_key(now: dt.datetime) -> Key:
    kid = f"{now.astimezone(dt.UTC).strftime(_ID_TIME_FORMAT)}-{secrets.token_hex(2)}"
    return Key(kid, secrets.token_urlsafe(48))


def staged(keys: list[Key]) -> Key | None:
    """The newest key created after the current one, if any."""
    later = [key for key in keys[1:] if key.created > keys[0].created]
    return max(later, key=lambda key: key.created) if later else None


def add(
    keys: list[Key], *, as_current: bool, min_age: dt.timedelta, force: bool, now: dt.datetime
) -> tuple[list[Key], Key | None]:
    """A new key, current or staged, unless the current key is younger than min_age (a rerun of
    the same rotation) or a staged key is already waiting; force adds one anyway."""
    if not keys:
        key = new_key(now)
        return [key], key
    pending = staged(keys)
    if not force and (pending is not None or now - keys[0].created < min_age):
        return keys, None
    key = new_key(now)
    return ([key, *keys] if as_current else [keys[0], key, *keys[1:]]), key


def promote(keys: list[Key]) -> tuple[list[Key], Key | None]:
    """The staged key becomes current; the current one is retired (still accepted)."""
    pending = staged(keys)
    if pending is None:
        return keys, None
    return [pending, *[key for key in keys if key is not pending]], pending


def prune(
    keys: list[Key], *, window: dt.timedelta, now: dt.datetime
) -> tuple[list[Key], list[Key]]:
    """Drop the retired keys whose successor was created more than `window` ago: no token they
    signed is still valid. Staged keys stay."""
    if not keys:
        return keys, []
    current = keys[0]
    created = sorted({key.created for key in keys if key.created <= current.created})
    kept, dropped = [current], []
    for key in keys[1:]:
        if key.created > current.created:
            kept.append(key)
            continue
        successor = next((t for t in created if t > key.created), current.created)
        (dropped if now - successor >= window else kept).append(key)
    return kept, dropped


def _write(path: Path, keys: list[Key]) -> None:
    """Replace the file atomically, with the owner and mode it had (0600 for a new one)."""
    old = path.stat() if path.exists() else None
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(render(keys))
        os.chmod(tmp, old.st_mode & 0o777 if old else 0o600)
        if old is not None and os.geteuid() == 0:
            os.chown(tmp, old.st_uid, old.st_gid)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m semantik.shared.keyring",
        description="Edit a key-ring file in place; prints JSON with key ids, never secrets.",
    )
    parser.add_argument("file", type=Path)
    parser.add_argument(
        "action",
        choices=["show", "add-current", "add-staged", "promote", "prune"],
        help=(
            "add-current: a new signing key (JWT); add-staged: a new key accepted but not yet "
            "used (internal key, step 1); promote: the staged key becomes current (step 2); "
            "prune: drop retired keys older than --window-minutes (step 3 with 0)"
        ),
    )
    parser.add_argument(
        "--min-age-minutes", type=float, default=60.0,
        help="add-*: do nothing while the current key is younger than this (rerun = no change)",
    )
    parser.add_argument("--force", action="store_true", help="add-*: add a key regardless")
    parser.add_argument(
        "--window-minutes", type=float, default=0.0,
        help="prune: keep retired keys whose successor is younger than this",
    )
    args = parser.parse_args(argv)
    now = dt.datetime.now(dt.UTC)
    try:
        keys = parse(args.file.read_text()) if args.file.exists() else []
    except (KeyringError, OSError) as exc:
        print(f"error: {args.file}: {exc}", file=sys.stderr)
        return 2
    added: Key | None = None
    dropped: list[Key] = []
    before = list(keys)
    if args.action in ("add-current", "add-staged"):
        keys, added = add(
            keys, as_current=args.action == "add-current",
            min_age=dt.timedelta(minutes=args.min_age_minutes), force=args.force, now=now,
        )
    elif args.action == "promote":
        keys, added = promote(keys)
    elif args.action == "prune":
        keys, dropped = prune(keys, window=dt.timedelta(minutes=args.window_minutes), now=now)
    changed = keys != before
    if changed:
        _write(args.file, keys)
    pending = staged(keys) if keys else None
    print(json.dumps({
        "changed": changed,
        "current": keys[0].kid if keys else None,
        "staged": pending.kid if pending else None,
        "keys": [key.kid for key in keys],
        "before": [key.kid for key in before],
        "added": added.kid if added and args.action != "promote" else None,
        "promoted": added.kid if added and args.action == "promote" else None,
        "dropped": [key.kid for key in dropped],
        "current_age_s": int((now - keys[0].created).total_seconds()) if keys else None,
    }))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
