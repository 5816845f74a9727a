"""Our MLPClassifier/MLPRegressor against scikit-learn's on its other solver and its regressor, same run.

    python benchmarks/sklearn_solvers.py            # writes benchmarks/results/sklearn_solvers.md
    python benchmarks/sklearn_solvers.py --quick    # 3 repeats

Jobs: lbfgs on digits (64-100-10 classifier), lbfgs and adam regressors (Friedman #1, 5000 x 10,
64-64-1), the Poisson regressor (lbfgs). Each job runs both estimators with the same settings and
their own random starts, in turns (so the machine's drift hits both), several repeats; reported:
median seconds to fit, the loss at the end (loss_), iterations (n_iter_), and scikit-learn's time
divided by ours. A second lbfgs row per task starts ours from scikit-learn's weights (set through
coefs_/intercepts_) for 50 iterations: the losses then agree to about 1e-10, the check that the
objective and the optimizer are the same (over hundreds of iterations without converging, runs that
differ in the last bit of a sum part ways, as any two lbfgs runs would).
"""
import argparse
import os
import statistics
import time
import warnings

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def tasks():
    from sklearn.datasets import load_digits, make_friedman1
    X, y = load_digits(return_X_y=True)
    digits = (X / 16.0, y)
    Xr, yr = make_friedman1(5000, 10, noise=1.0, random_state=0)
    friedman = (Xr, (yr - yr.mean()) / yr.std())
    rng = np.random.default_rng(0)
    Xp = rng.random((5000, 10))
    counts = (Xp, rng.poisson(np.exp(Xp[:, :3] @ [1.0, -1.0, 0.5])).astype(float))
    return [
        ("digits, classifier, lbfgs", "MLPClassifier", digits, dict(hidden_layer_sizes=(100,), solver="lbfgs", max_iter=200)),
        ("Friedman #1, regressor, lbfgs", "MLPRegressor", friedman, dict(hidden_layer_sizes=(64,), solver="lbfgs", max_iter=200)),
        ("Friedman #1, regressor, adam", "MLPRegressor", friedman, dict(hidden_layer_sizes=(64,), max_iter=100)),
        ("counts, Poisson regressor, lbfgs", "MLPRegressor", counts,
         dict(hidden_layer_sizes=(16,), solver="lbfgs", loss="poisson", max_iter=200)),
    ]


def fit(module, name, data, settings, start_from=None):
    """(seconds, fitted estimator); start_from: a fitted scikit-learn estimator whose weights we start from."""
    estimator = getattr(module, name)(random_state=0, **settings)
    X, y = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if start_from is not None:
            estimator.set_params(max_iter=1, warm_start=True).fit(X, y)
            # copies: scikit-learn's lbfgs writes its result into the arrays it holds
            estimator.coefs_ = [w.copy() for w in start_from.coefs_]
            estimator.intercepts_ = [b.copy() for b in start_from.intercepts_]
            estimator.set_params(max_iter=settings["max_iter"])
        started = time.perf_counter()
        estimator.fit(X, y)
        return time.perf_counter() - started, estimator


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="3 repeats")
    args = parser.parse_args(argv)
    repeats = 3 if args.quick else args.repeats
    import sklearn.neural_network as theirs

    import framework as ours
    rows = []
    for title, name, data, settings in tasks():
        times = {"ours": [], "sklearn": []}
        for r in range(repeats):
            for peer in (("ours", "sklearn") if r % 2 == 0 else ("sklearn", "ours")):
                seconds, fitted = fit(ours if peer == "ours" else theirs, name, data, settings)
                times[peer].append(seconds)
                if peer == "ours":
                    mine = fitted
                else:
                    reference = fitted
        a, b = statistics.median(times["ours"]), statistics.median(times["sklearn"])
        rows.append(f"| {title} | {a:.2f} | {b:.2f} | {b / a:.2f}x | {mine.loss_:.6f} / {reference.loss_:.6f} "
                    f"| {mine.n_iter_} / {reference.n_iter_} |")
        if settings.get("solver") == "lbfgs":
            # Same start: scikit-learn's initial weights in both (a one-iteration fit, then warm start).
            # 50 iterations: over hundreds, two runs that differ in the last bit of a sum part ways
            # (both stop at max_iter far from a minimum), so the same-objective check is made early.
            _, start = fit(theirs, name, data, {**settings, "max_iter": 1})
            _, same_theirs = fit(theirs, name, data, {**settings, "max_iter": 50}, start_from=start)
            _, same_ours = fit(ours, name, data, {**settings, "max_iter": 50}, start_from=start)
            rows.append(f"| ... 50 iterations from scikit-learn's start | | | | {same_ours.loss_:.10f} / "
                        f"{same_theirs.loss_:.10f} | {same_ours.n_iter_} / {same_theirs.n_iter_} |")
        print(rows[-1], flush=True)
    table = ("| job | ours s | scikit-learn s | ours is ... faster | loss_ ours / scikit-learn | n_iter_ ours / scikit-learn |\n"
             "|---|---|---|---|---|---|\n" + "\n".join(rows) + "\n")
    print(table)
    out = os.path.join(HERE, "results", "sklearn_solvers-quick.md" if args.quick else "sklearn_solvers.md")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    tmp = out + ".tmp"
    with open(tmp, "w") as f:
        f.write(f"Median of {repeats} fits each, the peers in turns, {time.strftime('%Y-%m-%d')}.\n\n" + table)
    os.replace(tmp, out)


if __name__ == "__main__":
    main()
