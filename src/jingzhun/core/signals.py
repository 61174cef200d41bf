"""Signals a domain sends so that others can follow its changes without being imported by it.

``register_changed``: what the register's figures count has changed in some counties — a procedure's last
step changed households, a comparison run raised doubts. Sent with ``prefixes`` (the 6-digit county
codes touched; a shorter prefix or "" for larger areas) and ``cause`` ("procedure", "comparison").
Listeners (the indicator refresh, ``analytics/hooks.py``) act after the sender's transaction commits and
must never make the sender fail.
"""

from __future__ import annotations

from django.dispatch import Signal

register_changed = Signal()
