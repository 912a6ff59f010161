"""moto's S3 server as the tests run it: `python test/e2e/moto_s3_main.py <host> <port>`.

moto's own `python -m moto.server`, with one change. A PUT with `Expect: 100-continue` gets two
`100 Continue` answers from it: one from Python's BaseHTTPRequestHandler as it reads the headers,
one from werkzeug as the request starts (moto PR #9975). The AWS SDK v2 takes the second for the
final answer and fails the upload with "Status Code: 100". The SDK sends that header on every S3
PutObject whatever the HTTP client is told, and S3A's copyFromLocalFile (RocksDB's SST uploads) hits
it. AWS answers once; so does this server.
"""
from __future__ import annotations

import os
import sys

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import run_simple


class OneContinueRequestHandler(MotoRequestHandler):
    def handle_expect_100(self) -> bool:
        # werkzeug's run_wsgi writes "100 Continue" itself; the standard library's would be a second.
        return True


def main(argv: list[str]) -> None:
    host, port = argv[0], int(argv[1])
    os.environ.setdefault("MOTO_PORT", str(port))
    run_simple(host, port, DomainDispatcherApplication(create_backend_app), threaded=True, request_handler=OneContinueRequestHandler)


if __name__ == "__main__":
    main(sys.argv[1:])
