"""Plumbing every OneTrip part shares: config, logging, clock, paths, errors, privacy."""
