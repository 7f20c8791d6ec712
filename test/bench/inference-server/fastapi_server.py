"""The usual Python stack for comparison: FastAPI + uvicorn + onnxruntime (+ Pillow for images),
written the way such services are: pydantic request models, numpy, one session per model.
It serves the same two routes as the Bosun server: Open Inference Protocol JSON infer for the
tabular model and a raw image body for the image classifier.

usage: fastapi_server.py <model dir> <tabular|image> <port>
"""
import io
import json
import sys
from typing import Any, List, Optional

import numpy as np
import onnxruntime as ort
import uvicorn
from fastapi import FastAPI, HTTPException, Request
from PIL import Image, ImageOps
from pydantic import BaseModel

model_dir, kind, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
options = ort.SessionOptions()
options.intra_op_num_threads = 1
options.inter_op_num_threads = 1
options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
session = ort.InferenceSession(f"{model_dir}/{kind}/model.onnx", options, providers=["CPUExecutionProvider"])
signature = json.load(open(f"{model_dir}/{kind}/signature.json"))
app = FastAPI()

DTYPES = {"FP32": np.float32, "FP64": np.float64, "INT64": np.int64, "INT32": np.int32, "BYTES": object}


class Tensor(BaseModel):
    name: str
    shape: List[int]
    datatype: str
    data: List[Any]


class InferRequest(BaseModel):
    id: Optional[str] = None
    inputs: List[Tensor]


@app.post("/v2/models/{name}/infer")
def infer(name: str, request: InferRequest):
    feeds = {}
    for t in request.inputs:
        if t.datatype not in DTYPES:
            raise HTTPException(400, f"unsupported datatype {t.datatype}")
        feeds[t.name] = np.asarray(t.data, dtype=DTYPES[t.datatype]).reshape(t.shape)
    names = [o.name for o in session.get_outputs()]
    results = session.run(names, feeds)
    outputs = []
    for n, r in zip(names, results):
        datatype = "BYTES" if r.dtype == object else "FP32"
        outputs.append({"name": n, "datatype": datatype, "shape": list(r.shape), "data": r.flatten().tolist()})
    return {"model_name": name, "model_version": "1", "id": request.id, "outputs": outputs}


@app.post("/v2/models/{name}/classify")
async def classify(name: str, request: Request, top_k: int = 5):
    body = await request.body()
    p = signature["preprocessing"]
    height, width = p["size"]
    try:
        image = ImageOps.exif_transpose(Image.open(io.BytesIO(body))).convert("RGB")
    except Exception as e:
        raise HTTPException(400, f"the image cannot be decoded: {e}")
    image = ImageOps.fit(image, (width, height), Image.BILINEAR)
    x = np.asarray(image, dtype=np.float32).transpose(2, 0, 1)[None]
    probabilities = session.run(["probabilities"], {"image": x})[0][0]
    labels = signature["labels"]
    order = np.argsort(-probabilities)[: min(top_k, len(labels))]
    return {
        "model_name": name,
        "model_version": "1",
        "predictions": [{"label": labels[i], "probability": float(probabilities[i])} for i in order],
    }


uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
