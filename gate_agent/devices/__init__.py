"""Device adapters behind the ports of gate_agent.ports: camera, QR decoder, thermometer, display,
screen and relay."""
