"""The test harness's worker on a machine shared with other suites: a port chosen free can be
taken before the worker binds it, and another application's worker may answer on it."""

from __future__ import annotations

import json
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer

from tests.integration.workers import WorkerProcess, unique_env


class OtherApp(BaseHTTPRequestHandler):
    """Holds the port and answers /readyz as another application's ready worker."""

    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        body = json.dumps({"ready": True, "partitions_assigned": True, "tables_recovered": True,
                           "app": "someone-else"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_a_worker_whose_web_port_is_taken_starts_again_on_other_ports(kafka_bootstrap, tmp_path):
    server = HTTPServer(("127.0.0.1", 0), OtherApp)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = unique_env(kafka_bootstrap, tmp_path / "state")
    worker = WorkerProcess(env, tmp_path / "worker.log")
    worker.env["COPYDESK_WEB_PORT"] = str(server.server_port)
    try:
        worker.start(ready_timeout=180)
        assert worker.env["COPYDESK_WEB_PORT"] != str(server.server_port)
        assert "already in use" in worker.log_path.read_text()
        with urllib.request.urlopen(worker.web_url + "/readyz", timeout=5) as r:
            body = json.loads(r.read())
        assert body == {"ready": True, "partitions_assigned": True, "tables_recovered": True,
                        "app": env["COPYDESK_APP_ID"]}
        assert worker.proc.poll() is None
    finally:
        worker.stop()
        server.shutdown()
        server.server_close()
