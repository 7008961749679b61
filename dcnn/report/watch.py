"""``python -m dcnn report --watch``: the report served on localhost while its study trains, written
again whenever a run finishes (the runs not yet trained marked as in any report), and reloaded by the
page itself. With ``--run-missing`` it trains the missing runs meanwhile; without, it watches a build
another dcnn (``make run``) is training. Ctrl-C stops serving and leaves the files."""
from __future__ import annotations

import functools
import logging
import signal
import sys
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable, Optional

from ..store.build import atomic_write

log = logging.getLogger("dcnn")
VERSION = "report.version"     # the page polls it and reloads when it changes
POLL_S = 1.0                   # how often the build is looked at for finished runs
INTERRUPTED = (130, 143)       # the training's exit codes after a Ctrl-C or a SIGTERM (arguments.py)

# Added to the served page only: poll the version file, reload when a run has finished.
LIVE_SCRIPT = """<script>(function () {
  var seen = null;
  function look() {
    fetch("%s?" + Date.now(), {cache: "no-store"}).then(function (r) { return r.text(); }).then(function (v) {
      if (seen !== null && v !== seen) { location.reload(); }
      seen = v;
    }).catch(function () {});
  }
  look();
  setInterval(look, 1500);
})();</script>""" % VERSION


def finished(build: Path) -> tuple:
    """What the report depends on that a finishing run changes: every result file and its time."""
    files = sorted(build.glob("runs/*/result.json")) + sorted(build.glob("pretrain/*/result.json"))
    return tuple((str(p), p.stat().st_mtime_ns) for p in files if p.exists())


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format, *args) -> None:   # noqa: A002  (the terminal shows progress, not requests)
        pass


class Watcher:
    """Writes the report (HTML, no PDF) whenever the build's finished runs change."""

    def __init__(self, write: Callable[[], None], build: Path):
        self.write, self.build, self.version = write, build, 0
        self.seen: Optional[tuple] = None
        self.stop = threading.Event()

    def once(self) -> bool:
        now = finished(self.build)
        if now == self.seen:
            return False
        self.seen = now
        try:
            self.write()
        except Exception as exc:  # noqa: BLE001  (a half-written run must not end the watch; said once)
            log.warning("could not write the report yet: %s", exc)
            return False
        self.version += 1
        atomic_write(self.build / VERSION, str(self.version).encode(), fsync=False)
        return True

    def loop(self) -> None:
        while not self.stop.is_set():
            self.once()
            self.stop.wait(POLL_S)


def serve(build: Path, port: int) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", port), functools.partial(_Quiet, directory=str(build)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def watch(write: Callable[[], None], build: Path, port: int, train: Optional[Callable[[], int]] = None) -> int:
    """Serve ``build`` on localhost, keep its report current (``write``), train with ``train`` meanwhile;
    until Ctrl-C. Returns the training's exit code (0 without training)."""
    build.mkdir(parents=True, exist_ok=True)
    watcher = Watcher(write, build)
    watcher.once()
    server = serve(build, port)
    print(f"serving http://127.0.0.1:{server.server_port}/report.html — it reloads itself as runs finish; "
          "Ctrl-C stops (the files stay)", file=sys.stderr, flush=True)
    thread = threading.Thread(target=watcher.loop, daemon=True)
    thread.start()
    rc = 0
    on_main = threading.current_thread() is threading.main_thread()
    previous = signal.getsignal(signal.SIGINT) if on_main else None
    try:
        if train is not None:
            rc = train()
        if on_main:    # Ctrl-C stops the serving whatever handler this process was started with (CI: a stale one)
            signal.signal(signal.SIGINT, signal.default_int_handler)
        if rc not in INTERRUPTED:   # a Ctrl-C the training answered (it stopped after its epoch) stops serving too
            while True:
                time.sleep(3600)
        else:
            print("stopped serving; the report's files stay in the build", file=sys.stderr)
    except KeyboardInterrupt:
        print("stopped serving; the report's files stay in the build", file=sys.stderr)
    finally:
        if on_main and previous is not None:
            signal.signal(signal.SIGINT, previous)
        watcher.stop.set()
        thread.join(timeout=20)
        server.shutdown()
        server.server_close()
        if not thread.is_alive():   # (one writer at a time: never a second one beside a write still running)
            watcher.once()          # the last runs' numbers in the files left behind
    return rc
