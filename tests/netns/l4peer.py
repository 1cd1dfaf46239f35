#!/usr/bin/python3
"""l4peer.py - kernel-side clients and backends of the L4 proxy tests
(test_l4_*.sh). Standard library only; the byte streams and their checks
come from tcpclient.py (the same pattern as the gateway's `source`).

Every command prints one JSON object on stdout (servers print
{"listening": PORT} first, once they accept) and exits 0 when its own part
checked out, 1 otherwise (the reason in "error").

Clients (in the peer namespace, towards a VIP):
  spread --count N HOST:PORT...     N `Connection: close` GETs per target,
                                    one new connection each, the targets
                                    interleaved; which backend answered
                                    (the body "bK") in order, as "seq"
  outlier HOST:PORT --log FILE --backend K --seconds S
                                    sequential GETs; notes when FILE first
                                    shows an ejection, and stops once backend
                                    K answers again after it (or after S s)
  hold HOST:PORT --conns N --seconds S
                                    N connections, a GET on each, then how
                                    each one fared for S s (reset, open, data)
  halfclose HOST PORT --send M --expect N
                                    send M bytes, shut the write side, read
                                    the N-byte pattern to EOF
  late-send HOST PORT --send M --expect N
                                    read the N-byte pattern to EOF (the
                                    backend shut first), then send M bytes
  rst-recv HOST PORT                a line echoed, then expect a reset
  rst-send HOST PORT                a line echoed, then reset (SO_LINGER 0)
  echo HOST PORT                    a line echoed, then close; the local port

Backends (in a backend namespace; one connection, then exit):
  serve ADDR PORT MODE [--bytes N]
    after-eof   read to EOF, then send the N-byte pattern and close
    then-read   send the N-byte pattern, shut the write side, read to EOF
    bulk        send the N-byte pattern and close
    rst         echo a line, then reset
    watch       echo a line, then read until EOF or a reset
    pp2         read a PROXY protocol v2 header (its addresses in the
                result), then as watch
"""
import argparse
import json
import os
import socket
import struct
import sys
import time

from tcpclient import CHUNK, Checker, client_stream, pattern_stream, send_stream, sha_of

TIMEOUT = float(os.environ.get("MG_IO_TIMEOUT", "30"))
GET = b"GET / HTTP/1.1\r\nHost: vip\r\nConnection: close\r\n\r\n"
EJECTED = b" ejected for "


def hostport(s):
    host, port = s.rsplit(":", 1)
    return host, int(port)


def connect(host, port, timeout=TIMEOUT):
    s = socket.create_connection((host, port), timeout=timeout)
    return s


def rst_close(s):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()


def read_all(s):
    out = bytearray()
    while True:
        data = s.recv(CHUNK)
        if not data:
            return bytes(out)
        out += data


def http_get(target):
    """One GET on a new connection: the backend's number, or raises."""
    s = connect(*target, timeout=5)
    try:
        s.sendall(GET)
        resp = read_all(s)
    finally:
        s.close()
    head, _, body = resp.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200") or not body.startswith(b"b"):
        raise ValueError("unexpected response %r" % resp[:80])
    return int(body[1:].strip())


# ---- clients ----------------------------------------------------------------


def spread(targets, count):
    res = {t: {"seq": [], "errors": 0} for t in targets}
    parsed = [(t, hostport(t)) for t in targets]
    t0 = time.monotonic()
    for _ in range(count):
        for name, tgt in parsed:
            r = res[name]
            try:
                r["seq"].append(str(http_get(tgt)))
            except (OSError, ValueError) as e:
                r["errors"] += 1
                r.setdefault("first_error", repr(e))
                r["seq"].append("x")
    for r in res.values():
        r["seq"] = "".join(r["seq"])
    out = {"targets": res, "seconds": round(time.monotonic() - t0, 3)}
    bad = [t for t, r in res.items() if r["errors"]]
    if bad:
        out["error"] = "failed requests on %s: %s" % (bad, res[bad[0]]["first_error"])
    return out


def log_ejection(f, carry):
    """True once the gateway's log shows an ejection (f is read on; carry
    keeps the end of the last read, in case a read split the words)."""
    data = carry[0] + f.read()
    carry[0] = data[-len(EJECTED):]
    return EJECTED in data


def outlier(target, logpath, backend, seconds):
    tgt = hostport(target)
    reqs = []  # (start relative to t0, backend or 0 on failure, error)
    t_eject = None
    carry = [b""]
    t0 = time.monotonic()
    with open(logpath, "rb") as log:
        while time.monotonic() - t0 < seconds:
            if t_eject is None and log_ejection(log, carry):
                t_eject = time.monotonic() - t0
            start = time.monotonic() - t0
            try:
                reqs.append((start, http_get(tgt), None))
            except (OSError, ValueError) as e:
                reqs.append((start, 0, repr(e)))
            if t_eject is not None and start > t_eject and reqs[-1][1] == backend:
                break
    out = {"requests": len(reqs), "seconds": round(time.monotonic() - t0, 3),
           "failed": sum(1 for r in reqs if r[1] == 0),
           "failures": [(round(r[0], 3), r[2]) for r in reqs if r[1] == 0][:5],
           "ejection_seen": None if t_eject is None else round(t_eject, 3)}
    if t_eject is not None:
        after = [r for r in reqs if r[0] >= t_eject + 0.1]
        back = [r for r in reqs if r[0] > t_eject and r[1] == backend]
        out["after_ejection"] = len(after)
        out["failed_after_ejection"] = sum(1 for r in after if r[1] == 0)
        out["back_after"] = round(back[0][0] - t_eject, 3) if back else None
    return out


def hold(target, conns, seconds):
    """Each connection: "reset" (with when), "data" or "open" after the wait."""
    socks, fates = [], []
    t0 = time.monotonic()
    for _ in range(conns):
        s = socket.socket()
        s.settimeout(2)
        try:
            s.connect(hostport(target))
            s.sendall(GET)
            fates.append(None)
        except OSError as e:
            fates.append({"fate": "reset", "ms": round((time.monotonic() - t0) * 1000),
                          "at": "connect: " + e.__class__.__name__})
        s.setblocking(False)
        socks.append(s)
    while time.monotonic() - t0 < seconds:
        for i, s in enumerate(socks):
            if fates[i] is not None:
                continue
            try:
                data = s.recv(CHUNK)
                fates[i] = {"fate": "data" if data else "eof"}
            except BlockingIOError:
                pass
            except OSError as e:
                fates[i] = {"fate": "reset", "ms": round((time.monotonic() - t0) * 1000),
                            "at": e.__class__.__name__}
        time.sleep(0.01)
    for i, s in enumerate(socks):
        if fates[i] is None:
            fates[i] = {"fate": "open"}
        s.close()
    count = {}
    for f in fates:
        count[f["fate"]] = count.get(f["fate"], 0) + 1
    return {"fates": fates, "count": count,
            "last_reset_ms": max([f.get("ms", 0) for f in fates] or [0])}


def halfclose(host, port, send, expect):
    res = {}
    s = connect(host, port)
    send_stream(s, client_stream(3), send, res)  # ends with shutdown(SHUT_WR)
    chk = Checker(pattern_stream())
    try:
        recv_to_eof(s, chk)
    except OSError as e:
        res["error"] = "%s after %d bytes" % (e, chk.pos)
    s.close()
    return check_received(res, chk, expect)


def late_send(host, port, send, expect):
    res = {}
    s = connect(host, port)
    chk = Checker(pattern_stream())
    try:
        recv_to_eof(s, chk)
    except OSError as e:
        res["error"] = "%s after %d bytes" % (e, chk.pos)
    else:
        send_stream(s, client_stream(3), send, res)
        try:  # the backend closes once it read our FIN
            tail = s.recv(CHUNK)
            if tail:
                res["error"] = "data after EOF"
        except OSError as e:
            res["error"] = "waiting for the close: %s" % e
    s.close()
    return check_received(res, chk, expect)


def recv_to_eof(s, chk):
    buf = memoryview(bytearray(CHUNK))
    while True:
        n = s.recv_into(buf)
        if n == 0:
            return
        chk.feed(buf[:n])


def check_received(res, chk, expect):
    res.update(received=chk.pos, sha_received=chk.h.hexdigest(),
               sha_expected=sha_of(pattern_stream(), expect))
    if "error" in res:
        return res
    if res.get("send_error"):
        res["error"] = res["send_error"]
    elif chk.bad_at is not None:
        res["error"] = "byte %d differs from the pattern" % chk.bad_at
    elif chk.pos != expect:
        res["error"] = "received %d bytes, expected %d" % (chk.pos, expect)
    return res


def rst_client(host, port, send_rst):
    s = connect(host, port, timeout=5)
    s.sendall(b"hello\n")
    got = b""
    while len(got) < 6:
        data = s.recv(64)
        if not data:
            break
        got += data
    res = {"echo": got == b"hello\n"}
    if send_rst:
        rst_close(s)
        return res
    t0 = time.monotonic()
    res["outcome"] = wait_end(s)
    res["ms"] = round((time.monotonic() - t0) * 1000, 1)
    s.close()
    if res["outcome"] != "reset" or not res["echo"]:
        res["error"] = "expected the echo then a reset: %s" % res
    return res


def wait_end(s):
    try:
        while s.recv(CHUNK):
            pass
        return "eof"
    except ConnectionResetError:
        return "reset"
    except socket.timeout:
        return "timeout"


# ---- backends -----------------------------------------------------------------


def serve(addr, port, mode, nbytes):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((addr, port))
    ls.listen(8)
    ls.settimeout(TIMEOUT)
    print(json.dumps({"listening": port}), flush=True)
    conn, peer = ls.accept()
    conn.settimeout(TIMEOUT)
    res = {"peer": "%s:%d" % peer}
    try:
        serve_one(conn, mode, nbytes, res)
    except OSError as e:
        res["error"] = "%s: %s" % (mode, e)
    return res


def serve_one(conn, mode, nbytes, res):
    if mode in ("after-eof", "then-read", "bulk"):
        if mode == "after-eof":
            read_counted(conn, res)
        send_stream(conn, pattern_stream(), nbytes, res)  # then shutdown(SHUT_WR)
        if mode == "then-read":
            read_counted(conn, res)
        if "send_error" in res:
            res["error"] = res["send_error"]
        conn.close()
        return
    if mode == "pp2":
        res["pp2"] = read_pp2(conn)
    line = conn.recv(64)
    conn.sendall(line)
    if mode == "rst":
        time.sleep(0.2)  # the echo reaches the client before the reset
        rst_close(conn)
        return
    res["outcome"] = wait_end(conn)  # watch
    conn.close()


PP2_SIG = b"\r\n\r\n\x00\r\nQUIT\n"


def read_pp2(conn):
    """The PROXY protocol v2 header (TCP over IPv4) the gateway sends first."""
    h = b""
    while len(h) < 28:
        b = conn.recv(28 - len(h))
        if not b:
            raise OSError("EOF inside the PROXY header (%d bytes)" % len(h))
        h += b
    if h[:12] != PP2_SIG or h[12] != 0x21 or h[13] != 0x11 or h[14:16] != b"\x00\x0c":
        raise OSError("not a PROXY v2 TCP4 header: %s" % h.hex())
    src, dst = socket.inet_ntoa(h[16:20]), socket.inet_ntoa(h[20:24])
    sport, dport = int.from_bytes(h[24:26], "big"), int.from_bytes(h[26:28], "big")
    return {"source": "%s:%d" % (src, sport), "destination": "%s:%d" % (dst, dport)}


def echo_client(host, port):
    """Sends a line, reads its echo, closes; says which local port it used."""
    s = connect(host, port)
    s.sendall(b"hello pp2\n")
    got = s.recv(64)
    res = {"local": "%s:%d" % s.getsockname(), "echo": got.decode(errors="replace")}
    s.close()
    if got != b"hello pp2\n":
        res["error"] = "echo %r" % got
    return res


def read_counted(conn, res):
    chk = Checker(client_stream(3))
    recv_to_eof(conn, chk)
    res.update(received=chk.pos, sha_received=chk.h.hexdigest(), intact=chk.bad_at is None)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("spread")
    p.add_argument("--count", type=int, required=True)
    p.add_argument("targets", nargs="+")
    p = sub.add_parser("outlier")
    p.add_argument("target")
    p.add_argument("--log", required=True)
    p.add_argument("--backend", type=int, required=True)
    p.add_argument("--seconds", type=float, required=True)
    p = sub.add_parser("hold")
    p.add_argument("target")
    p.add_argument("--conns", type=int, required=True)
    p.add_argument("--seconds", type=float, required=True)
    for name in ("halfclose", "late-send"):
        p = sub.add_parser(name)
        p.add_argument("host")
        p.add_argument("port", type=int)
        p.add_argument("--send", type=int, required=True)
        p.add_argument("--expect", type=int, required=True)
    p = sub.add_parser("echo")
    p.add_argument("host")
    p.add_argument("port", type=int)
    for name in ("rst-recv", "rst-send"):
        p = sub.add_parser(name)
        p.add_argument("host")
        p.add_argument("port", type=int)
    p = sub.add_parser("serve")
    p.add_argument("addr")
    p.add_argument("port", type=int)
    p.add_argument("mode", choices=("after-eof", "then-read", "bulk", "rst", "watch", "pp2"))
    p.add_argument("--bytes", type=int, default=0)
    a = ap.parse_args()

    if a.cmd == "spread":
        res = spread(a.targets, a.count)
    elif a.cmd == "outlier":
        res = outlier(a.target, a.log, a.backend, a.seconds)
    elif a.cmd == "hold":
        res = hold(a.target, a.conns, a.seconds)
    elif a.cmd == "halfclose":
        res = halfclose(a.host, a.port, a.send, a.expect)
    elif a.cmd == "late-send":
        res = late_send(a.host, a.port, a.send, a.expect)
    elif a.cmd == "echo":
        res = echo_client(a.host, a.port)
    elif a.cmd in ("rst-recv", "rst-send"):
        res = rst_client(a.host, a.port, a.cmd == "rst-send")
    else:
        res = serve(a.addr, a.port, a.mode, a.bytes)
    print(json.dumps(res), flush=True)
    sys.exit(1 if "error" in res else 0)


if __name__ == "__main__":
    main()
