"""The REST API: dependencies defined once (deps), auth, CSRF, and one module per resource under routes/."""
