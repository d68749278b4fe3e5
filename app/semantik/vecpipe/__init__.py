"""vecpipe: the embedding and search API; the only process that loads the model."""
