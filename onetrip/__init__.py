"""OneTrip onetrip."""
