"""OneTrip daemon."""
