"""Package storage: a small protocol with a local-folder and an S3 backend."""
