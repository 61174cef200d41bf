"""Procedures: identification, exit, return, natural changes, monitoring inclusion and risk elimination."""
