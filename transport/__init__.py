"""The transport every program shares: the one module that touches paho (mqtt) and the brokers for the demo and tests."""
