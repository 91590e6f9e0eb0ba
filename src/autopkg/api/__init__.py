"""HTTP API (FastAPI): thin routers over the job, boundary and package services."""
