"""Fetching MNIST's four IDX files into the data home: several mirrors, checksums, resumable, or instructions.

`download("mnist")` puts train-images-idx3-ubyte.gz and the three others into <data home>/mnist,
where `datasets.load_mnist` reads them. A file already there with the right MD5 is kept; a partial
download (`<name>.part`) is continued with an HTTP Range request; a file whose checksum does not
match is thrown away and the next mirror tried. When no mirror answers, the error says which files
to place where, so a machine without network can be given them by hand.
"""
import hashlib
import os
import urllib.error
import urllib.request
from pathlib import Path

from .datasets import data_home

#: Mirrors tried in order (each holds the four .gz files under the same names).
MNIST_MIRRORS = ("https://ossci-datasets.s3.amazonaws.com/mnist/",
                 "https://storage.googleapis.com/cvdf-datasets/mnist/",
                 "http://yann.lecun.com/exdb/mnist/")
#: The MD5 of each file, as torchvision publishes them.
MNIST_MD5 = {"train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
             "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
             "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
             "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c"}
CHUNK = 1 << 16


def md5_of(path):
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def download(name="mnist", folder=None, mirrors=MNIST_MIRRORS, checksums=None, timeout=30, print_fn=print):
    """Fetch the data set's files into `folder` (default <data home>/mnist); returns the folder.

    mirrors: base URLs tried in order for each file; checksums: {file name: md5} (MNIST's by default).
    Raises OSError naming every mirror's answer and the files to place by hand when none works.
    """
    if name != "mnist":
        raise ValueError(f"name must be 'mnist', got {name!r} (for Fashion-MNIST place its four IDX files in "
                         f"{data_home() / 'fashion-mnist'} by hand)")
    checksums = dict(MNIST_MD5 if checksums is None else checksums)
    folder = Path(folder) if folder is not None else data_home() / "mnist"
    folder.mkdir(parents=True, exist_ok=True)
    for file_name, expected in checksums.items():
        target = folder / file_name
        if target.exists() and md5_of(target) == expected:
            print_fn(f"{file_name}: already here, checksum ok")
            continue
        errors = []
        for mirror in mirrors:
            try:
                _fetch(mirror + file_name, target, expected, timeout, print_fn)
                break
            except (OSError, ValueError) as exc:  # no answer, HTTP error, or a wrong checksum
                errors.append(f"{mirror}: {exc}")
        else:
            raise OSError(_no_mirror(file_name, folder, checksums, errors))
    return folder


def _fetch(url, target, expected, timeout, print_fn):
    """One file from one URL into target, continuing target.part if it is there; checked by MD5."""
    part = target.with_name(target.name + ".part")
    have = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"Range": f"bytes={have}-"} if have else {})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        resumed = have and response.status == 206
        mode = "ab" if resumed else "wb"
        print_fn(f"{target.name}: {'resuming at ' + format(have, ',') + ' bytes' if resumed else 'downloading'} "
                 f"from {url}")
        with open(part, mode) as f:
            for block in iter(lambda: response.read(CHUNK), b""):
                f.write(block)
    got = md5_of(part)
    if got != expected:
        part.unlink()
        raise ValueError(f"checksum mismatch (md5 {got}, expected {expected}); the partial file was removed")
    os.replace(part, target)
    print_fn(f"{target.name}: done, checksum ok")


def _no_mirror(file_name, folder, checksums, errors):
    files = "\n".join(f"  {name}  (md5 {md5})" for name, md5 in checksums.items())
    tried = "\n".join(f"  {error}" for error in errors)
    return (f"could not download {file_name} from any mirror:\n{tried}\n"
            f"Without network, copy these four files (gzip as they are, or unpacked) into {folder}:\n{files}\n"
            f"then load them with framework.datasets.load_mnist(); a partial download is continued next time.")
