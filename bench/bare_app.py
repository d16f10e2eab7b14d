"""The floor for the benches: a bare FastAPI app with nothing else to do.

``/bare`` (bench/api_bench.py) returns a small JSON object from a threadpool route; ``/healthz``
(bench/hardening.py) answers the same small object from the event loop, as our ``/healthz`` does. Probed
while the real server is attacked, it says how fast any process on this machine can answer then: the floor
against which the server's own latency under attack is judged."""
from fastapi import FastAPI

app = FastAPI()

ANSWER = {"id": "eanet", "label": "Acid Deposition Monitoring Network in East Asia", "members": 13}


@app.get("/bare")
def bare() -> dict[str, object]:
    return ANSWER


@app.get("/healthz")
async def healthz() -> dict[str, object]:
    return ANSWER
