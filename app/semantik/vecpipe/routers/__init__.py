"""vecpipe's routers, one per resource."""
