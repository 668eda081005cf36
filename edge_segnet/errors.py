"""The exception types our library raises; only ``cli.py`` turns them into exit codes."""


class EdgeSegnetError(Exception):
    """A problem the user can fix. ``str()`` is one line: what is wrong, then what to do."""

    exit_code = 1

    def __init__(self, message, hint=None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self):
        if self.hint:
            return "{} ({})".format(self.message, self.hint)
        return self.message


class UsageError(EdgeSegnetError):
    """An argument that cannot be right whatever is on disk (a malformed size, an unknown name)."""

    exit_code = 2


class MissingDependencyError(EdgeSegnetError):
    """An optional package this command needs is not importable."""

    exit_code = 3


class ModelError(EdgeSegnetError):
    """A model file or its weights that we cannot use."""


class DataError(EdgeSegnetError):
    """Input data (images, label files, datasets) that we cannot use."""


class OutOfMemoryError(EdgeSegnetError):
    """The machine has too little memory left for this command: not the input's fault."""

    HINT = "close other programs or use a smaller input"


class OutputError(EdgeSegnetError):
    """A result that cannot be written where the user asked."""
