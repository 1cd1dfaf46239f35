#!/usr/bin/python3
"""tcpclient.py - the kernel-side peer of the TCP integration tests and the
benchmark: drives meshgw's diagnostic services (echo, discard, source) and
serves the gateway's tcp-probe. Standard library only.

Every command prints one JSON object on stdout and exits 0 when the data
checked out, 1 otherwise (with the reason in "error"), 2 on usage errors.

  echo HOST PORT BYTES [--conns N]   send a deterministic stream, read the
                                     echo concurrently, compare byte for byte
                                     and by SHA-256 in both directions
  discard HOST PORT BYTES [--conns N]
                                     send BYTES (per connection)
  source HOST PORT BYTES [--conns N] [--stall-after B --stall S] [--rcvbuf N]
                                     read BYTES of source's pattern and check
                                     them; optionally stop reading for S
                                     seconds after B bytes
  many HOST PORT COUNT [--parallel P] [--bytes B] [--rst-every K]
                                     COUNT short echo connections, P at a time
  hold HOST PORT SECONDS             connect, exchange a line, print
                                     {"ready":..} with the kernel's view of the
                                     options (TCP_INFO) and keep the
                                     connection open
  server PORT [--count N]            echo server for tcp-probe: N connections
                                     (default 1), reports what it received
  pattern-sha BYTES                  SHA-256 of the first BYTES of the pattern
"""
import argparse
import asyncio
import hashlib
import json
import os
import random
import socket
import struct
import sys
import threading
import time

# gw_diag.h: byte k of the stream is pattern_byte(k % P_LEN)
P_LEN = 65521
CHUNK = 65536
BLOCK = 1048573  # the client's own stream repeats a random block of a prime length
TIMEOUT = float(os.environ.get("MG_IO_TIMEOUT", "60"))


def pattern_bytes():
    out = bytearray(P_LEN)
    for k in range(P_LEN):
        v = (k * 40503 + 12345) % P_LEN
        out[k] = (v ^ (v >> 8)) & 0xFF
    return bytes(out)


class Stream:
    """A periodic byte stream with O(1) slices: period bytes repeated."""

    def __init__(self, period):
        self.period = len(period)
        reps = 1 + (CHUNK + self.period - 1) // self.period + 1
        self.buf = memoryview(period * reps)

    def slice(self, pos, n):
        off = pos % self.period
        return self.buf[off:off + n]


def pattern_stream():
    return Stream(pattern_bytes())


def client_stream(seed=1):
    return Stream(random.Random(seed).randbytes(BLOCK))


def sha_of(stream, n):
    h = hashlib.sha256()
    pos = 0
    while pos < n:
        k = min(CHUNK, n - pos)
        h.update(stream.slice(pos, k))
        pos += k
    return h.hexdigest()


def connect(host, port, rcvbuf=0):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(TIMEOUT)
    s.connect((host, port))
    return s


class Checker:
    """Compares what arrives with the expected stream, hashing as it goes."""

    def __init__(self, stream):
        self.stream = stream
        self.pos = 0
        self.h = hashlib.sha256()
        self.bad_at = None

    def feed(self, data):
        # bytes compare with memcmp; memoryviews compare item by item (30x slower)
        exp = self.stream.slice(self.pos, len(data)).tobytes()
        if self.bad_at is None and data.tobytes() != exp:
            i = next(i for i in range(len(data)) if data[i] != exp[i])
            self.bad_at = self.pos + i
        self.h.update(data)
        self.pos += len(data)


def send_stream(sock, stream, nbytes, result):
    h = hashlib.sha256()
    pos = 0
    try:
        while pos < nbytes:
            chunk = stream.slice(pos, min(CHUNK, nbytes - pos))
            sock.sendall(chunk)
            h.update(chunk)
            pos += len(chunk)
        sock.shutdown(socket.SHUT_WR)
    except OSError as e:
        result["send_error"] = "%s after %d bytes" % (e, pos)
    result["sent"] = pos
    result["sha_sent"] = h.hexdigest()


def recv_into_checker(sock, checker, limit=None, stall_after=None, stall=0.0):
    buf = bytearray(CHUNK)
    view = memoryview(buf)
    stalled = False
    while limit is None or checker.pos < limit:
        want = CHUNK if limit is None else min(CHUNK, limit - checker.pos)
        if stall_after is not None and not stalled and checker.pos >= stall_after:
            time.sleep(stall)
            stalled = True
        elif stall_after is not None and not stalled:
            want = min(want, stall_after - checker.pos)
        n = sock.recv_into(view[:want])
        if n == 0:
            break
        checker.feed(view[:n])


def one_echo(seed, host, port, nbytes):
    res = {}
    stream = client_stream(seed)
    t0 = time.monotonic()
    try:
        sock = connect(host, port)
    except OSError as e:
        return {"error": "connect: %s" % e}
    sender = threading.Thread(target=send_stream, args=(sock, stream, nbytes, res))
    sender.start()
    chk = Checker(stream)
    try:
        recv_into_checker(sock, chk)
    except OSError as e:
        res["recv_error"] = "%s after %d bytes" % (e, chk.pos)
    sender.join()
    sock.close()
    res.update(received=chk.pos, sha_received=chk.h.hexdigest(),
               seconds=round(time.monotonic() - t0, 3))
    if chk.bad_at is not None:
        res["error"] = "echoed byte %d differs from what was sent" % chk.bad_at
    elif "send_error" in res or "recv_error" in res:
        res["error"] = res.get("send_error") or res.get("recv_error")
    elif chk.pos != nbytes or res["sha_sent"] != res["sha_received"]:
        res["error"] = "sent %d bytes, %d came back" % (nbytes, chk.pos)
    return res


def one_discard(seed, host, port, nbytes):
    res = {}
    t0 = time.monotonic()
    try:
        sock = connect(host, port)
    except OSError as e:
        return {"error": "connect: %s" % e}
    send_stream(sock, client_stream(seed), nbytes, res)
    try:  # discard closes after our FIN: wait for it, so every byte was taken
        while sock.recv(CHUNK):
            pass
    except OSError as e:
        res["error"] = "waiting for the close: %s" % e
    sock.close()
    res["seconds"] = round(time.monotonic() - t0, 3)
    if "send_error" in res:
        res["error"] = res["send_error"]
    return res


def one_source(seed, host, port, nbytes, stall_after=None, stall=0.0, rcvbuf=0):
    t0 = time.monotonic()
    try:
        sock = connect(host, port, rcvbuf)
    except OSError as e:
        return {"error": "connect: %s" % e}
    del seed  # source's stream is the same on every connection
    chk = Checker(pattern_stream())
    res = {}
    try:
        recv_into_checker(sock, chk, nbytes, stall_after, stall)
    except OSError as e:
        res["error"] = "%s after %d bytes" % (e, chk.pos)
    sock.close()
    res.update(received=chk.pos, sha_received=chk.h.hexdigest(),
               sha_expected=sha_of(pattern_stream(), nbytes),
               seconds=round(time.monotonic() - t0, 3))
    if chk.bad_at is not None:
        res["error"] = "byte %d differs from the pattern" % chk.bad_at
    elif "error" not in res and chk.pos != nbytes:
        res["error"] = "source closed after %d bytes" % chk.pos
    return res


def run_parallel(fn, conns, *args):
    """Runs fn(seed, *args) on conns threads, seeds 1..conns; keeps errors."""
    results = [None] * conns

    def worker(i):
        results[i] = fn(i + 1, *args)

    t0 = time.monotonic()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(conns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    secs = time.monotonic() - t0
    out = results[0] if conns == 1 else {"connections": results}
    out["total_seconds"] = round(secs, 3)
    errors = [r["error"] for r in results if "error" in r]
    if errors:
        out["error"] = "; ".join(errors[:3])
    return out


async def short_conn(host, port, payload, rst):
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(payload)
    if rst:  # read the echo, then reset instead of closing
        got = await reader.readexactly(len(payload))
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.close()
        return got == payload
    writer.write_eof()
    got = await reader.read(-1)  # until the echo's FIN
    writer.close()
    return got == payload


async def many_async(host, port, count, parallel, nbytes, rst_every):
    sem = asyncio.Semaphore(parallel)
    fails = []
    payload = client_stream(7).slice(0, nbytes).tobytes()

    async def one(i):
        async with sem:
            rst = rst_every > 0 and i % rst_every == rst_every - 1
            try:
                ok = await asyncio.wait_for(short_conn(host, port, payload, rst), TIMEOUT)
                if not ok:
                    fails.append("connection %d: wrong echo" % i)
            except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError) as e:
                fails.append("connection %d: %r" % (i, e))

    t0 = time.monotonic()
    await asyncio.gather(*(one(i) for i in range(count)))
    secs = time.monotonic() - t0
    res = {"connections": count, "failed": len(fails), "seconds": round(secs, 3),
           "per_second": round(count / secs, 1)}
    if fails:
        res["error"] = "; ".join(fails[:3])
    return res


def hold(host, port, seconds):
    sock = connect(host, port)
    sock.sendall(b"hello\n")
    got = b""
    while len(got) < 6:
        data = sock.recv(64)
        if not data:
            break
        got += data
    # the kernel's own view of the negotiated options (what `ss -ti` reads)
    info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
    opts, ws = info[5], info[6]
    print(json.dumps({"ready": got == b"hello\n", "local": sock.getsockname()[1],
                      "ts": bool(opts & 1), "sack": bool(opts & 2), "wscale": bool(opts & 4),
                      "snd_wscale": ws & 0xF, "rcv_wscale": ws >> 4,
                      "snd_mss": struct.unpack_from("I", info, 16)[0]}), flush=True)
    time.sleep(seconds)
    sock.close()
    return None


def server(port, count):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("0.0.0.0", port))
    ls.listen(16)
    ls.settimeout(TIMEOUT)
    print(json.dumps({"listening": port}), flush=True)
    out = []
    for _ in range(count):
        conn, peer = ls.accept()
        conn.settimeout(TIMEOUT)
        h = hashlib.sha256()
        n = 0
        try:
            while True:
                data = conn.recv(CHUNK)
                if not data:
                    break
                h.update(data)
                n += len(data)
                conn.sendall(data)
            conn.shutdown(socket.SHUT_WR)
        except OSError as e:
            out.append({"peer": "%s:%d" % peer, "error": str(e), "received": n})
            conn.close()
            continue
        conn.close()
        out.append({"peer": "%s:%d" % peer, "received": n, "sha_received": h.hexdigest()})
    res = out[0] if count == 1 else {"connections": out}
    errors = [o["error"] for o in out if "error" in o]
    if errors:
        res["error"] = "; ".join(errors)
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name in ("echo", "discard", "source"):
        p = sub.add_parser(name)
        p.add_argument("host")
        p.add_argument("port", type=int)
        p.add_argument("bytes", type=int)
        p.add_argument("--conns", type=int, default=1)
        if name == "source":
            p.add_argument("--stall-after", type=int)
            p.add_argument("--stall", type=float, default=0.0)
            p.add_argument("--rcvbuf", type=int, default=0)
    p = sub.add_parser("many")
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("count", type=int)
    p.add_argument("--parallel", type=int, default=16)
    p.add_argument("--bytes", type=int, default=100)
    p.add_argument("--rst-every", type=int, default=0)
    p = sub.add_parser("hold")
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("seconds", type=float)
    p = sub.add_parser("server")
    p.add_argument("port", type=int)
    p.add_argument("--count", type=int, default=1)
    p = sub.add_parser("pattern-sha")
    p.add_argument("bytes", type=int)
    a = ap.parse_args()

    if a.cmd == "echo":
        res = run_parallel(one_echo, a.conns, a.host, a.port, a.bytes)
    elif a.cmd == "discard":
        res = run_parallel(one_discard, a.conns, a.host, a.port, a.bytes)
    elif a.cmd == "source":
        res = run_parallel(one_source, a.conns, a.host, a.port, a.bytes, a.stall_after,
                           a.stall, a.rcvbuf)
    elif a.cmd == "many":
        res = asyncio.run(many_async(a.host, a.port, a.count, a.parallel, a.bytes,
                                     a.rst_every))
    elif a.cmd == "hold":
        res = hold(a.host, a.port, a.seconds)
    elif a.cmd == "server":
        res = server(a.port, a.count)
    else:
        res = {"sha256": sha_of(pattern_stream(), a.bytes)}
    if res is not None:
        print(json.dumps(res), flush=True)
    sys.exit(1 if res is not None and "error" in res else 0)


if __name__ == "__main__":
    main()
