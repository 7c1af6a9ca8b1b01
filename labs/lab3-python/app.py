"""textmatch: how alike are two strings? A small HTTP service on the standard library.

The hot loops live in the C extension module _hot (see _hot.c and the Makefile).
"""
import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import _hot

MAX_LENGTH = 2000


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        url = urlparse(self.path)
        query = {key: values[0] for key, values in parse_qs(url.query, keep_blank_values=True).items()}
        if url.path == "/healthz":
            return self.reply(200, "ok\n", "text/plain")
        if url.path == "/stamp":
            # With ?x=N, the stamp function's value for N too: computed by the compiled module.
            x = query.get("x", "")
            value = f" {_hot.stamp_of(int(x))}" if x.isascii() and x.isdigit() and int(x) < 2**32 else ""
            return self.reply(200, _hot.stamp() + value + "\n", "text/plain")
        if url.path == "/distance":
            a, b = query.get("a"), query.get("b")
            if a is None or b is None or len(a) > MAX_LENGTH or len(b) > MAX_LENGTH:
                return self.reply(400, {"error": f"a and b are required, each at most {MAX_LENGTH} characters"})
            return self.reply(200, {"distance": _hot.distance(a, b)})
        if url.path == "/fingerprint":
            text = query.get("text")
            if text is None:
                return self.reply(400, {"error": "text is required"})
            return self.reply(200, {"fnv1a": _hot.fingerprint(text)})
        return self.reply(404, {"error": "not found"})

    def reply(self, status, body, content_type="application/json"):
        data = (body if isinstance(body, str) else json.dumps(body) + "\n").encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args):  # one line per request, to stdout
        print(f"{self.command} {self.path} {args[1] if len(args) > 1 else ''}", flush=True)


if __name__ == "__main__":
    port = int(os.environ.get("PORT", "8080"))
    print(f"textmatch listening on {port}", flush=True)
    ThreadingHTTPServer(("0.0.0.0", port), Handler).serve_forever()
