"""The ESC/POS ticket printer: codec, print jobs and their rendering, driver, simulator (family.py ties them)."""
