"""OneTrip center."""
