"""A loopback HTTP/1.1 server that answers every GET after a fixed delay.

Stands in for a JIRA that takes 50 ms per request, to measure how well
`request --parallel N` overlaps the waits. Threaded, keep-alive.
"""
import http.server
import sys
import time

DELAY = float(sys.argv[2]) if len(sys.argv) > 2 else 0.05
BODY = b'{"key":"HSP-1","fields":{"summary":"slow"}}'


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: without this, Nagle's algorithm
    # and the client's delayed ACK add ~40 ms to every answer.
    disable_nagle_algorithm = True

    def do_GET(self):
        time.sleep(DELAY)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, *args):
        pass


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128


if __name__ == "__main__":
    Server(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
