"""python -m dcnn (cli.py). A Ctrl-C while its libraries load, in its first second or two, is an
interruption like any later one: one line and exit code 130, never a traceback."""
import sys

try:
    from .cli import main
except KeyboardInterrupt:
    print("interrupted (nothing had started)", file=sys.stderr)
    sys.exit(130)

sys.exit(main())
