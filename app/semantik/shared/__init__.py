"""Code shared by vecpipe, webui and the CLI."""
