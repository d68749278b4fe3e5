"""webui's API routers, one per resource."""
