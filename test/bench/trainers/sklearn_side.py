"""The scikit-learn side of the trainer benchmark: writes the shared data and split, then fits
scikit-learn on it and prints one JSON line per model (accuracy and fit seconds)."""
import json
import os
import struct
import sys
import time
import zlib

import numpy as np
from sklearn.datasets import load_digits, make_classification
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.svm import SVC


def write_png_gray(path, pixels):
    """A minimal 8-bit grayscale PNG writer, so the venv needs nothing but scikit-learn."""
    h, w = pixels.shape
    raw = b"".join(b"\x00" + bytes(row) for row in pixels.astype(np.uint8))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def write_data(out):
    x, y = make_classification(n_samples=100_000, n_features=50, n_informative=20, n_redundant=10,
                               n_classes=2, class_sep=0.8, flip_y=0.02, random_state=0)
    x = x.astype(np.float32)
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=0.2, random_state=0)
    header = ",".join([f"f{i}" for i in range(50)] + ["label"])
    for name, xs, ys in (("train", x_tr, y_tr), ("test", x_te, y_te)):
        np.savetxt(os.path.join(out, f"tabular-{name}.csv"), np.column_stack([xs, ys]), delimiter=",",
                   header=header, comments="", fmt=["%.9g"] * 50 + ["%d"])
    digits = load_digits()
    pixels = np.rint(digits.images * 255 / 16).astype(np.uint8)
    idx_tr, idx_te = train_test_split(np.arange(len(pixels)), test_size=0.2, random_state=0, stratify=digits.target)
    split = {}
    for i, (img, label) in enumerate(zip(pixels, digits.target)):
        folder = os.path.join(out, "digits", str(label))
        os.makedirs(folder, exist_ok=True)
        write_png_gray(os.path.join(folder, f"{i:04d}.png"), img)
    split = {"train": [f"{digits.target[i]}/{i:04d}.png" for i in idx_tr],
             "test": [f"{digits.target[i]}/{i:04d}.png" for i in idx_te]}
    with open(os.path.join(out, "digits-split.json"), "w") as f:
        json.dump(split, f)


def timed_fit(model, x, y):
    started = time.perf_counter()
    model.fit(x, y)
    return time.perf_counter() - started


def fit(out):
    train = np.loadtxt(os.path.join(out, "tabular-train.csv"), delimiter=",", skiprows=1, dtype=np.float32)
    test = np.loadtxt(os.path.join(out, "tabular-test.csv"), delimiter=",", skiprows=1, dtype=np.float32)
    x_tr, y_tr, x_te, y_te = train[:, :-1], train[:, -1].astype(int), test[:, :-1], test[:, -1].astype(int)
    for name, model in (("logistic", LogisticRegression(max_iter=100)),
                        ("gbdt", HistGradientBoostingClassifier(random_state=0))):
        seconds = timed_fit(model, x_tr, y_tr)
        print(json.dumps({"model": name, "accuracy": float(model.score(x_te, y_te)), "seconds": seconds}))
    digits = load_digits()
    split = json.load(open(os.path.join(out, "digits-split.json")))
    # The same pixels the PNG files hold, scaled to 0..1.
    images = np.rint(digits.images * 255 / 16).reshape(len(digits.images), -1) / 255.0
    index = lambda paths: [int(p.split("/")[1][:4]) for p in paths]
    tr, te = index(split["train"]), index(split["test"])
    model = SVC()
    seconds = timed_fit(model, images[tr], digits.target[tr])
    print(json.dumps({"model": "digits", "accuracy": float(model.score(images[te], digits.target[te])),
                      "seconds": seconds, "classifier": "SVC(rbf)"}))


if __name__ == "__main__":
    {"data": write_data, "fit": fit}[sys.argv[1]](sys.argv[2])
