"""The book's random search over learning rate and weight decay (ch. 6.5), with scikit-learn.

RandomizedSearchCV draws log-uniform values, trains `framework.MLPClassifier` on each with
cross-validation and reports the best. `--n-jobs 2` runs candidates in parallel on this machine;
`--dask local` runs them on a local Dask cluster, `--dask HOST:PORT` on a running Dask scheduler
(needs the `distributed` extra: pip install -e ".[distributed]").

    python examples/hyperparameter_search.py --n-iter 20 --n-jobs 2
"""
import argparse
import contextlib
import time
import warnings

from scipy.stats import loguniform
from sklearn.datasets import load_digits
from sklearn.model_selection import RandomizedSearchCV, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from framework import MLPClassifier


def make_search(n_iter, n_jobs, seed, max_iter):
    """The search: lr in 10^U(-4, -1), weight decay (alpha) in 10^U(-6, -1), as the book draws them."""
    pipeline = make_pipeline(StandardScaler(), MLPClassifier(hidden_layer_sizes=(100,), max_iter=max_iter,
                                                             random_state=seed))
    space = {"mlpclassifier__learning_rate_init": loguniform(1e-4, 1e-1),
             "mlpclassifier__alpha": loguniform(1e-6, 1e-1)}
    return RandomizedSearchCV(pipeline, space, n_iter=n_iter, n_jobs=n_jobs, random_state=seed,
                              cv=StratifiedKFold(3, shuffle=True, random_state=seed))


@contextlib.contextmanager
def dask_backend(address):
    """joblib's Dask backend on a local cluster ("local") or a running scheduler (HOST:PORT)."""
    import joblib
    from dask.distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=False) if address == "local" else None
    client = Client(cluster if cluster is not None else address)
    try:
        with joblib.parallel_backend("dask"):
            yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-iter", type=int, default=20, help="number of random candidates")
    parser.add_argument("--n-jobs", type=int, default=1, help="candidates trained in parallel")
    parser.add_argument("--max-iter", type=int, default=50, help="epochs per candidate")
    parser.add_argument("--dask", metavar="local|HOST:PORT", help="run the search on a Dask cluster")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    X, y = load_digits(return_X_y=True)
    # Short searches stop candidates before they converge; that is the point, not news.
    warnings.filterwarnings("ignore", message=".*Maximum iterations")
    search = make_search(args.n_iter, -1 if args.dask else args.n_jobs, args.seed, args.max_iter)
    started = time.perf_counter()
    with dask_backend(args.dask) if args.dask else contextlib.nullcontext():
        search.fit(X, y)
    print(f"{args.n_iter} candidates x 3 folds in {time.perf_counter() - started:.1f} s")
    results = sorted(zip(search.cv_results_["mean_test_score"], search.cv_results_["params"]),
                     key=lambda r: -r[0])
    print(" accuracy    learning rate    weight decay")
    for score, params in results[:10]:
        print(f"   {score:.4f}      {params['mlpclassifier__learning_rate_init']:.2e}"
              f"         {params['mlpclassifier__alpha']:.2e}")
    best = search.best_params_
    print(f"best: learning rate {best['mlpclassifier__learning_rate_init']:.2e}, "
          f"weight decay {best['mlpclassifier__alpha']:.2e} -> accuracy {search.best_score_:.4f}")
    return search


if __name__ == "__main__":
    main()
