"""Backups that restore: `semantik backup` writes one checksummed archive of the database, the
vector store and the config; `semantik restore` verifies an archive completely before it touches
anything on the host.

Modules: errors (exit codes), manifest (checksums, versions), retention (which archives to keep),
crypto (optional archive encryption), database (SQLite online backup), vectors (embedded shards or
Qdrant snapshots), services (stopping/starting writers, health), archive (create/open archives),
restore, cli (the two subcommands).
"""
