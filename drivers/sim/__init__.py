"""Device simulators: each speaks its device's real wire protocol from the device side."""
