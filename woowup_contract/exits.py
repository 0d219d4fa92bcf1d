"""Exit codes and the usage error: what every command returns, and what makes it return 2.

Its own module, with no imports, so that a sub-command, the plugin and the core can all
say "usage error" without importing the command line.
"""

from __future__ import annotations

__all__ = ["EXIT_FAILED", "EXIT_OK", "EXIT_USAGE", "UsageError"]

# Exit codes every command returns: success, a payload or check failed, a usage error.
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """A problem with how a command was called: the CLI prints it and exits EXIT_USAGE."""
