"""The simulator in a process of its own on a loopback port, as Notehub is to the server: remote.

``python -m benchmarks.notehub_server PORT``. No access log: it would cost every request alike
and only add noise.
"""

import sys

import uvicorn

from notehub_jobs_mcp.simulator import Simulator

if __name__ == "__main__":
    app = Simulator(devices=60, pace=0.0, start_delay=0.0).app
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", lifespan="off")
