"""python -m dcnn (cli.py). A Ctrl-C while its libraries load, in its first second or two, is an
interruption like any later one: one line and exit code 130, never a traceback, even where Python
re-raises it as another error (a class body's __set_name__ wraps it in a RuntimeError on 3.11)."""
import sys


def _interrupted_loading(exc: BaseException) -> bool:
    for _ in range(32):                                   # (a chain of causes is short; never a loop)
        if exc is None or isinstance(exc, KeyboardInterrupt):
            return exc is not None
        exc = exc.__cause__ or exc.__context__
    return False


try:
    from .cli import main
except BaseException as exc:  # noqa: BLE001  only a Ctrl-C is answered here; anything else re-raised
    if not _interrupted_loading(exc):
        raise
    print("interrupted (nothing had started)", file=sys.stderr)
    sys.exit(130)

sys.exit(main())
