"""The gate agent: camera and QR decoding, serial thermometer, MQTT link, durable outbox,
offline decisions, display and relay. It never imports fastapi, sqlmodel or central."""
