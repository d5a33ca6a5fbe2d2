"""The security office's web console: server-rendered pages that call central.office, never a route."""
