"""Running central in production: metrics, readiness, structured logs, backups, the data directory."""
