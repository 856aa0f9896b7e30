"""OneTrip kiosk."""
