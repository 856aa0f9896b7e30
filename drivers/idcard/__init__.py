"""The resident ID-card reader (GA 467 SAM): codec, card layouts, driver, simulator (family.py ties them)."""
