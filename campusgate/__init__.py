"""campusgate: the command line, the demo, and the adapters shared by the programs (MQTT, broker)."""
