"""The RS-485 window bus (LED screens, caller keypads, rating pads): the codec interface, its vendor
profiles (ft12, modbus), the bus master driver and the simulator (family.py ties them)."""
