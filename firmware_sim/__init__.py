"""The campusgate hardware simulator: a virtual serial thermometer on a pseudo-terminal, a virtual
IP camera serving MJPEG over HTTP with rendered pass QR codes, a virtual gate display and relay, and
a campus scenario runner, so that the gate agent runs unchanged on a laptop or in CI.

Every device binds to 127.0.0.1 (on a free port where it listens) and has fault knobs (silence,
garbage, a pulled cable, a frozen or dark camera) so that tests can exercise failures the real
hardware shows. See docs/simulator.md.
"""
