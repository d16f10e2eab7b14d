"""The floor for bench/api_bench.py: a bare FastAPI endpoint returning a small JSON object."""
from fastapi import FastAPI

app = FastAPI()


@app.get("/bare")
def bare() -> dict[str, object]:
    return {"id": "eanet", "label": "Acid Deposition Monitoring Network in East Asia", "members": 13}
