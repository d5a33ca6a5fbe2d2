"""The security office's services: keyword-only functions raising domain errors, shared by the API and the console."""
