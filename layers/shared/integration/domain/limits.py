"""Defaults of the limits a deployment may set (:mod:`integration.settings` reads them from the
environment). A module of constants only: the settings import it, and every function imports the
settings, the authorizer too."""

DEFAULT_MAX_WEBHOOKS_PER_TENANT = 50
DEFAULT_DISABLE_AFTER_ATTEMPTS = 5
"""Failed delivery attempts in a row that, with the failing time, disable a webhook."""
