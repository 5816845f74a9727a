"""framework.download: mirrors tried in order, checksums, a partial file continued, instructions when offline.
The 'mirrors' are HTTP servers on this machine's loopback address serving files the test makes."""
import gzip
import hashlib
import http.server
import threading

import numpy as np
import pytest

from framework.cli import main
from framework.datasets import MNIST_FILES, load_mnist
from framework.download import download


def idx_bytes(array):
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    return gzip.compress(header + array.astype(np.uint8).tobytes())


@pytest.fixture(scope="module")
def files():
    rng = np.random.default_rng(0)
    arrays = {"train_images": rng.integers(0, 256, (20, 28, 28)), "train_labels": rng.integers(0, 10, 20),
              "test_images": rng.integers(0, 256, (5, 28, 28)), "test_labels": rng.integers(0, 10, 5)}
    return {MNIST_FILES[key] + ".gz": idx_bytes(value) for key, value in arrays.items()}


@pytest.fixture
def server(files):
    """A loopback server with Range support; .requests records (path, Range header) of each request."""
    requests = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            requests.append((self.path, self.headers.get("Range")))
            name = self.path.rsplit("/", 1)[-1]
            if name not in files:
                self.send_error(404)
                return
            data, status = files[name], 200
            if self.headers.get("Range"):
                start = int(self.headers["Range"].split("=")[1].rstrip("-"))
                data, status = data[start:], 206
            self.send_response(status)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    httpd.requests = requests
    httpd.url = f"http://127.0.0.1:{httpd.server_port}/"
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def md5s(files):
    return {name: hashlib.md5(data).hexdigest() for name, data in files.items()}


def test_a_dead_mirror_is_skipped_and_the_files_load(tmp_path, server, files):
    dead = "http://127.0.0.1:9/"  # nothing listens on the discard port
    folder = download(folder=tmp_path, mirrors=(dead, server.url + "missing/", server.url),
                      checksums=md5s(files), print_fn=lambda *a: None)
    (x, t), (x_test, t_test) = load_mnist(path=folder)
    assert x.shape == (20, 784) and x_test.shape == (5, 784) and t.dtype == np.int64


def test_a_partial_file_is_continued_and_a_good_file_kept(tmp_path, server, files):
    name = "train-images-idx3-ubyte.gz"
    (tmp_path / (name + ".part")).write_bytes(files[name][:100])
    (tmp_path / "train-labels-idx1-ubyte.gz").write_bytes(files["train-labels-idx1-ubyte.gz"])
    lines = []
    download(folder=tmp_path, mirrors=(server.url,), checksums=md5s(files), print_fn=lines.append)
    assert (f"/{name}", "bytes=100-") in server.requests  # only the rest was asked for
    assert not any(path.endswith("train-labels-idx1-ubyte.gz") for path, _ in server.requests)
    assert any("resuming at 100 bytes" in line for line in lines)
    assert (tmp_path / name).read_bytes() == files[name] and not (tmp_path / (name + ".part")).exists()


def test_a_wrong_checksum_is_thrown_away(tmp_path, server, files):
    wrong = dict(md5s(files), **{"t10k-labels-idx1-ubyte.gz": "0" * 32})
    with pytest.raises(OSError, match="checksum mismatch") as info:
        download(folder=tmp_path, mirrors=(server.url,), checksums=wrong, print_fn=lambda *a: None)
    assert "t10k-labels-idx1-ubyte.gz" in str(info.value)
    assert not (tmp_path / "t10k-labels-idx1-ubyte.gz.part").exists()


def test_without_network_it_says_which_files_to_place_where(tmp_path, capsys):
    assert main(["download", "mnist", "--folder", str(tmp_path), "--mirror", "http://127.0.0.1:9/"]) == 1
    err = capsys.readouterr().err
    assert "could not download train-images-idx3-ubyte.gz from any mirror" in err
    assert "copy these four files" in err and str(tmp_path) in err and "f68b3c2dcbeaaa9fbdd348bbdeb94873" in err
