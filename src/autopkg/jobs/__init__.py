"""Jobs: submission and status (service), execution (engine) and executors."""
