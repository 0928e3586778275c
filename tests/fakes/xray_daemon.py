#!/usr/bin/env python3
"""A stand-in for the AWS X-Ray daemon, for cruddur-obs tests: UDP in, PutTraceSegments out.

    python tests/fakes/xray_daemon.py --endpoint http://127.0.0.1:MOTOPORT
        [--host 127.0.0.1] [--port 0] [--region us-east-1] [--batch-window 0.1]

Listens where an X-Ray SDK sends segments (the real daemon's 2000/udp), as the real daemon does:
every datagram is a JSON header line, a newline, then one segment document,

    {"format": "json", "version": 1}\\n{"trace_id": "1-...", "id": "...", "name": ..., ...}

(the Python SDK sends a finished segment whole, or streams some subsegments separately, each a
document with "type": "subsegment", "trace_id" and "parent_id"). Each document is forwarded, as the
text received, to X-Ray's PutTraceSegments at --endpoint (moto implements X-Ray's data plane), in
batches of at most 50 documents sent within --batch-window seconds (default 0.1) of the first one
arriving: well within a second. Datagrams that are not a JSON header line and a JSON object
document are dropped, as the real daemon drops them.

The same port number is also bound on TCP, where the real daemon serves its sampling proxy: here
every connection is accepted and closed at once (an SDK then falls back to its local sampling
rules). A port of 0 picks a port that is free on both.

Credentials and region: --region, else $AWS_REGION, $AWS_DEFAULT_REGION, us-east-1; the
credentials are $AWS_ACCESS_KEY_ID and $AWS_SECRET_ACCESS_KEY (and $AWS_SESSION_TOKEN), else the
fake "testing"/"testing". Nothing is read from ~/.aws for them.

Once bound, prints exactly one line to stdout:

    {"udp": "127.0.0.1:PORT"}

then serves until SIGTERM/SIGINT, sends what is still queued (for at most a second), prints one
line of counts to stderr,

    xray_daemon: {"received": N, "forwarded": N, "unprocessed": N, "bad_datagrams": N, "errors": N}

and exits 0. forwarded counts documents PutTraceSegments accepted; unprocessed those it answered
as UnprocessedTraceSegments; errors the documents of calls that failed outright. Each bad
datagram, unprocessed segment and failed call is also reported on stderr, one line each; nothing
else is logged. Needs boto3.
"""

import argparse
import json
import os
import queue
import signal
import socket
import sys
import threading
import time

import boto3
from botocore.config import Config

MAX_BATCH = 50  # PutTraceSegments takes at most 50 documents a call
MAX_DATAGRAM = 65536
FLUSH_ON_EXIT = 1.0  # seconds to spend sending what is queued when stopping


def log(message):
    print(f"xray_daemon: {message}", file=sys.stderr, flush=True)


def parse_datagram(data):
    """A datagram -> the segment document's text. Raises ValueError when it is not one."""
    text = data.decode("utf-8")
    header_line, sep, document = text.partition("\n")
    if not sep:
        raise ValueError("no newline between the header and the document")
    header = json.loads(header_line)
    if not isinstance(header, dict) or header.get("format") != "json":
        raise ValueError(f"the header is not {{\"format\": \"json\", ...}}: {header_line[:80]!r}")
    document = document.strip()
    doc = json.loads(document)
    if not isinstance(doc, dict):
        raise ValueError("the segment document is not a JSON object")
    return document


class Daemon:
    def __init__(self, client, batch_window):
        self.client = client
        self.batch_window = batch_window
        self.queue = queue.Queue()
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.counts = {"received": 0, "forwarded": 0, "unprocessed": 0, "bad_datagrams": 0, "errors": 0}

    def count(self, name, n=1):
        with self.lock:
            self.counts[name] += n

    def serve_udp(self, sock):
        while not self.stopping.is_set():
            try:
                data, _ = sock.recvfrom(MAX_DATAGRAM)
            except socket.timeout:
                continue
            except OSError:
                return  # closed at shutdown
            try:
                document = parse_datagram(data)
            except (ValueError, UnicodeDecodeError) as e:
                self.count("bad_datagrams")
                log(f"dropped a datagram that is not a segment ({e})")
                continue
            self.count("received")
            self.queue.put(document)

    def serve_tcp(self, sock):
        while not self.stopping.is_set():
            try:
                conn, _ = sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            conn.close()  # no sampling proxy here: the SDK falls back to its local rules

    def take_batch(self, first_wait):
        """Up to MAX_BATCH documents: waits up to first_wait for one, then batch_window for more."""
        try:
            batch = [self.queue.get(timeout=first_wait)]
        except queue.Empty:
            return []
        deadline = time.monotonic() + self.batch_window
        while len(batch) < MAX_BATCH:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                batch.append(self.queue.get(timeout=left))
            except queue.Empty:
                break
        return batch

    def send(self, batch):
        try:
            answer = self.client.put_trace_segments(TraceSegmentDocuments=batch)
        except Exception as e:  # noqa: BLE001 - any failure of the call is counted and reported
            self.count("errors", len(batch))
            log(f"PutTraceSegments of {len(batch)} document(s) failed: {e}")
            return
        unprocessed = answer.get("UnprocessedTraceSegments") or []
        for segment in unprocessed:
            log(f"segment {segment.get('Id')} unprocessed: {segment.get('ErrorCode')} {segment.get('Message')}")
        self.count("unprocessed", len(unprocessed))
        self.count("forwarded", len(batch) - len(unprocessed))

    def forward(self):
        while not self.stopping.is_set():
            batch = self.take_batch(0.2)
            if batch:
                self.send(batch)

    def drain(self):
        deadline = time.monotonic() + FLUSH_ON_EXIT
        while time.monotonic() < deadline:
            batch = []
            while len(batch) < MAX_BATCH:
                try:
                    batch.append(self.queue.get_nowait())
                except queue.Empty:
                    break
            if not batch:
                return
            self.send(batch)


def bind(host, port):
    """A UDP socket and, when it can be had, a TCP listener on the same port number."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    for _ in range(50):
        udp = socket.socket(family, socket.SOCK_DGRAM)
        udp.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        udp.bind((host, port))
        bound = udp.getsockname()[1]
        tcp = socket.socket(family, socket.SOCK_STREAM)
        tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            tcp.bind((host, bound))
            tcp.listen(16)
            return udp, tcp
        except OSError as e:
            tcp.close()
            if port != 0:
                log(f"TCP port {bound} is taken ({e}); serving UDP only")
                return udp, None
            udp.close()  # port 0: try another free port
    raise OSError("found no port free on both UDP and TCP")


def main(argv=None):
    parser = argparse.ArgumentParser(description="X-Ray daemon stand-in: UDP segments -> PutTraceSegments.")
    parser.add_argument("--endpoint", required=True, help="X-Ray API endpoint, e.g. moto's http://127.0.0.1:PORT")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="UDP (and TCP) port; 0 (the default) picks a free one")
    parser.add_argument("--region", default=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
                        or "us-east-1", help="AWS region (default $AWS_REGION, $AWS_DEFAULT_REGION, us-east-1)")
    parser.add_argument("--batch-window", type=float, default=0.1,
                        help="seconds to gather more segments after the first before sending (default 0.1)")
    args = parser.parse_args(argv)
    if not 0 <= args.batch_window <= 1:
        parser.error("--batch-window must be from 0 to 1 second")

    client = boto3.session.Session(
        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID") or "testing",
        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY") or "testing",
        aws_session_token=os.environ.get("AWS_SESSION_TOKEN") or None,
        region_name=args.region,
    ).client("xray", endpoint_url=args.endpoint,
             config=Config(connect_timeout=2, read_timeout=5, retries={"max_attempts": 2, "mode": "standard"}))
    daemon = Daemon(client, args.batch_window)

    udp, tcp = bind(args.host, args.port)
    udp.settimeout(0.2)
    threads = [threading.Thread(target=daemon.serve_udp, args=(udp,), name="udp", daemon=True),
               threading.Thread(target=daemon.forward, name="forward", daemon=True)]
    if tcp is not None:
        tcp.settimeout(0.2)
        threads.append(threading.Thread(target=daemon.serve_tcp, args=(tcp,), name="tcp", daemon=True))

    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    # SIGINT is installed explicitly: a shell starts background jobs with it ignored.
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    for thread in threads:
        thread.start()
    host, port = udp.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    print(json.dumps({"udp": f"{shown}:{port}"}), flush=True)
    while not stop.wait(0.5):
        pass
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    daemon.stopping.set()
    udp.close()
    if tcp is not None:
        tcp.close()
    for thread in threads:
        thread.join(timeout=6)  # a PutTraceSegments under way ends within its timeouts
    daemon.drain()
    with daemon.lock:
        log(json.dumps(daemon.counts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
