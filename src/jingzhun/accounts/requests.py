"""Request types for views, so a page's user is typed as our ``User``.

Only for annotations: Django builds the request; ``login_required`` is what makes ``request.user`` a signed-in
``User`` at run time (otherwise it may be an ``AnonymousUser``).
"""

from __future__ import annotations

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from jingzhun.accounts.models import User


class AuthenticatedHttpRequest(HttpRequest):
    """The request of a view behind ``login_required``: the user is signed in."""

    user: User


class HtmxHttpRequest(AuthenticatedHttpRequest):
    """As above, with ``request.htmx`` (django-htmx's middleware sets it on every request)."""

    htmx: HtmxDetails
