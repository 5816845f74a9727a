"""An optional Adam step compiled with numba: one pass over memory instead of a dozen, the same numbers.

NumPy runs Adam as a dozen passes over memory (m, v, the square root, the division, ...); one
compiled loop makes a single pass and gives bit-identical results: the same operations on the
same dtype in the same order, without fast-math. It is used only for large parameter buffers
(FUSED_MIN_SIZE numbers or more), so small networks never import numba; without numba, or with
FRAMEWORK_NO_NUMBA=1 in the environment, the NumPy rules run and nothing else changes.
numba comes with the `fast` extra: pip install -e ".[fast]".
"""
import math
import os


#: Parameter arrays with at least this many numbers take the compiled path.
FUSED_MIN_SIZE = 2 ** 15
_KERNELS = []  # [adam kernel] once compiled, [None] when numba is missing or disabled


def _adam_kernel():
    if not _KERNELS:
        kernel = None
        if not os.environ.get("FRAMEWORK_NO_NUMBA"):
            try:
                import numba
            except ImportError:
                numba = None
            if numba is not None:
                kernel = _compile_adam(numba)
        _KERNELS.append(kernel)
    return _KERNELS[0]


def _compile_adam(numba):
    # error_model="numpy": no per-element zero-division checks, so the loop is vectorized.
    @numba.njit(cache=True, nogil=True, error_model="numpy", boundscheck=False)
    def adam(param, grad, m, v, beta1, one_minus_beta1, beta2, one_minus_beta2, eps, step):
        for i in range(param.size):
            m_i = m[i] * beta1 + grad[i] * one_minus_beta1
            v_i = v[i] * beta2 + (grad[i] * grad[i]) * one_minus_beta2
            m[i] = m_i
            v[i] = v_i
            param[i] -= m_i / (math.sqrt(v_i) + eps) * step
    return adam


def adam(param, grad, m, v, beta1, beta2, eps, step):
    """One Adam step in one pass, if it can be compiled: m, v and param are updated in place.

    Returns False (and does nothing) when the arrays are small or numba is not available. The
    arguments are those of the NumPy rule in optimizers.Adam: eps and step already carry the
    bias corrections.
    """
    if param.size < FUSED_MIN_SIZE or not all(a.flags.c_contiguous for a in (param, grad, m, v)):
        return False
    kernel = _adam_kernel()
    if kernel is None:
        return False
    scalar = param.dtype.type  # float32 arrays get float32 scalars, as NumPy treats Python floats
    kernel(param.reshape(-1), grad.reshape(-1), m.reshape(-1), v.reshape(-1), scalar(beta1), scalar(1 - beta1),
           scalar(beta2), scalar(1 - beta2), scalar(eps), scalar(step))
    return True
