"""OneTrip drivers."""
