"""One module per resource of the REST API; thin routes over central.office and central.audit."""
