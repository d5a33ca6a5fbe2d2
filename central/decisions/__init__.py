"""The decision path: MQTT worker, decision service, registry facts, ledger claims, answers, gate status, dead letters."""
