"""The HTTP limit: a FastAPI endpoint that does nothing, served like `casework serve`.

``uvicorn bench.noop_app:app``. POST /cases takes the same requests as the service and
ignores them (the body is not even read): what is left is uvicorn, FastAPI's routing and a
small JSON answer, the most any endpoint on this machine and these settings can serve.
"""

from fastapi import FastAPI

app = FastAPI(title="bench no-op")


@app.post("/cases", status_code=201)
async def noop() -> dict[str, bool]:
    return {"ok": True}


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}
