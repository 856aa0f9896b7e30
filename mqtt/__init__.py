"""OneTrip mqtt."""
