"""Failures of a backup or restore run, each with the exit code the CLI returns.

Exit codes (documented for cron and playbooks):
  0 success; 1 backup or restore failed; 2 usage error (argparse);
  3 archive refused (corrupt, wrong key, or mismatched versions) - nothing on the host was touched;
  4 restored, but the services did not come back healthy or point counts differ;
  5 another backup or restore holds the lock.
"""

from __future__ import annotations


class BackupError(Exception):
    exit_code = 1


class ArchiveRefused(BackupError):
    """The archive failed verification; nothing on the host was changed."""

    exit_code = 3


class UnhealthyAfterRestore(BackupError):
    exit_code = 4


class Locked(BackupError):
    exit_code = 5
