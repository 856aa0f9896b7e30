"""`onetrip sim`: runs the simulators the device registry names; the pty every serial simulator shares."""
