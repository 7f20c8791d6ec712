"""Pillow's side of the decode benchmark: the FastAPI server's decode and fit of one file.
usage: pillow.py <jpeg> <size> <milliseconds>; prints microseconds per image."""
import io
import sys
import time

import numpy as np
from PIL import Image, ImageOps

path, size, millis = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
body = open(path, "rb").read()


def once():
    image = ImageOps.exif_transpose(Image.open(io.BytesIO(body))).convert("RGB")
    return np.asarray(ImageOps.fit(image, (size, size), Image.BILINEAR))


for _ in range(20):
    once()
n, start = 0, time.perf_counter()
while time.perf_counter() - start < millis / 1000:
    once()
    n += 1
print((time.perf_counter() - start) * 1e6 / n)
