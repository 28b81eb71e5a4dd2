"""Intake's use cases: load an aggregate, call the domain, save; shared by every channel."""
