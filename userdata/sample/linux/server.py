"""phoenix sample app (Linux): serves GET /version and a small JSON payload on every other path.

The version is the VERSION file packed beside this script (the boot script writes it from the manifest when the
artifact has none), so what /version answers is what was installed, not what was asked for.
"""
import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))


def read_version():
    try:
        with open(os.path.join(HERE, "VERSION"), encoding="utf-8") as f:
            return f.read().strip()
    except OSError:
        return os.environ.get("PHOENIX_VERSION", "0.0.0")


VERSION = read_version()
TIER = os.environ.get("PHOENIX_TIER", "app")
ENVIRONMENT = os.environ.get("PHOENIX_ENVIRONMENT", "local")


class Handler(BaseHTTPRequestHandler):
    server_version = "phoenix-sample"

    def do_GET(self):
        if self.path == "/version":
            body = json.dumps({"version": VERSION})
        else:
            body = json.dumps({"tier": TIER, "environment": ENVIRONMENT, "version": VERSION, "path": self.path})
        data = body.encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args):
        print("%s %s" % (self.address_string(), format % args), flush=True)


if __name__ == "__main__":
    port = int(os.environ.get("PORT", "8080"))
    host = os.environ.get("HOST", "0.0.0.0")
    ThreadingHTTPServer((host, port), Handler).serve_forever()
