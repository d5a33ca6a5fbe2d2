"""Demo data: the seeded campuses and the passes the simulator shows."""
