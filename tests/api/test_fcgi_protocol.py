"""The FastCGI side of a worker, spoken directly on its unix socket."""
import socket
import struct

from lib import (BEGIN, END, GET_VALUES, GET_VALUES_RESULT, UNKNOWN, STACK, fcgi_connect,
                 fcgi_nv, fcgi_params, fcgi_read_record, fcgi_read_response, fcgi_record,
                 fcgi_request_bytes, worker_pids)

# public: a service without a slow lane, so its children are exactly the
# TB_WORKERS=2 workers of this socket (query has a slow lane since issue 10)
SOCK = "%s/run/public.sock" % STACK


def test_many_requests_on_one_kept_connection():
    s = fcgi_connect(SOCK)
    for i in range(1, 21):
        s.sendall(fcgi_request_bytes(i, fcgi_params("/healthz")))
        status, headers, body, proto = fcgi_read_response(s, rid=i)
        assert status == 200 and proto == 0 and b'"service":"public"' in body
    s.close()


def test_without_keep_conn_the_worker_closes():
    s = fcgi_connect(SOCK)
    s.sendall(fcgi_request_bytes(1, fcgi_params("/healthz"), keep=False))
    assert fcgi_read_response(s)[0] == 200
    assert s.recv(1) == b""
    s.close()


def test_more_idle_kept_connections_than_workers_are_all_served():
    # the libfcgi trap: a worker stuck on one idle kept connection. Here two
    # workers hold 100 connections and each still gets its answer.
    assert len(worker_pids("public")) == 2
    conns = [fcgi_connect(SOCK) for _ in range(100)]
    for c in conns:
        c.sendall(fcgi_request_bytes(1, fcgi_params("/healthz")))
    for c in reversed(conns):
        assert fcgi_read_response(c)[0] == 200
    for c in conns:
        c.sendall(fcgi_request_bytes(2, fcgi_params("/healthz")))
    for c in conns:
        assert fcgi_read_response(c, rid=2)[0] == 200
        c.close()


def test_a_second_request_on_the_same_connection_is_refused_as_multiplexing():
    s = fcgi_connect(SOCK)
    s.sendall(fcgi_record(BEGIN, 1, struct.pack(">HB5x", 1, 1)) +
              fcgi_record(BEGIN, 2, struct.pack(">HB5x", 1, 1)))
    rtype, rid, content = fcgi_read_record(s)
    assert (rtype, rid, content[4]) == (END, 2, 1)  # FCGI_CANT_MPX_CONN
    s.close()


def test_unknown_role_and_record_types_get_protocol_answers():
    s = fcgi_connect(SOCK)
    s.sendall(fcgi_record(BEGIN, 3, struct.pack(">HB5x", 2, 1)))  # authorizer
    rtype, rid, content = fcgi_read_record(s)
    assert (rtype, rid, content[4]) == (END, 3, 3)  # FCGI_UNKNOWN_ROLE
    s.sendall(fcgi_record(GET_VALUES, 0, fcgi_nv("FCGI_MPXS_CONNS", "")))
    rtype, rid, content = fcgi_read_record(s)
    assert rtype == GET_VALUES_RESULT and content.endswith(b"FCGI_MPXS_CONNS0")
    s.sendall(fcgi_record(42, 0, b"\0" * 8))
    rtype, rid, content = fcgi_read_record(s)
    assert rtype == UNKNOWN and content[0] == 42
    s.close()


def test_garbage_closes_the_connection_and_the_worker_lives_on():
    pids = worker_pids("public")
    s = fcgi_connect(SOCK)
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    s.settimeout(5)
    assert s.recv(100) == b""
    s.close()
    assert worker_pids("public") == pids
    s = fcgi_connect(SOCK)
    s.sendall(fcgi_request_bytes(1, fcgi_params("/healthz")))
    assert fcgi_read_response(s)[0] == 200
    s.close()


def test_oversized_params_are_refused_with_a_problem():
    s = fcgi_connect(SOCK)
    p = fcgi_params("/healthz")
    p["HTTP_X_BIG"] = "x" * 60000
    p["HTTP_X_BIG2"] = "y" * 60000
    s.sendall(fcgi_request_bytes(1, p))
    status, _, body, _ = fcgi_read_response(s)
    assert status == 400 and b'"code":"headers_too_large"' in body
    s.close()


def test_a_client_that_disconnects_mid_request_does_not_hurt_others():
    s = fcgi_connect(SOCK)
    s.sendall(fcgi_request_bytes(1, fcgi_params("/healthz"))[:20])
    s.shutdown(socket.SHUT_RDWR)
    s.close()
    t = fcgi_connect(SOCK)
    t.sendall(fcgi_request_bytes(1, fcgi_params("/healthz")))
    assert fcgi_read_response(t)[0] == 200
    t.close()
