"""A fork server for the test suite's Python references (test/helpers/python.ts).

Importing torch, scikit-learn and pandas takes 1 - 2 s of CPU per interpreter on our machines,
more than most reference scripts then compute. This process imports them once, then runs each
request in a fresh fork() of itself: the script gets a pristine interpreter with those modules
already loaded, exactly `python3 <args>` otherwise (argv, __main__, stdin, stdout, stderr, exit
code, cwd). Nothing a script does outlives its fork. No torch op runs here before forking, so
no intra-op thread pool exists to be lost in the child (OpenBLAS, started by numpy's import,
re-initialises itself across fork()).

    python3 pyForkServer.py SOCKET PARENT_PID

Protocol, over the Unix socket, one request per connection: an 8-byte big-endian length, then
JSON {"args": [...], "input": str, "cwd": str, "timeout": seconds}; the reply is the same framing
around JSON {"status": int, "stdout": str, "stderr": str}. The server exits when PARENT_PID is
gone or after 10 idle minutes.
"""
import json
import os
import signal
import socket
import struct
import sys
import tempfile
import time
import traceback

for name in ("numpy", "torch", "sklearn.datasets", "pandas"):
    try:
        __import__(name)
    except Exception:  # a missing module fails the script that imports it, in its fork
        pass


def read_exact(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise EOFError("connection closed")
        data += chunk
    return data


def run_script(request):
    """In the forked child: become `python3 args` with the request's stdin and cwd."""
    os.chdir(request["cwd"])
    args = request["args"]
    files = {}
    for fd, name in ((0, "stdin"), (1, "stdout"), (2, "stderr")):
        f = tempfile.TemporaryFile()
        if fd == 0:
            f.write(request["input"].encode("utf-8"))
            f.seek(0)
        os.dup2(f.fileno(), fd)
        files[name] = f
    signal.alarm(max(1, int(request["timeout"])))
    status = 0
    try:
        if args[0] == "-c":
            sys.argv = ["-c"] + args[2:]
            sys.path[0] = ""
            exec(compile(args[1], "<string>", "exec"), {"__name__": "__main__", "__builtins__": __builtins__})
        else:
            import runpy
            sys.argv = list(args)
            sys.path[0] = os.path.dirname(os.path.abspath(args[0]))
            runpy.run_path(args[0], run_name="__main__")
    except SystemExit as e:
        if e.code is None:
            status = 0
        elif isinstance(e.code, int):
            status = e.code
        else:
            sys.stderr.write(f"{e.code}\n")
            status = 1
    except BaseException as e:
        # As python3 prints it: from the script's frames on, not this file's.
        traceback.print_exception(type(e), e, e.__traceback__.tb_next)
        status = 1
    sys.stdout.flush()
    sys.stderr.flush()
    out = {}
    for name in ("stdout", "stderr"):
        files[name].seek(0)
        out[name] = files[name].read().decode("utf-8", errors="replace")
    return {"status": status, **out}


def main():
    path, parent = sys.argv[1], int(sys.argv[2])
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # forks reap themselves
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(16)
    server.settimeout(1.0)
    last = time.time()
    try:
        while True:
            try:
                conn, _ = server.accept()
            except socket.timeout:
                try:
                    os.kill(parent, 0)
                except OSError:
                    return
                if time.time() - last > 600:
                    return
                continue
            last = time.time()
            if os.fork() == 0:
                server.close()
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                conn.settimeout(None)
                try:
                    request = json.loads(read_exact(conn, struct.unpack(">Q", read_exact(conn, 8))[0]))
                    reply = json.dumps(run_script(request)).encode("utf-8")
                    conn.sendall(struct.pack(">Q", len(reply)) + reply)
                finally:
                    os._exit(0)
            conn.close()
    finally:
        try:
            os.unlink(path)
        except OSError:
            pass


if __name__ == "__main__":
    main()
