#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Writes the seed corpus of fuzz_h1 (see fuzz_h1.c for the input format: a
control byte, a split byte, then the message). Standard library only.

    python3 make_corpus.py [dir]   (default: tests/fuzz; seeds go to
    DIR/fuzz_h1_request/corpus and DIR/fuzz_h1_response/corpus)
"""
import os
import sys

# control byte bits (fuzz_h1.c); the low nibble is the request method for
# the response parse: 1 GET, 2 HEAD, 4 PUT, 6 CONNECT
GET, HEAD, PUT, CONNECT = 1, 2, 4, 6
SMALL_HEAD, FEW_FIELDS, CLOSE, SMALL_BODY = 0x10, 0x20, 0x40, 0x80
HALF = 0x80

TP = b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def req(line, *fields, body=b""):
    return line + b"\r\n" + b"".join(f + b"\r\n" for f in fields) + b"\r\n" + body


def post(*fields, body=b""):
    return req(b"POST /upload HTTP/1.1", b"Host: svc", *fields, body=body)


CHUNKED = b"Transfer-Encoding: chunked"
BODY = b"5\r\nhello\r\n6;ext=1;q=\"a b\"\r\n world\r\n0\r\nX-Sum: 1\r\n\r\n"


def corpus():
    # valid requests
    yield "get", GET, HALF, req(b"GET /index.html?q=1 HTTP/1.1", b"Host: example.com",
                               b"User-Agent: curl/8.0", b"Accept: */*")
    yield "get_http10_keepalive", 0, HALF, req(b"GET / HTTP/1.0", b"Connection: keep-alive")
    yield "post_length", 0, 0x40, post(b"Content-Length: 5", body=b"hello")
    yield "post_chunked", 0, 0x60, post(CHUNKED, body=BODY)
    yield "pipelined", 0, 0x30, (post(b"Content-Length: 2", body=b"hi") +
                                 req(b"GET /b HTTP/1.1", b"Host: svc"))
    yield "expect_continue", 0, HALF, post(b"Expect: 100-continue", b"Content-Length: 3",
                                           body=b"abc")
    yield "websocket", 0, HALF, req(b"GET /chat HTTP/1.1", b"Host: a", b"Connection: Upgrade",
                                    b"Upgrade: websocket", b"Sec-WebSocket-Version: 13")
    yield "trace_headers", 0, HALF, req(b"GET / HTTP/1.1", b"Host: a", b"traceparent: " + TP,
                                        b"tracestate: k=v", b"X-Request-Id: abc",
                                        b"X-Forwarded-For: 1.2.3.4",
                                        b"X-Forwarded-Proto: https", b"X-B3-TraceId: 1")
    yield "hop_by_hop", CLOSE, HALF, req(b"GET / HTTP/1.1", b"Host: a",
                                         b"Connection: keep-alive, X-Hop", b"X-Hop: 1",
                                         b"Keep-Alive: 5", b"TE: trailers",
                                         b"Proxy-Connection: close", b"Trailer: X")
    yield "odd_values", 0, HALF, req(b"OPTIONS * HTTP/1.1", b"Host: a", b"X: a  b",
                                     b"Y:", b"Z:\t v \t", b"O: caf\xc3\xa9")
    yield "leading_crlf", 0, HALF, b"\r\n" + req(b"GET / HTTP/1.1", b"Host: a")
    yield "many_fields", FEW_FIELDS, HALF, req(b"GET / HTTP/1.1", b"Host: a",
                                               *[b"X-%d: %d" % (i, i) for i in range(12)])
    yield "long_head", SMALL_HEAD, HALF, req(b"GET /" + b"a" * 300 + b" HTTP/1.1", b"Host: a")
    yield "body_limit", SMALL_BODY, 0x20, post(CHUNKED, body=b"40\r\n" + b"x" * 64 +
                                               b"\r\n1\r\ny\r\n0\r\n\r\n")
    # valid responses
    yield "resp_length", GET, HALF, b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
    yield "resp_chunked", GET, 0x10, b"HTTP/1.1 200 OK\r\n" + CHUNKED + b"\r\n\r\n" + BODY
    yield "resp_close", GET, HALF, b"HTTP/1.0 200 OK\r\nServer: x\r\n\r\nuntil close"
    yield "resp_head", HEAD, HALF, b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"
    yield "resp_204", GET, HALF, b"HTTP/1.1 204 No Content\r\n\r\n"
    yield "resp_304", GET, HALF, b"HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n"
    yield "resp_100", PUT, HALF, (b"HTTP/1.1 100 Continue\r\n\r\n"
                                  b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n")
    yield "resp_101", GET, HALF, (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket"
                                  b"\r\nConnection: Upgrade\r\n\r\n")
    yield "resp_connect", CONNECT, HALF, b"HTTP/1.1 200 Connection established\r\n\r\n"
    yield "resp_no_phrase", GET, HALF, b"HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n"
    # smuggling: each must be refused
    yield "cl_te", 0, HALF, post(b"Content-Length: 6", CHUNKED, body=b"0\r\n\r\nX")
    yield "te_cl", 0, HALF, post(CHUNKED, b"Content-Length: 6", body=b"0\r\n\r\nX")
    yield "cl_dup", 0, HALF, post(b"Content-Length: 5", b"Content-Length: 5", body=b"hello")
    yield "cl_differ", 0, HALF, post(b"Content-Length: 5", b"Content-Length: 6",
                                     body=b"hello!")
    yield "cl_list", 0, HALF, post(b"Content-Length: 5, 5", body=b"hello")
    yield "cl_signed", 0, HALF, post(b"Content-Length: +5", body=b"hello")
    yield "cl_overflow", 0, HALF, post(b"Content-Length: 18446744073709551621", body=b"hello")
    yield "cl_underscore", 0, HALF, post(b"Content_Length: 5", body=b"hello")
    yield "te_gzip", 0, HALF, post(b"Transfer-Encoding: gzip, chunked", body=BODY)
    yield "te_twice", 0, HALF, post(CHUNKED, CHUNKED, body=BODY)
    yield "te_chunked_chunked", 0, HALF, post(b"Transfer-Encoding: chunked, chunked",
                                              body=BODY)
    yield "te_quoted", 0, HALF, post(b"Transfer-Encoding: \"chunked \"", body=BODY)
    yield "te_xchunked", 0, HALF, post(b"Transfer-Encoding: xchunked", body=BODY)
    yield "te_vtab", 0, HALF, post(b"Transfer-Encoding: chunked\x0b", body=BODY)
    yield "te_param", 0, HALF, post(b"Transfer-Encoding: chunked;", body=BODY)
    yield "te_space_colon", 0, HALF, post(b"Transfer-Encoding : chunked", body=BODY)
    yield "te_http10", 0, HALF, req(b"POST / HTTP/1.0", CHUNKED, body=BODY)
    yield "te_obs_fold", 0, HALF, post(b"Transfer-Encoding:", b" chunked", body=BODY)
    yield "obs_fold", 0, HALF, req(b"GET / HTTP/1.1", b"Host: a", b"X: a", b"\tb")
    yield "bare_lf", 0, HALF, b"GET / HTTP/1.1\nHost: a\n\n"
    yield "bare_cr", 0, HALF, b"GET / HTTP/1.1\r\nHost: a\rX: 1\r\n\r\n"
    yield "name_ctl", 0, HALF, req(b"GET / HTTP/1.1", b"Host: a", b"X\x01: 1")
    yield "value_nul", 0, HALF, req(b"GET / HTTP/1.1", b"Host: a", b"X: a\x00b")
    yield "target_space", 0, HALF, req(b"GET /a b HTTP/1.1", b"Host: a")
    yield "no_host", 0, HALF, req(b"GET / HTTP/1.1", b"X: a")
    yield "two_hosts", 0, HALF, req(b"GET / HTTP/1.1", b"Host: a", b"Host: b")
    yield "empty_name", 0, HALF, req(b"GET / HTTP/1.1", b"Host: a", b": x")
    yield "http09", 0, HALF, b"GET /\r\n\r\n"
    yield "http2_version", 0, HALF, req(b"GET / HTTP/2.0", b"Host: a")
    yield "conn_names_cl", 0, HALF, post(b"Connection: content-length", b"Content-Length: 1",
                                         body=b"x")
    # chunked bodies, good and bad (framed raw by the harness too)
    yield "chunk_ext_quoted", 0, 0x08, post(CHUNKED, body=b"3;a=\"\\\"x\";b\r\nabc\r\n0\r\n\r\n")
    yield "chunk_size_space", 0, HALF, post(CHUNKED, body=b"5 \r\nhello\r\n0\r\n\r\n")
    yield "chunk_size_long", 0, HALF, post(CHUNKED, body=b"00000000000000005\r\nhello\r\n0\r\n\r\n")
    yield "chunk_size_hex_overflow", 0, HALF, post(CHUNKED, body=b"fffffffffffffffff\r\n")
    yield "chunk_missing_crlf", 0, HALF, post(CHUNKED, body=b"5\r\nhelloX\r\n0\r\n\r\n")
    yield "chunk_lf_only", 0, HALF, post(CHUNKED, body=b"5\nhello\n0\n\n")
    yield "chunk_trailer_cl", 0, HALF, post(CHUNKED, body=b"0\r\nContent-Length: 5\r\n\r\n")
    yield "chunk_trailer_fold", 0, HALF, post(CHUNKED, body=b"0\r\nX: a\r\n b\r\n\r\n")
    yield "raw_chunked", 0, 0x50, BODY + b"GET / HTTP/1.1\r\n"
    # trace headers as raw values
    yield "traceparent", 0, HALF, TP
    yield "traceparent_future", 0, HALF, b"cc" + TP[2:] + b"-what-the-future-will-be-like"


def main():
    # response seeds (resp_*) go to fuzz_h1_response, the rest to fuzz_h1_request
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    base = sys.argv[1] if len(sys.argv) > 1 else here
    for name, ctl, split, msg in corpus():
        side = "fuzz_h1_response" if name.startswith("resp_") else "fuzz_h1_request"
        out = os.path.join(base, side, "corpus")
        os.makedirs(out, exist_ok=True)
        with open(os.path.join(out, name), "wb") as f:
            f.write(bytes([ctl, split]) + msg)


if __name__ == "__main__":
    main()
