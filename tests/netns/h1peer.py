#!/usr/bin/python3
"""h1peer.py - kernel-side HTTP/1.1 backends and crafted clients of the HTTP
proxy tests (test_http_*.sh). Standard library only.

Backend (runs until killed; prints {"listening": PORT} once it accepts):
  serve-echo ADDR PORT [--name bK] [--log FILE] [--fail-status NNN] [--delay-ms N]
    a keep-alive HTTP/1.1 server (one thread per connection) answering
    every request with a JSON body {backend, method, path, version,
    headers: [[name, value], ...] in order, body_len, body_sha256}; it
    reads Content-Length and chunked bodies and answers
    `Expect: 100-continue` with a 100 first. With --log, one JSON line per
    event: {"ev": "accept"|"rx"|"req"|"close", "conn": N, ...}; with
    --fail-status every request is answered with that status, with
    --delay-ms every answer waits N ms first; "rx" holds
    the exact bytes received (latin-1), so a test can tell that nothing at
    all reached the backend. Paths that misbehave:
      /status/NNN        answer with status NNN (the echo as the body)
      /reset             read the request, then reset the connection (RST)
      /close-mid         Content-Length 100, send 50 bytes, close
      /close-head        send half a response head, close
      /drop-if-reused    on a connection's first request: 200; on a later
                         one: close without answering (a stale pooled
                         connection)
      /bad-head          a response with two different Content-Lengths
      /slow?ms=N         wait N ms, then answer
      /chunked?n=N       a chunked response of N chunks and a trailer
                         (x-body-sha256 in the head, x-trailer-sha256 after)
      /big?bytes=N       N bytes of tcpclient.py's pattern (Content-Length),
                         with x-body-sha256
      /upgrade           101 to a request with Upgrade, then echo raw bytes
                         until EOF
      /nohead-close      a response with no Content-Length, ended by close
      /flaky             503 on every other request to this backend (the
                         first one 503), 200 otherwise

Clients (towards a VIP; one JSON object on stdout, exit 0 unless "error"):
  raw HOST PORT FILE | --hex HEX [--expect N] [--timeout S] [--linger S]
      [--head] [--trickle MS] [--shut]
    sends exactly those bytes and reads every response until the server
    closes, --timeout seconds of silence (default 5), or N final responses
    and then --linger seconds (default 0.3) more for a close:
    {"responses": [{status, reason, version, headers, body, body_len,
    body_sha256, framing, trailers, ms}], "closed": bool, "close": "eof" |
    "reset" | null, "close_ms", "ms", "sent", "rest"}; 1xx responses are in
    the list but are not final. A response to a HEAD it sent has no body
    (--head: every response). --trickle MS: one byte every MS ms.
    --shut: shut the write side after sending. --after HEX (repeatable):
    sent on the same connection once the previous final response has
    arrived (a request after a response, not pipelined). --then-hex HEX: then those
    bytes on a new connection, up to one final response ("then" in the result).
  pipeline HOST PORT N   N requests in one write (every third a POST with a
                         body, the odd ones delayed less than the even ones
                         so a proxy that reorders shows it); checks that the
                         N responses come back in order with the right bodies
  load HOST PORT N [--conns C] [--method M] [--path P] [--header 'N: V']...
       [--slow-ms MS]
                         N requests over C keep-alive connections (threads):
                         {"n", "status": {code: count}, "backend": {x-backend:
                         count}, "slow": requests over --slow-ms, "errors",
                         "ms"}; a closed connection is reopened (counted in
                         "reconnects")
  upgrade HOST PORT [--bytes N]
                         GET /upgrade with Upgrade, expects 101, then sends
                         N random bytes and checks they are echoed
"""
import argparse
import hashlib
import io
import json
import os
import random
import select
import socket
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from tcpclient import CHUNK, pattern_stream, sha_of

TIMEOUT = float(os.environ.get("MG_IO_TIMEOUT", "30"))
BODY_TEXT_MAX = 65536  # the raw client reports longer bodies by length and hash only

# ---- backend ------------------------------------------------------------------


class EventLog:
    """One JSON line per event, shared by the connection threads."""

    def __init__(self, path):
        self.f = open(path, "a", encoding="utf-8") if path else None
        self.lock = threading.Lock()

    def write(self, **ev):
        if self.f is None:
            return
        line = json.dumps(ev) + "\n"
        with self.lock:
            self.f.write(line)
            self.f.flush()


class RecordingRaw(io.RawIOBase):
    """The connection's receive side, logging every byte it gets."""

    def __init__(self, sock, log, conn):
        super().__init__()
        self.sock, self.log, self.conn = sock, log, conn

    def readable(self):
        return True

    def readinto(self, b):
        n = self.sock.recv_into(b)
        if n:
            self.log.write(ev="rx", conn=self.conn, n=n, data=bytes(b[:n]).decode("latin-1"))
        return n


class EchoServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024

    def __init__(self, addr, name, log, fail_status=0, delay_ms=0):
        self.name, self.log = name, log
        self.fail_status, self.delay_ms = fail_status, delay_ms
        self.flaky = 0
        self.conns = 0
        self.conns_lock = threading.Lock()
        super().__init__(addr, EchoHandler)

    def next_conn(self):
        with self.conns_lock:
            self.conns += 1
            return self.conns


class EchoHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 120  # a pooled upstream connection idles in readline meanwhile

    def setup(self):
        super().setup()
        # head and body go out in separate writes: no Nagle wait between them
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.cid = self.server.next_conn()
        self.nreq = 0
        self.server.log.write(ev="accept", conn=self.cid, peer="%s:%d" % self.client_address)
        self.rfile.close()  # the makefile() reader: ours records what arrives
        self.rfile = io.BufferedReader(RecordingRaw(self.connection, self.server.log, self.cid),
                                       CHUNK)

    def finish(self):
        try:
            super().finish()
        except OSError:
            pass
        self.server.log.write(ev="close", conn=self.cid)

    def log_message(self, fmt, *args):
        pass

    def __getattr__(self, name):
        if name.startswith("do_"):
            return self.answer
        raise AttributeError(name)

    # -- request body ---------------------------------------------------------

    def read_body(self):
        """(length, sha256) of the body, chunked or Content-Length."""
        h = hashlib.sha256()
        n = 0
        te = self.headers.get("Transfer-Encoding", "")
        if te.lower() == "chunked":
            while True:
                line = self.rfile.readline(1024)
                size = int(line.split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    break
                n += self.read_into_hash(size, h)
                self.rfile.readline(16)
        else:
            n = self.read_into_hash(int(self.headers.get("Content-Length", "0")), h)
        return n, h.hexdigest()

    def read_into_hash(self, size, h):
        left = size
        while left:
            data = self.rfile.read(min(CHUNK, left))
            if not data:
                raise ConnectionError("EOF inside the body")
            h.update(data)
            left -= len(data)
        return size

    # -- responses ------------------------------------------------------------

    def answer(self):
        u = urlsplit(self.path)
        q = {k: v[0] for k, v in parse_qs(u.query).items()}
        body_len, body_sha = self.read_body()
        echo = {"backend": self.server.name, "method": self.command, "path": self.path,
                "version": self.request_version, "headers": [[k, v] for k, v in self.headers.items()],
                "body_len": body_len, "body_sha256": body_sha}
        self.server.log.write(ev="req", conn=self.cid, **echo)
        self.nreq += 1
        p = u.path
        if self.server.delay_ms:
            time.sleep(self.server.delay_ms / 1000)
        if p == "/drop-if-reused" and self.nreq > 1:
            # a keep-alive connection the server gave up on just as the
            # request came: closed without a byte of response
            self.close_connection = True
            self.connection.close()
            return
        if p == "/reset":
            self.close_connection = True
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()  # no makefile() reader holds it: the RST goes now
            return
        if p == "/close-mid":
            self.close_connection = True
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + b"x" * 50)
            return
        if p == "/close-head":
            self.close_connection = True
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Le")
            return
        if p == "/bad-head":
            self.close_connection = True
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!")
            return
        if p == "/nohead-close":
            self.close_connection = True
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n"
                             b"no length: the close ends this body\n")
            return
        if p == "/slow":
            time.sleep(int(q.get("ms", "1000")) / 1000)
        elif p == "/chunked":
            return self.send_chunked(int(q.get("n", "3")))
        elif p == "/big":
            return self.send_big(int(q.get("bytes", "0")))
        elif p == "/upgrade" and self.headers.get("Upgrade"):
            return self.tunnel()
        status = self.server.fail_status or 200
        if p == "/flaky":
            with self.server.conns_lock:
                self.server.flaky += 1
                status = 503 if self.server.flaky % 2 == 1 else 200
        if p.startswith("/status/"):
            status = int(p[len("/status/"):])
        self.send_json(status, echo)

    def send_json(self, status, obj):
        body = (json.dumps(obj) + "\n").encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("x-backend", self.server.name)
        if status in (204, 304):
            self.end_headers()
            return
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_chunked(self, n):
        chunks = [("%d:%s\n" % (i, "x" * (i * 37 % 500))).encode() for i in range(n)]
        sha = hashlib.sha256(b"".join(chunks)).hexdigest()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("x-body-sha256", sha)
        if self.request_version == "HTTP/1.0":
            # RFC 9112 7.1: no chunked to a 1.0 client: the body ends at close
            self.close_connection = True
            self.end_headers()
            self.wfile.write(b"".join(chunks))
            return
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Trailer", "x-trailer-sha256")
        self.end_headers()
        for c in chunks:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(c), c))
        self.wfile.write(b"0\r\nx-trailer-sha256: %s\r\n\r\n" % sha.encode())

    def send_big(self, n):
        st = pattern_stream()
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(n))
        self.send_header("x-body-sha256", sha_of(st, n))
        self.end_headers()
        pos = 0
        while pos < n:
            k = min(CHUNK, n - pos)
            self.wfile.write(st.slice(pos, k))
            pos += k

    def tunnel(self):
        self.close_connection = True
        self.wfile.write(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: %s\r\n"
                         b"Connection: Upgrade\r\n\r\n" % self.headers["Upgrade"].encode())
        while True:
            data = self.rfile.read1(CHUNK)
            if not data:
                break
            self.wfile.write(data)
        self.connection.shutdown(socket.SHUT_WR)


def serve_echo(addr, port, name, logpath, fail_status=0, delay_ms=0):
    srv = EchoServer((addr, port), name, EventLog(logpath), fail_status, delay_ms)
    print(json.dumps({"listening": port}), flush=True)
    srv.serve_forever()


# ---- the raw client -----------------------------------------------------------


class Need(Exception):
    """The buffer does not hold a whole response yet."""


def split_head(buf):
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        raise Need()
    lines = buf[:end].decode("latin-1").split("\r\n")
    version, _, rest = lines[0].partition(" ")
    code, _, reason = rest.partition(" ")
    headers = [[k, v.strip()] for k, _, v in (ln.partition(":") for ln in lines[1:])]
    return {"version": version, "status": int(code), "reason": reason,
            "headers": headers}, end + 4


def hget(headers, name):
    vals = [v for k, v in headers if k.lower() == name]
    return vals[0] if vals else None


def parse_chunked(buf, pos):
    """(body, trailers, end) of a chunked body starting at pos."""
    body = bytearray()
    while True:
        eol = buf.find(b"\r\n", pos)
        if eol < 0:
            raise Need()
        size = int(buf[pos:eol].split(b";")[0], 16)
        pos = eol + 2
        if size == 0:
            break
        if len(buf) < pos + size + 2:
            raise Need()
        body += buf[pos:pos + size]
        pos += size + 2
    trailers = []
    while True:
        eol = buf.find(b"\r\n", pos)
        if eol < 0:
            raise Need()
        line = buf[pos:eol].decode("latin-1")
        pos = eol + 2
        if not line:
            return bytes(body), trailers, pos
        k, _, v = line.partition(":")
        trailers.append([k, v.strip()])


def parse_response(buf, head_req, eof):
    """(response, bytes used) of the first response in buf; raises Need."""
    r, pos = split_head(buf)
    code = r["status"]
    te, cl = hget(r["headers"], "transfer-encoding"), hget(r["headers"], "content-length")
    if code < 200 or code in (204, 304) or head_req:
        r["framing"], body = "none", b""
    elif te and te.lower() == "chunked":
        r["framing"] = "chunked"
        body, r["trailers"], pos = parse_chunked(buf, pos)
        return finish_response(r, body), pos
    elif cl is not None:
        r["framing"], n = "length", int(cl)
        if len(buf) < pos + n:
            raise Need()
        body = buf[pos:pos + n]
        pos += n
    else:
        r["framing"] = "close"
        if not eof:
            raise Need()
        body = buf[pos:]
        pos = len(buf)
    return finish_response(r, body), pos


def finish_response(r, body):
    r["body_len"] = len(body)
    r["body_sha256"] = hashlib.sha256(body).hexdigest()
    r["body"] = body[:BODY_TEXT_MAX].decode("utf-8", "replace")
    return r


def request_methods(data):
    """The methods of the requests in data, as far as they can be framed (to
    know which responses answer HEAD); best effort."""
    methods, pos = [], 0
    while pos < len(data):
        end = data.find(b"\r\n\r\n", pos)
        if end < 0:
            break
        lines = data[pos:end].decode("latin-1").split("\r\n")
        methods.append(lines[0].split(" ")[0])
        hdrs = [[k, v.strip()] for k, _, v in (ln.partition(":") for ln in lines[1:])]
        pos = end + 4
        te, cl = hget(hdrs, "transfer-encoding"), hget(hdrs, "content-length")
        try:
            if te is not None:
                pos = parse_chunked(data, pos)[2]
            elif cl is not None:
                pos += int(cl)
        except (Need, ValueError):
            break
    return methods


def send_all(s, data, trickle, shut, res):
    """The sender thread: reading goes on meanwhile, so a response to a
    request the server stopped reading (413, 431) is read before a reset."""
    try:
        if trickle:
            for i in range(len(data)):
                s.send(data[i:i + 1])
                res["sent"] = i + 1
                time.sleep(trickle / 1000)
        else:
            s.sendall(data)
            res["sent"] = len(data)
        if shut:
            s.shutdown(socket.SHUT_WR)
    except OSError as e:
        res["send_error"] = "%s after %d bytes" % (e.__class__.__name__, res["sent"])


def raw(host, port, data, expect=0, timeout=5, linger=0.3, head_req=False, trickle=0,
        shut=False, after=()):
    res = {"responses": [], "closed": False, "close": None, "sent": 0}
    methods = request_methods(data + b"".join(after))
    after = list(after)
    t0 = time.monotonic()

    def ms():
        return round((time.monotonic() - t0) * 1000, 1)

    try:
        s = socket.create_connection((host, port), timeout=5)
    except OSError as e:
        return {"error": "connect: %s" % e}
    s.settimeout(TIMEOUT)
    sender = threading.Thread(target=send_all, args=(s, data, trickle, shut, res), daemon=True)
    sender.start()
    buf, finals, tunnel = b"", 0, False
    deadline = time.monotonic() + timeout
    while True:
        if expect and finals >= expect and not res.get("linger_set"):
            res["linger_set"] = True
            deadline = time.monotonic() + linger
        wait = deadline - time.monotonic()
        if wait <= 0:
            break
        # select, not a socket timeout: the timeout would apply to the sender too
        if not select.select([s], [], [], wait)[0]:
            break
        try:
            data_in = s.recv(CHUNK)
        except (ConnectionResetError, BrokenPipeError):
            res["closed"], res["close"] = True, "reset"
            break
        if not data_in:
            res["closed"], res["close"] = True, "eof"
        buf += data_in
        while buf and not tunnel:
            try:
                is_head = head_req or (finals < len(methods) and methods[finals] == "HEAD")
                r, used = parse_response(buf, is_head, res["closed"])
            except Need:
                break
            except (ValueError, IndexError) as e:
                res["unparsed"] = "%s: %r" % (e, buf[:200])
                tunnel = True
                break
            r["ms"] = ms()
            res["responses"].append(r)
            buf = buf[used:]
            if r["status"] >= 200 or r["status"] == 101:
                finals += 1
                if after:  # the next request, now that this one is answered
                    try:
                        s.sendall(after.pop(0))
                    except OSError as e:
                        res["send_error"] = "after response %d: %s" % (finals, e.__class__.__name__)
            tunnel = r["status"] == 101
        if res["closed"]:
            break
        if not expect or finals < expect:
            deadline = time.monotonic() + timeout
    if res["closed"]:
        res["close_ms"] = ms()
    res.pop("linger_set", None)
    res["rest"] = buf[:400].decode("latin-1")
    res["ms"] = ms()
    s.close()
    return res


# ---- pipelining and upgrade -------------------------------------------------------


def pipeline(host, port, n):
    reqs = []
    for i in range(n):
        delay = 40 if i % 2 == 0 else 5  # later ones would finish first if run in parallel
        path = "/slow?ms=%d&seq=%d" % (delay, i)
        if i % 3 == 2:
            body = b"body of %d\n" % i
            reqs.append(b"POST %s HTTP/1.1\r\nHost: pipe\r\nContent-Length: %d\r\n\r\n%s"
                        % (path.encode(), len(body), body))
        else:
            reqs.append(b"GET %s HTTP/1.1\r\nHost: pipe\r\nX-Seq: %d\r\n\r\n" % (path.encode(), i))
    r = raw(host, port, b"".join(reqs), expect=n, timeout=10, linger=0.1)
    if "error" in r:
        return r
    order, bad = [], None
    for i, resp in enumerate(r["responses"]):
        try:
            echo = json.loads(resp["body"])
            seq = int(parse_qs(urlsplit(echo["path"]).query)["seq"][0])
            order.append(seq)
            want_len = len(b"body of %d\n" % seq) if seq % 3 == 2 else 0
            if resp["status"] != 200 or echo["body_len"] != want_len:
                bad = bad or "response %d: status %d body_len %d" % (i, resp["status"],
                                                                    echo["body_len"])
        except (ValueError, KeyError) as e:
            order.append(None)
            bad = bad or "response %d is not an echo (%s): %r" % (i, e, resp["body"][:120])
    out = {"n": n, "responses": len(r["responses"]), "order": order, "ms": r["ms"],
           "closed": r["closed"]}
    if len(r["responses"]) != n:
        out["error"] = "%d responses to %d requests" % (len(r["responses"]), n)
    elif order != list(range(n)):
        out["error"] = "out of order: %s" % order
    elif bad:
        out["error"] = bad
    return out


def upgrade(host, port, nbytes):
    s = socket.create_connection((host, port), timeout=5)
    s.sendall(b"GET /upgrade HTTP/1.1\r\nHost: up\r\nConnection: Upgrade\r\n"
              b"Upgrade: meshgw-echo\r\n\r\n")
    buf = b""
    while b"\r\n\r\n" not in buf:
        data = s.recv(CHUNK)
        if not data:
            return {"error": "closed before a response: %r" % buf[:200]}
        buf += data
    r, used = split_head(buf)
    out = {"status": r["status"], "headers": r["headers"]}
    if r["status"] != 101:
        out["error"] = "status %d, expected 101" % r["status"]
        return out
    payload = random.Random(7).randbytes(nbytes)
    got = bytearray(buf[used:])
    t0 = time.monotonic()
    for off in range(0, nbytes, 1000):  # several writes, each echoed on its own
        s.sendall(payload[off:off + 1000])
    while len(got) < nbytes:
        data = s.recv(CHUNK)
        if not data:
            break
        got += data
    s.shutdown(socket.SHUT_WR)
    try:
        tail = s.recv(CHUNK)
        out["ending"] = "eof" if not tail else "data"
    except OSError as e:
        out["ending"] = e.__class__.__name__
    out.update(echoed=len(got), ms=round((time.monotonic() - t0) * 1000, 1))
    if bytes(got) != payload:
        out["error"] = "echo differs: %d of %d bytes" % (len(got), nbytes)
    elif out["ending"] != "eof":
        out["error"] = "tunnel did not end with EOF after ours: %s" % out["ending"]
    return out


def load_conn(host, port, req, count, slow_ms, out, lock):
    """count requests on one keep-alive connection (reopened when closed)."""
    st, be, slow, errors, reconnects = {}, {}, 0, 0, 0
    s, buf = None, b""
    done = 0
    while done < count:
        if s is None:
            try:
                s = socket.create_connection((host, port), timeout=10)
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                errors += 1
                done += 1
                time.sleep(0.01)
                continue
            buf = b""
        t0 = time.monotonic()
        try:
            s.sendall(req)
            while b"\r\n\r\n" not in buf:
                d = s.recv(65536)
                if not d:
                    raise ConnectionError("closed")
                buf += d
            head, _, buf = buf.partition(b"\r\n\r\n")
            lines = head.split(b"\r\n")
            code = int(lines[0].split()[1])
            hdrs = {}
            for ln in lines[1:]:
                k, _, v = ln.partition(b":")
                hdrs[k.strip().lower()] = v.strip()
            n = int(hdrs.get(b"content-length", b"0"))
            while len(buf) < n:
                d = s.recv(65536)
                if not d:
                    raise ConnectionError("closed mid-body")
                buf += d
            buf = buf[n:]
            st[code] = st.get(code, 0) + 1
            b = hdrs.get(b"x-backend", b"-").decode()
            be[b] = be.get(b, 0) + 1
            if (time.monotonic() - t0) * 1000 >= slow_ms:
                slow += 1
            if hdrs.get(b"connection", b"").lower() == b"close":
                s.close()
                s = None
                reconnects += 1
        except (OSError, ValueError, IndexError):
            errors += 1
            if s is not None:
                s.close()
            s = None
            reconnects += 1
        done += 1
    if s is not None:
        s.close()
    with lock:
        for k, v in st.items():
            out["status"][str(k)] = out["status"].get(str(k), 0) + v
        for k, v in be.items():
            out["backend"][k] = out["backend"].get(k, 0) + v
        out["slow"] += slow
        out["errors"] += errors
        out["reconnects"] += reconnects


def load(host, port, n, conns, method, path, headers, slow_ms):
    req = ("%s %s HTTP/1.1\r\nHost: %s\r\n" % (method, path, host)).encode()
    for h in headers:
        req += h.encode() + b"\r\n"
    req += b"\r\n"
    out = {"n": n, "status": {}, "backend": {}, "slow": 0, "errors": 0, "reconnects": 0}
    lock = threading.Lock()
    t0 = time.monotonic()
    ths = [threading.Thread(target=load_conn,
                            args=(host, port, req, n // conns + (1 if i < n % conns else 0),
                                  slow_ms, out, lock)) for i in range(conns)]
    for t in ths:
        t.start()
    for t in ths:
        t.join()
    out["ms"] = round((time.monotonic() - t0) * 1000, 1)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("serve-echo")
    p.add_argument("addr")
    p.add_argument("port", type=int)
    p.add_argument("--name", default="b")
    p.add_argument("--log")
    p.add_argument("--fail-status", type=int, default=0)
    p.add_argument("--delay-ms", type=int, default=0)
    p = sub.add_parser("raw")
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("file", nargs="?")
    p.add_argument("--hex")
    p.add_argument("--expect", type=int, default=0)
    p.add_argument("--timeout", type=float, default=5)
    p.add_argument("--linger", type=float, default=0.3)
    p.add_argument("--head", action="store_true")
    p.add_argument("--trickle", type=float, default=0)
    p.add_argument("--shut", action="store_true")
    p.add_argument("--then-hex")
    p.add_argument("--after", action="append", default=[], metavar="HEX")
    p = sub.add_parser("pipeline")
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("n", type=int)
    p = sub.add_parser("load")
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("n", type=int)
    p.add_argument("--conns", type=int, default=4)
    p.add_argument("--method", default="GET")
    p.add_argument("--path", default="/")
    p.add_argument("--header", action="append", default=[])
    p.add_argument("--slow-ms", type=float, default=1e9)
    p = sub.add_parser("upgrade")
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("--bytes", type=int, default=100000)
    a = ap.parse_args()

    if a.cmd == "serve-echo":
        serve_echo(a.addr, a.port, a.name, a.log, a.fail_status, a.delay_ms)
        return
    if a.cmd == "raw":
        if (a.file is None) == (a.hex is None):
            ap.error("raw: give FILE or --hex")
        data = bytes.fromhex(a.hex) if a.hex is not None else open(a.file, "rb").read()
        res = raw(a.host, a.port, data, a.expect, a.timeout, a.linger, a.head, a.trickle,
                  a.shut, [bytes.fromhex(h) for h in a.after])
        if a.then_hex is not None and "error" not in res:
            res["then"] = raw(a.host, a.port, bytes.fromhex(a.then_hex), expect=1, linger=0)
            if "error" in res["then"]:
                res["error"] = "then: " + res["then"]["error"]
    elif a.cmd == "pipeline":
        res = pipeline(a.host, a.port, a.n)
    elif a.cmd == "load":
        res = load(a.host, a.port, a.n, a.conns, a.method, a.path, a.header, a.slow_ms)
    else:
        res = upgrade(a.host, a.port, a.bytes)
    print(json.dumps(res), flush=True)
    sys.exit(1 if "error" in res else 0)


if __name__ == "__main__":
    main()
