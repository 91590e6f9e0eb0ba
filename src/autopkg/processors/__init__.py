"""Dataset processors: metadata, sources, the registry and source fetching."""
