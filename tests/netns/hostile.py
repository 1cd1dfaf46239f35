#!/usr/bin/python3
"""hostile.py IFACE GW_MAC GW_IP PEER_IP MESHGWCTL SOCK - a hostile peer
against the gateway's echo service (port 7), every segment crafted with
scapy on an AF_PACKET socket (the peer kernel's own RSTs must be dropped
by the caller: it knows none of these connections).

Each case sends its segments, watches what the gateway answers, and
compares the gateway's counters (`meshgwctl --json stats`) before and
after. Prints one JSON object per case ({"case", "ok", "detail"}) and
exits 1 if any case failed:

  rst_out_of_window   RST far outside the window: ignored, unanswered
  rst_in_window       RST in the window, not at rcv_nxt: a challenge ACK
  syn_established     SYN on the open connection: a challenge ACK
  data_beyond_window  data past the offered window: dropped, an ACK
  overlap_first_wins  retransmissions with different bytes over data the
                      gateway has (delivered, or held out of order): the
                      echo returns the bytes that came first
  sack_blocks_invalid SACK blocks beyond snd_nxt, below snd_una and empty:
                      each dropped with its reason, the ACK taken
  zero_window         the peer's window shut with echo data waiting:
                      zero-window probes, then the data once it opens
  paws_old            a segment with an old timestamp: dropped, an ACK
  mss_tiny            a SYN with MSS 1: clamped to the gateway's floor,
                      the echo still works in tiny segments
  rst_exact           RST at exactly rcv_nxt: the connection resets
  alive               after all that, the first connection still echoes
                      and closes cleanly
"""
import json
import random
import select
import subprocess
import sys
import time

from scapy.all import IP, TCP, Ether, conf  # noqa: E402

conf.verb = 0
IFACE, GW_MAC, GW_IP, PEER_IP, MESHGWCTL, SOCK = sys.argv[1:7]
ECHO = 7
MY_MAC = open(f"/sys/class/net/{IFACE}/address").read().strip()
SOCKET = conf.L2socket(iface=IFACE)
TCP_MIN_MSS = 64  # stack/stk_tcp_input.c: a peer's MSS below this is raised
results = []


def stats():
    out = subprocess.run([MESHGWCTL, "-s", SOCK, "--json", "stats"], check=True,
                         capture_output=True, text=True).stdout
    t = json.loads(out)["totals"]
    return {"tcp": t["tcp"], "drops": t["drops"]}


def conn_info(port):
    out = subprocess.run([MESHGWCTL, "-s", SOCK, "--json", "conns", "--port", str(port)],
                         check=True, capture_output=True, text=True).stdout
    conns = json.loads(out)["connections"]
    return conns[0] if conns else None


def delta(before, after, group, name):
    return after[group].get(name, 0) - before[group].get(name, 0)


class Seg:
    """A segment from the gateway, decoded."""

    def __init__(self, pkt):
        ip, tcp = pkt[IP], pkt[TCP]
        hl = tcp.dataofs * 4
        n = ip.len - ip.ihl * 4 - hl
        self.seq, self.ack, self.win = tcp.seq, tcp.ack, tcp.window
        self.flags = str(tcp.flags)
        self.data = bytes(tcp)[hl:hl + n]
        self.opts = dict((k, v) for k, v in tcp.options if isinstance(k, str))

    def pure_ack(self):
        return self.flags == "A" and not self.data

    def __repr__(self):
        return f"<{self.flags} seq={self.seq} ack={self.ack} win={self.win} len={len(self.data)}>"


class Conn:
    """One connection to the echo service as a scripted peer: sequence
    numbers, timestamps, what came back."""

    def __init__(self, mss=1460):
        self.sport = random.randint(20000, 30000)
        self.iss = random.getrandbits(32)
        self.snd_nxt = self.iss
        self.rcv_nxt = 0
        self.tsval = random.getrandbits(31)
        self.ts_recent = 0
        self.mss = mss
        self.gw_win = 0
        self.echoed = b""
        self.segs = []

    def ts(self):
        self.tsval = (self.tsval + 1) & 0xFFFFFFFF
        return self.tsval

    def send(self, flags, seq=None, ack=None, data=b"", win=65535, tsval=None, opts=None):
        if opts is None:
            opts = [("NOP", None), ("NOP", None),
                    ("Timestamp", (self.ts() if tsval is None else tsval, self.ts_recent))]
        tcp = TCP(sport=self.sport, dport=ECHO, flags=flags,
                  seq=self.snd_nxt if seq is None else seq & 0xFFFFFFFF,
                  ack=(self.rcv_nxt if ack is None else ack) if "A" in flags else 0,
                  window=win, options=opts)
        SOCKET.send(Ether(dst=GW_MAC, src=MY_MAC) / IP(src=PEER_IP, dst=GW_IP) / tcp / data)

    def recv(self, timeout, until=None):
        """Gateway segments for this connection for timeout seconds, or
        until until(all segments so far) holds. Echo data is taken in order
        and acked (window win)."""
        got = []
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0 or (until is not None and until(got)):
                break
            r, _, _ = select.select([SOCKET], [], [], left)
            if not r:
                continue
            pkt = SOCKET.recv()
            if pkt is None or TCP not in pkt or IP not in pkt:
                continue
            if pkt[IP].src != GW_IP or pkt[TCP].sport != ECHO or pkt[TCP].dport != self.sport:
                continue
            s = Seg(pkt)
            got.append(s)
            self.take(s)
        self.segs += got
        return got

    def take(self, s):
        if "Timestamp" in s.opts:
            self.ts_recent = s.opts["Timestamp"][0]
        self.gw_win = s.win
        if s.data and s.seq == self.rcv_nxt:
            self.echoed += s.data
            self.rcv_nxt = (self.rcv_nxt + len(s.data)) & 0xFFFFFFFF
            self.send("A")
        if "F" in s.flags and (s.seq + len(s.data)) & 0xFFFFFFFF == self.rcv_nxt:
            self.rcv_nxt = (self.rcv_nxt + 1) & 0xFFFFFFFF
            self.send("A")

    def open(self):
        self.send("S", opts=[("MSS", self.mss), ("SAckOK", b""),
                             ("Timestamp", (self.ts(), 0)), ("NOP", None), ("NOP", None)])
        self.snd_nxt = (self.snd_nxt + 1) & 0xFFFFFFFF
        segs = self.recv(3, until=lambda g: any(s.flags == "SA" for s in g))
        sa = [s for s in segs if s.flags == "SA"]
        if not sa or sa[0].ack != self.snd_nxt:
            raise RuntimeError(f"no SYN-ACK for port {self.sport}: {segs}")
        self.rcv_nxt = (sa[0].seq + 1) & 0xFFFFFFFF
        self.send("A")

    def echo(self, data, timeout=3):
        """Sends data at snd_nxt; returns what the echo sent back for it."""
        start = len(self.echoed)
        self.send("PA", data=data)
        self.snd_nxt = (self.snd_nxt + len(data)) & 0xFFFFFFFF
        self.recv(timeout, until=lambda g: len(self.echoed) - start >= len(data))
        return self.echoed[start:]

    def wait_echo(self, n, timeout=3):
        start = len(self.echoed)
        self.recv(timeout, until=lambda g: len(self.echoed) - start >= n)
        return self.echoed[start:]


def case(name):
    def wrap(fn):
        def run(*args):
            if args:
                args[0].recv(0.1)  # what earlier cases set off (delayed ACKs) goes first
            before = stats()
            problems = []
            try:
                detail = fn(before, problems, *args)
            except Exception as e:  # a case that crashed is a failed case
                problems.append(f"{type(e).__name__}: {e}")
                detail = None
            results.append({"case": name, "ok": not problems, "detail": problems or detail})
            print(json.dumps(results[-1]), flush=True)
        return run
    return wrap


def expect(problems, cond, what):
    if not cond:
        problems.append(what)


def challenge_ack(c, segs):
    return any(s.pure_ack() and s.ack == c.snd_nxt for s in segs)


def established(c):
    ci = conn_info(c.sport)
    return ci is not None and ci["state"] == "established"


@case("rst_out_of_window")
def rst_out_of_window(before, p, c):
    c.send("R", seq=c.snd_nxt + 0x40000000)
    c.send("R", seq=c.snd_nxt - 0x40000000)
    segs = c.recv(0.3)
    after = stats()
    expect(p, delta(before, after, "drops", "tcp_rst_ignored") == 2,
           f"tcp_rst_ignored rose by {delta(before, after, 'drops', 'tcp_rst_ignored')}, not 2")
    expect(p, not segs, f"answered: {segs}")
    expect(p, established(c), "the connection did not survive")
    return {"answers": len(segs)}


@case("rst_in_window")
def rst_in_window(before, p, c):
    c.send("R", seq=c.snd_nxt + 1000)
    segs = c.recv(1, until=lambda g: challenge_ack(c, g))
    after = stats()
    expect(p, challenge_ack(c, segs), f"no challenge ACK for {c.snd_nxt}: {segs}")
    for k, g in (("tcp_rst_challenged", "drops"), ("challenge_acks", "tcp")):
        expect(p, delta(before, after, g, k) == 1, f"{k} rose by {delta(before, after, g, k)}")
    expect(p, delta(before, after, "tcp", "estab_resets") == 0, "estab_resets rose")
    expect(p, established(c), "the connection did not survive")
    return {"answers": repr(segs)}


@case("syn_established")
def syn_established(before, p, c):
    c.send("S", seq=c.snd_nxt + 5000, opts=[("MSS", 1460), ("NOP", None), ("NOP", None),
                                            ("Timestamp", (c.ts(), 0))])
    segs = c.recv(1, until=lambda g: challenge_ack(c, g))
    after = stats()
    expect(p, challenge_ack(c, segs), f"no challenge ACK for {c.snd_nxt}: {segs}")
    for k, g in (("tcp_unexpected_syn", "drops"), ("challenge_acks", "tcp")):
        expect(p, delta(before, after, g, k) == 1, f"{k} rose by {delta(before, after, g, k)}")
    expect(p, established(c), "the connection did not survive")
    return {"answers": repr(segs)}


@case("data_beyond_window")
def data_beyond_window(before, p, c):
    wnd = c.gw_win  # no window scaling offered: the field is the window
    c.send("PA", seq=c.snd_nxt + wnd + 100, data=b"X" * 100)
    segs = c.recv(0.5, until=lambda g: any(s.pure_ack() for s in g))
    after = stats()
    expect(p, any(s.pure_ack() and s.ack == c.snd_nxt for s in segs),
           f"no ACK for {c.snd_nxt}: {segs}")
    expect(p, delta(before, after, "drops", "tcp_out_of_window") == 1,
           f"tcp_out_of_window rose by {delta(before, after, 'drops', 'tcp_out_of_window')}")
    expect(p, not any(s.data for s in segs), "data came back")
    return {"window": wnd}


@case("overlap_first_wins")
def overlap_first_wins(before, p, c):
    # delivered data, then a retransmission over half of it with other bytes
    got = c.echo(b"A" * 100)
    expect(p, got == b"A" * 100, f"echo of the original: {got[:20]!r}... ({len(got)} bytes)")
    x = c.snd_nxt
    c.send("PA", seq=x - 50, data=b"B" * 100)
    c.snd_nxt = (x + 50) & 0xFFFFFFFF
    got = c.wait_echo(50)
    expect(p, got == b"B" * 50, f"after the overlap: {got!r}, expected 50 x B")
    # out of order: C held, D over half of it, then E fills the hole
    x = c.snd_nxt
    c.send("PA", seq=x + 100, data=b"C" * 100)
    c.send("PA", seq=x + 150, data=b"D" * 100)
    c.send("PA", seq=x, data=b"E" * 100)
    c.snd_nxt = (x + 250) & 0xFFFFFFFF
    got = c.wait_echo(250)
    want = b"E" * 100 + b"C" * 100 + b"D" * 50
    expect(p, got == want, f"out-of-order overlap: {got!r}, expected E*100 C*100 D*50")
    after = stats()
    expect(p, delta(before, after, "tcp", "ooo_segments") >= 2, "no out-of-order segments counted")
    return {"echoed": len(c.echoed)}


@case("sack_blocks_invalid")
def sack_blocks_invalid(before, p, c):
    hi = c.rcv_nxt  # the gateway's snd_nxt: everything it sent is acked
    blocks = ((hi + 10000) & 0xFFFFFFFF, (hi + 20000) & 0xFFFFFFFF,  # beyond snd_nxt
              (hi - 2000) & 0xFFFFFFFF, (hi - 1000) & 0xFFFFFFFF,    # below snd_una
              (hi - 5) & 0xFFFFFFFF, (hi - 5) & 0xFFFFFFFF)          # empty
    c.send("A", opts=[("NOP", None), ("NOP", None), ("Timestamp", (c.ts(), c.ts_recent)),
                      ("NOP", None), ("NOP", None), ("SAck", blocks)])
    time.sleep(0.2)
    after = stats()
    n = delta(before, after, "tcp", "sack_blocks_invalid")
    expect(p, n == 3, f"sack_blocks_invalid rose by {n}, not 3")
    for r in ("tcp_sack_block_beyond_snd_nxt", "tcp_sack_block_below_snd_una", "tcp_sack_block_empty"):
        d = delta(before, after, "drops", r)
        expect(p, d == 1, f"drop reason {r} rose by {d}, not 1")
    expect(p, established(c), "the connection did not survive")
    got = c.echo(b"after" * 10)
    expect(p, got == b"after" * 10, f"echo after the bad blocks: {got!r}")
    return {"sack_blocks_invalid": n}


@case("zero_window")
def zero_window(before, p, c):
    data = bytes(range(256)) * 2
    # the data, with the peer's window shut: the echo must wait
    c.send("PA", data=data, win=0)
    c.snd_nxt = (c.snd_nxt + len(data)) & 0xFFFFFFFF
    probes = []
    end = time.monotonic() + 0.9
    while time.monotonic() < end:
        for s in c.recv(end - time.monotonic(), until=lambda g: len(g) > 0):
            if not s.data and s.seq == (c.rcv_nxt - 1) & 0xFFFFFFFF:
                probes.append(s)
                c.send("A", win=0)  # still shut
            elif s.data:
                p.append(f"data sent into a zero window: {s}")
    mid = stats()
    expect(p, len(probes) >= 2, f"{len(probes)} zero-window probes seen in 0.9 s")
    n = delta(before, mid, "tcp", "zero_window_probes")
    expect(p, n >= len(probes), f"zero_window_probes rose by {n}, {len(probes)} seen")
    # open it: the data comes
    start = len(c.echoed)
    c.send("A")
    got = c.wait_echo(len(data))
    expect(p, c.echoed[start:] == data, f"after the window opened: {len(got)} bytes")
    return {"probes": len(probes)}


@case("paws_old")
def paws_old(before, p, c):
    c.send("PA", data=b"OLD", tsval=(c.tsval - 100000) & 0xFFFFFFFF)
    segs = c.recv(0.5, until=lambda g: any(s.pure_ack() for s in g))
    after = stats()
    expect(p, any(s.pure_ack() and s.ack == c.snd_nxt for s in segs),
           f"no ACK for {c.snd_nxt}: {segs}")
    n = delta(before, after, "drops", "tcp_paws_rejected")
    expect(p, n == 1, f"tcp_paws_rejected rose by {n}")
    expect(p, not any(s.data for s in segs), "the old segment's data came back")
    # the same bytes with a current timestamp are taken
    got = c.echo(b"NEW")
    expect(p, got == b"NEW", f"echo after PAWS: {got!r}")
    return {"answers": repr(segs)}


@case("mss_tiny")
def mss_tiny(before, p, c):
    c.open()
    ci = conn_info(c.sport)
    expect(p, ci is not None and ci["options"]["mss"] == TCP_MIN_MSS,
           f"gateway mss {ci and ci['options']['mss']}, expected the floor {TCP_MIN_MSS}")
    data = bytes(random.getrandbits(8) for _ in range(600))
    got = c.echo(data)
    expect(p, got == data, f"echo through MSS {TCP_MIN_MSS}: {len(got)} of {len(data)} bytes")
    sizes = sorted({len(s.data) for s in c.segs if s.data})
    # timestamps take 12 bytes of each segment
    expect(p, sizes and max(sizes) == TCP_MIN_MSS - 12, f"segment sizes {sizes}")
    return {"sizes": sizes}


@case("rst_exact")
def rst_exact(before, p, c):
    c.send("R", seq=c.snd_nxt)
    time.sleep(0.2)
    after = stats()
    expect(p, delta(before, after, "tcp", "estab_resets") == 1, "estab_resets did not rise")
    expect(p, conn_info(c.sport) is None, "the connection is still there")


@case("alive")
def alive(before, p, c):
    got = c.echo(b"still here")
    expect(p, got == b"still here", f"echo: {got!r}")
    # close: our FIN, the echo's FIN, our ACK (Conn.take)
    c.send("FA")
    c.snd_nxt = (c.snd_nxt + 1) & 0xFFFFFFFF
    c.recv(2, until=lambda g: any("F" in s.flags for s in g))
    time.sleep(0.2)
    expect(p, conn_info(c.sport) is None, f"not closed: {conn_info(c.sport)}")
    after = stats()
    expect(p, delta(before, after, "tcp", "challenge_acks_limited") == 0, "challenge ACKs limited")


def main():
    c = Conn()
    c.open()
    got = c.echo(b"hello")
    if got != b"hello":
        print(json.dumps({"case": "open", "ok": False, "detail": f"echo {got!r}"}))
        return 1
    rst_out_of_window(c)
    rst_in_window(c)
    syn_established(c)
    data_beyond_window(c)
    overlap_first_wins(c)
    sack_blocks_invalid(c)
    zero_window(c)
    paws_old(c)
    tiny = Conn(mss=1)
    mss_tiny(tiny)
    rst_exact(tiny)
    alive(c)
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
