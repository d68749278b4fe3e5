"""webui: users, collections, indexing jobs and search for people; never imports torch."""
