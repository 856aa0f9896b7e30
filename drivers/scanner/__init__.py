"""The QR / barcode scanner (a USB HID keyboard): decoder, driver, simulator (family.py ties them)."""
