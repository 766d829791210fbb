"""Errors that stop the simulator from starting."""


class StartupError(Exception):
    """The instance cannot start; ``str()`` is one line."""
