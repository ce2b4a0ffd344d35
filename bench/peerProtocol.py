"""The line protocol every bench/ child process speaks with bench/bench.ts (torchPeer.py,
blasFloor.py): one JSON object per line each way. A request {"cmd": name, ...} is answered by one
reply; "quit" ends the loop; a handler's exception becomes {"ok": false, "error": ...}, so one
failing shape never takes the process down with it."""
import json
import os
import sys


def loaded_blas():
    """The BLAS libraries mapped into this process: on Debian numpy and torch say only 'blas',
    and the library behind libblas.so.3 is whichever update-alternatives picked."""
    with open("/proc/self/maps") as f:
        paths = {ln.split()[-1] for ln in f if len(ln.split()) >= 6}
    return sorted(p for p in paths if "blas" in os.path.basename(p).lower())


def reply(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def serve(handlers):
    """Answer requests from stdin until "quit" or end of input; handlers maps a cmd to a function
    of the request that returns the reply."""
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        msg = json.loads(line)
        if msg.get("cmd") == "quit":
            break
        try:
            handler = handlers.get(msg.get("cmd"))
            reply(handler(msg) if handler else {"ok": False, "error": f"unknown command {msg.get('cmd')}"})
        except Exception as e:  # noqa: BLE001
            reply({"ok": False, "error": repr(e)})
