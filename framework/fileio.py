"""Atomic writes: write to a temporary file in the same folder, then rename over the target.

A crash or an exception mid-write leaves the previous file as it was, never half a file. Errors
name the user's path, never the hidden temporary file. The temporary file's name holds the writing
process's id, so that the next save of the same path removes what a killed process left behind.
"""
import glob
import os
import tempfile
from contextlib import contextmanager


def check_writable(path, what="path"):
    """Raise a clear OSError now, before hours of training, if `path` could not be written later."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise IsADirectoryError(f"{what} {path} is a folder; give a file name")
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"{what} {path}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise PermissionError(f"{what} {path}: the folder {folder} is not writable")
    return path


@contextmanager
def atomic_path(path):
    """Yield a temporary path next to `path`; on success it replaces `path`, on error it is removed."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.{os.getpid()}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise _naming(exc, path) from None
    os.close(fd)
    os.chmod(tmp, 0o644)  # mkstemp makes it private; a saved model is an ordinary file
    try:
        yield tmp
        os.replace(tmp, path)
        _remove_leftovers(path)
    except OSError as exc:
        _remove(tmp)
        raise _naming(exc, path) from exc
    except BaseException:
        _remove(tmp)
        raise


def _naming(exc, path):
    """The same kind of OSError, its message naming the user's path instead of the temporary file."""
    reason = exc.strerror or str(exc)
    if exc.errno is None:
        return type(exc)(f"cannot write {path}: {reason}")
    return type(exc)(exc.errno, f"cannot write {path}: {reason}")


def _remove_leftovers(path):
    """Remove the temporary files of earlier saves of `path` whose process is gone (killed mid-save)."""
    name = os.path.basename(path)
    for leftover in glob.glob(os.path.join(glob.escape(os.path.dirname(os.path.abspath(path))), f".{glob.escape(name)}.*.tmp")):
        pid = os.path.basename(leftover)[len(name) + 2:].split(".")[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            try:
                os.remove(leftover)
            except OSError:  # gone already, or not ours to remove: the save itself succeeded
                pass


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def _remove(tmp):
    if os.path.exists(tmp):
        os.remove(tmp)


def atomic_write_text(path, text):
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
