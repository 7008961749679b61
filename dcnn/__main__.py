"""python -m dcnn (cli.py). A Ctrl-C while its libraries load, in its first second or two, is an
interruption like any later one: one line and exit code 130, never a traceback, even where Python
re-raises it as another error (a class body's __set_name__ wraps it in a RuntimeError on 3.11)."""
import sys

from .errors import interruption_behind     # (a few lines, no imports: loaded before any library)

try:
    from .cli import main
except BaseException as exc:  # noqa: BLE001  only a Ctrl-C is answered here; anything else re-raised
    if interruption_behind(exc) is None:
        raise
    print("interrupted (nothing had started)", file=sys.stderr)
    sys.exit(130)

sys.exit(main())
