"""The one kind of error dcnn reports as the user's: bad input.

Every problem with the study file, the data, a model's weights or a command's arguments is an
``InputError`` (or one of its kinds: StudyError, DataError, ModelError, ArgumentError, DiffError):
printed as one line, exit code 2. Anything else that escapes a command is a bug in dcnn: exit 1,
its traceback written to a log file the terminal names (cli.py).
"""


class InputError(Exception):
    """Bad input, the user's to fix: one line, exit code 2."""


class ArgumentError(InputError, ValueError):
    """A command-line or API argument out of range or unusable here (--device cuda without CUDA, -j 0,
    dcnn.judge given one value): a ValueError too, as Python's own argument errors are."""


class ModelError(InputError):
    """A model, its module paths or its weights: a problem the user can fix (a file to put somewhere, a
    name to correct, an optional extra to install)."""


class Terminated(KeyboardInterrupt):
    """SIGTERM (what ``timeout``, ``docker stop`` and ``scancel`` send), handled as Ctrl-C is: the
    running runs stop after their epoch, keep their checkpoints, and dcnn exits with code 143."""


def interruption_behind(exc: BaseException):
    """The KeyboardInterrupt in an exception's chain of causes, or None: a Ctrl-C that a library re-raised
    as its own error (a class body's __set_name__ wraps it in a RuntimeError on Python 3.11)."""
    for _ in range(32):                                   # (a chain of causes is short; never a loop)
        if exc is None or isinstance(exc, KeyboardInterrupt):
            return exc
        exc = exc.__cause__ or exc.__context__
    return None
