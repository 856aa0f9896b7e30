"""The hall rig: the hall as real processes, the scripted day, load, fault drills and the audit
of what citizens were told; used by `onetrip demo`, the tests and the benches."""
